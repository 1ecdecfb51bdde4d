"""Violation categories, severities and penalty types, as data."""

from __future__ import annotations

CATEGORIES: dict[str, tuple[str, str]] = {
    "false_advertising": ("虚假宣传", "false advertising"),
    "fake_orders": ("刷单炒信", "fake orders and reviews"),
    "counterfeit": ("售假/假冒伪劣", "counterfeit or substandard goods"),
    "ip_infringement": ("侵犯知识产权", "IP infringement"),
    "pricing": ("价格违法", "pricing violations"),
    "unfair_competition": ("不正当竞争", "unfair competition"),
    "consumer_rights": ("侵害消费者权益", "consumer rights"),
    "personal_information": ("侵害个人信息", "personal information"),
    "licence_display": ("未公示证照信息", "licence information not displayed"),
    "tying": ("违规搭售", "tying"),
    "food_safety": ("食品安全", "food safety"),
    "other": ("其他", "other"),
}

#: How grave a record is (轻微 / 一般 / 严重). Not the rating's tier (A/B/C).
SEVERITIES: dict[str, tuple[str, str]] = {
    "minor": ("轻微", "minor"),
    "general": ("一般", "general"),
    "serious": ("严重", "serious"),
}

PENALTY_TYPES: dict[str, tuple[str, str]] = {
    "warning": ("警告", "warning"),
    "criticism": ("通报批评", "circulated criticism"),
    "fine": ("罚款", "fine"),
    "confiscation": ("没收违法所得、没收非法财物", "confiscation"),
    "suspension": ("暂扣许可证件、降低资质等级", "licence suspension"),
    "restriction": ("限制开展生产经营活动、责令停产停业", "business restriction"),
    "revocation": ("吊销许可证件", "licence revocation"),
    "other": ("其他", "other"),
}

#: Whether a penalty type carries an amount (元): a fine must, confiscation and "other" may,
#: the rest cannot. 行政处罚法 (2021) Art. 9 sorts penalties into kinds: (一) 警告、通报批评
#: are reputational, (二) 罚款、没收 are of money, (三)(四) act on licences and business;
#: only a kind of money has a sum.
PENALTY_AMOUNT: dict[str, str] = {
    "warning": "forbidden",
    "criticism": "forbidden",
    "fine": "required",
    "confiscation": "optional",
    "suspension": "forbidden",
    "restriction": "forbidden",
    "revocation": "forbidden",
    "other": "optional",
}

STATUSES: dict[str, tuple[str, str]] = {
    "published": ("公示中", "published"),
    "under_objection": ("异议处理中", "under objection"),
    "corrected": ("已更正", "corrected"),
    "repaired": ("已信用修复", "credit repaired"),
    "not_published": ("不予公示", "not published"),
    "pending": ("尚未公示", "not yet published"),
    "revoked": ("已撤销", "revoked"),
    "ended": ("公示期满", "publicity ended"),
}

#: The shortest time on the list before early removal after credit repair (提前移出):
#: one year, per 《市场监督管理严重违法失信名单管理办法》 (SAMR Order 44, 2021) as its
#: implementing rules and guides describe it (article number unverified: the primary text is
#: not in the corpus). Removal because the basis was revoked, or because the listing was
#: wrong, has no minimum.
EARLY_REMOVAL_MIN_MONTHS = 12
