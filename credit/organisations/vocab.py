"""Words of the organisations area (Chinese and English) and the seed 行业自律型 template.

Legal anchors (read in LawRefBook/Laws 民法商法/电子商务法.md): 电子商务法 Art. 7 (a market
governance system in which authorities, e-commerce industry organisations, operators and
consumers take part) and Art. 8 (industry organisations practise self-discipline under
their charters, set industry norms, promote integrity). Neither gives an organisation
power to publish a penalty: Art. 86 records violations in credit files "依照有关法律、行政
法规", which is the authorities' job, hence a referral and never a public record.
"""

from __future__ import annotations

from credit.pledges.vocab import STANDARD_CLAUSES

#: kind -> (Chinese, English)
ORGANISATION_KINDS: dict[str, tuple[str, str]] = {
    "association": ("行业协会", "industry association"),
    "chamber": ("商会", "chamber of commerce"),
    "alliance": ("产业联盟", "industry alliance"),
    "other": ("其他行业组织", "other industry organisation"),
}

CONVENTION_STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "published": ("现行版本", "in force"),
    "superseded": ("已被新版本替代", "superseded"),
}

MEMBERSHIP_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("待企业确认", "invited, awaiting the firm"),
    "confirmed": ("会员", "member"),
    "declined": ("企业已拒绝", "declined by the firm"),
    "ended": ("已退出", "ended"),
}
#: A pair has at most one membership in these states (``Membership.open_pair``).
OPEN_MEMBERSHIP = frozenset({"pending", "confirmed"})

REFERRAL_STATUSES: dict[str, tuple[str, str]] = {
    "submitted": ("已转交，待监管机关处理", "referred, awaiting the authority"),
    "accepted": (
        "监管机关已受理，将依其法定程序处理",
        "accepted: the authority handles it through its own procedure",
    ),
    "declined": ("监管机关不予受理", "declined by the authority"),
}

#: A member's state in a campaign, best first: the pledge states of
#: credit/keyfirms/vocab.py COVERAGE_STATES, then "filed" (a draft: shown to the
#: organisation as a state only, never its content), "joined" and "not_joined".
PARTICIPATION_STATES: dict[str, tuple[str, str]] = {
    "in_force": ("承诺有效", "pledge in force"),
    "expiring": ("承诺即将到期（30 日内）", "pledge expiring within 30 days"),
    "scheduled": ("承诺已公示，尚未生效", "pledge published, not yet in force"),
    "breached": ("承诺已违反", "pledge breached"),
    "expired": ("承诺已过期", "pledge expired"),
    "withdrawn": ("承诺已撤回", "pledge withdrawn"),
    "filed": ("已填报，尚未公示", "filed, not yet published"),
    "joined": ("已参加，尚未填报", "joined, nothing filed yet"),
    "not_joined": ("尚未参加", "not joined"),
}
#: States that count as a published pledge in force (the campaign's coverage).
IN_FORCE = frozenset({"in_force", "expiring", "scheduled"})

# Bounds of free text and lists (inputs are refused beyond them, never cut).
MAX_CLAUSES = 50
MAX_CLAUSE_TEXT = 2000
MAX_PREAMBLE = 5000
MAX_FACTS = 5000
MAX_EVIDENCE = 10
MAX_CAMPAIGN_DAYS = 5 * 366

SELF_DISCIPLINE_CODE = "INDUSTRY-SELF"
#: The standard template's clauses the self-discipline pledge repeats, in the standard's order.
_SHARED_CLAUSES = frozenset({"C02", "C03", "C04", "C06", "C07", "C10", "C11", "C12"})
SELF_DISCIPLINE_TEMPLATE = {
    "code": SELF_DISCIPLINE_CODE,
    "type": "industry_self_discipline",
    "title": "电子商务行业自律承诺书",
    "title_en": "E-commerce industry self-discipline pledge",
    "preamble": "作为行业组织会员，本经营者响应行业自律倡议，郑重承诺：",
    "preamble_en": "As a member of an industry organisation, we solemnly pledge:",
    # Clause codes shared with the standard template keep their meaning (and the breach
    # table's categories, credit/data/breach_rules.json), so they are taken from it word for
    # word; S01 is this template's own.
    "clauses": [
        (
            "S01",
            "遵守所属行业组织的自律公约，接受行业组织的自律管理。",
            "Keep the self-discipline convention of our industry organisation and accept "
            "its self-regulation.",
            True,
        ),
        *(clause for clause in STANDARD_CLAUSES if clause[0] in _SHARED_CLAUSES),
    ],
}
