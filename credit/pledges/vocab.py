"""Pledge types and the seed templates, as data.

Which violation categories can breach which clause is not part of a template: it is one
platform-wide table keyed by clause code (``credit/data/breach_rules.json``), read through
``credit.violations.breaches``."""

from __future__ import annotations

#: type -> (Chinese, English, published to everyone?)
PLEDGE_TYPES: dict[str, tuple[str, str, bool]] = {
    "approval_substitute": ("审批替代型", "in place of a document or approval", True),
    "voluntary_public": ("主动公示型", "voluntary public pledge", True),
    "industry_self_discipline": ("行业自律型", "industry self-discipline", True),
    "credit_repair": ("信用修复型", "made when applying for credit repair", True),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "published": ("已公示", "published"),
    "superseded": ("已被新版本替代", "superseded by an amendment"),
    "withdrawn": ("已撤回", "withdrawn"),
    "expired": ("已过期", "expired"),
}

STANDARD_CLAUSES = [
    (
        "C01",
        "所提交的材料真实、准确、完整。",
        "Materials submitted are true, accurate and complete.",
        True,
    ),
    (
        "C02",
        "依法依规开展经营活动，依法办理市场主体登记。",
        "Operate lawfully and keep market-entity registration in order.",
        True,
    ),
    (
        "C03",
        "不虚构交易、不编造用户评价、不刷单炒信。",
        "No fake transactions, fabricated reviews or fake orders.",
        True,
    ),
    (
        "C04",
        "销售的商品或提供的服务真实合法，不售假、不销售假冒伪劣商品，不作虚假宣传。",
        "Genuine, lawful goods and services; no counterfeits; honest advertising.",
        True,
    ),
    (
        "C05",
        "明码标价，不实施价格违法行为，不搭售商品或服务。",
        "Clear prices; no pricing violations; no tying.",
        True,
    ),
    (
        "C06",
        "履行七日无理由退货及售后服务义务，依法保护消费者权益。",
        "Honour 7-day returns and after-sales duties; protect consumer rights.",
        True,
    ),
    (
        "C07",
        "依法收集、使用和保护个人信息。",
        "Collect, use and protect personal information lawfully.",
        True,
    ),
    (
        "C08",
        "在首页显著位置持续公示营业执照信息、行政许可信息（电子商务法第十五条）。",
        "Display licence information prominently (E-commerce Law Art. 15).",
        True,
    ),
    ("C09", "不实施不正当竞争行为。", "No unfair competition.", True),
    (
        "C10",
        "自觉接受政府部门、行业组织、社会公众和新闻媒体的监督。",
        "Accept supervision by authorities, associations, the public and the press.",
        True,
    ),
    (
        "C11",
        "违背承诺的，愿意依法承担相应责任，并同意将违诺信息记入信用记录、依法公开。",
        "If the pledge is broken, accept liability and its entry in the credit record.",
        True,
    ),
    (
        "C12",
        "同意本承诺在江苏省电子商务信用公共服务平台公开。",
        "Consent to publish this pledge on the platform.",
        True,
    ),
]

REPAIR_CLAUSES = [
    (
        "R01",
        "已经纠正失信行为、消除不良影响。",
        "The dishonest conduct has been corrected and its effects removed.",
        True,
    ),
    (
        "R02",
        "已经履行行政处罚等相关法定义务。",
        "All legal obligations (penalties etc.) have been met.",
        True,
    ),
    (
        "R03",
        "所提交的信用修复申请材料真实、准确、完整。",
        "Repair application materials are true, accurate and complete.",
        True,
    ),
    (
        "R04",
        "今后依法诚信经营，不再发生同类失信行为。",
        "Operate honestly from now on; the conduct will not recur.",
        True,
    ),
    (
        "R05",
        "如违背承诺，愿意接受相应惩戒，并同意公开本承诺。",
        "Accept sanctions if this pledge is broken, and consent to publish it.",
        True,
    ),
]

SEED_TEMPLATES = [
    {
        "code": "ECOM-STD",
        "type": "voluntary_public",
        "title": "电子商务经营者诚信经营承诺书",
        "title_en": "E-commerce operator integrity pledge",
        "preamble": "为营造诚实守信的网络交易环境，本经营者郑重承诺：",
        "preamble_en": "To foster an honest online marketplace, we solemnly pledge:",
        "clauses": STANDARD_CLAUSES,
    },
    {
        "code": "CREDIT-REPAIR",
        "type": "credit_repair",
        "title": "信用修复承诺书",
        "title_en": "Credit repair pledge",
        "preamble": "本经营者申请信用修复，郑重承诺：",
        "preamble_en": "Applying for credit repair, we solemnly pledge:",
        "clauses": REPAIR_CLAUSES,
    },
]
