"""Reference firms: the grade each must get under model 2026.2, and why.

This is the calibration the model is held to (and the table in the README's "How ratings
work"): a firm described in plain words, its facts, the grade it must get, and the reason in
one line. ``tests/ratings/test_reference_firms.py`` rates each with the pure engine and checks
that the README shows this same table; print the table with
``.venv/bin/python -m tests.ratings.reference_firms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from credit.scoring import CommendationFact, EnterpriseFacts, SeriousListFact, rate
from credit.scoring.facts import BreachFact
from credit.scoring.model import ScoringModel
from tests.unit.scoring_facts import AS_OF, firm, pledge, violation

MODEL_VERSION = "2026.2"
ESTABLISHED = AS_OF - timedelta(days=12 * 365)  # more than 10 full years
DECLARED = {"registration_date": ESTABLISHED, "shops": 2, "customer_service": True}
MONTHS_AGO = {n: AS_OF - timedelta(days=round(30.5 * n)) for n in (6, 30)}


def _commendation(cid: str = "c1") -> CommendationFact:
    return CommendationFact(
        cid, "江苏省电子商务示范企业", AS_OF - timedelta(days=30), AS_OF + timedelta(days=700)
    )


def _listed() -> SeriousListFact:
    return SeriousListFact("s1", AS_OF - timedelta(days=60), AS_OF + timedelta(days=1000))


@dataclass(frozen=True)
class ReferenceFirm:
    name: str  # who it is, in a few words (Chinese / English)
    facts: EnterpriseFacts
    grade: str  # the grade it must get under MODEL_VERSION
    why: str  # one line


#: A pledge in force with the licence-display clause (C08), one without.
PLEDGE = pledge("p1")
PLEDGE_NO_C08 = pledge("p1", clauses=("C01", "C03"))

REFERENCE_FIRMS: tuple[ReferenceFirm, ...] = (
    ReferenceFirm(
        "新设立，未登记任何信息 / registered today, nothing declared",
        firm(),
        "BBB",
        "Nothing known for or against it: the base score, fair.",
    ),
    ReferenceFirm(
        "成立十年以上，信息齐全，无承诺 / established, shops and contact declared, no pledge",
        firm(**DECLARED),
        "BBB",
        "Age and disclosure alone are not a record of keeping its word.",
    ),
    ReferenceFirm(
        "新设立，信息齐全，一项承诺 / new, declared, one pledge in force",
        firm(shops=1, customer_service=True, pledges=(PLEDGE,)),
        "A",
        "A public pledge it keeps, licence shown: good, even without a history.",
    ),
    ReferenceFirm(
        "两年前已完成承诺、期间未违背 / established, a pledge completed 2 years ago unbroken",
        firm(**DECLARED, pledges=(pledge("p1", start=AS_OF - timedelta(days=3 * 365)),)),
        "A",
        "A completed pledge counts at half weight for 3 years; no pledge in force now.",
    ),
    ReferenceFirm(
        "成立十年以上，信息齐全，一项承诺 / established, declared, one pledge in force",
        firm(**DECLARED, pledges=(PLEDGE,)),
        "AA",
        "A long record, everything declared, a pledge kept: very good.",
    ),
    ReferenceFirm(
        "同上，另获省级表彰 / the same, plus a provincial commendation",
        firm(**DECLARED, pledges=(PLEDGE,), commendations=(_commendation(),)),
        "AAA",
        "A clean, established firm keeping its pledge and commended: excellent.",
    ),
    ReferenceFirm(
        "两项承诺、两项表彰 / established, two pledges, two commendations",
        firm(
            **DECLARED,
            pledges=(PLEDGE, pledge("p2")),
            commendations=(_commendation("c1"), _commendation("c2")),
        ),
        "AAA",
        "The best the model can say: excellent, with room below 1000.",
    ),
    ReferenceFirm(
        "同第六家，但有一条 6 个月前的一般记录 / the commended firm with a general record from "
        "6 months ago",
        firm(
            **DECLARED,
            pledges=(PLEDGE,),
            commendations=(_commendation(),),
            violations=(violation("v1", decided=MONTHS_AGO[6]),),
        ),
        "BBB",
        "While a general record is public the firm is not in tier A (at most 749).",
    ),
    ReferenceFirm(
        "未公示证照信息的一般记录 / declared firm pledging C08, with a fresh licence-display "
        "record",
        firm(
            **DECLARED, pledges=(PLEDGE,), violations=(violation("v1", category="licence_display"),)
        ),
        "BBB",
        "The record costs points and the licence-display bonus goes with it.",
    ),
    ReferenceFirm(
        "两条一般记录并违背一项承诺条款 / established, two fresh general records, one breaching "
        "clause C03",
        firm(
            **DECLARED,
            pledges=(pledge("p1", breaches=(BreachFact("v1", "C03", AS_OF),)),),
            violations=(violation("v1"), violation("v2")),
        ),
        "BB",
        "Below average, in tier B: general records never reach tier C.",
    ),
    ReferenceFirm(
        "新设立，一条新的一般记录 / new, one fresh general record",
        firm(violations=(violation("v1"),)),
        "BB",
        "Nothing in its favour and one public record against it: below average.",
    ),
    ReferenceFirm(
        "五条一般记录、两项承诺被违背 / new, five general records, two pledges breached",
        firm(
            pledges=(
                pledge("p1", breaches=(BreachFact("v1", "C04", AS_OF),)),
                pledge("p2", breaches=(BreachFact("v2", "C04", AS_OF),)),
            ),
            violations=tuple(violation(f"v{i}") for i in range(1, 6)),
        ),
        "B",
        "The floor of general records: at most 150 + 50 points, never below 450.",
    ),
    ReferenceFirm(
        "承诺、表彰齐全，但有公示中的严重记录 / commended firm with a 30-month-old serious record",
        firm(
            **DECLARED,
            pledges=(PLEDGE,),
            commendations=(_commendation(),),
            violations=(violation("v1", "serious", MONTHS_AGO[30]),),
        ),
        "CCC",
        "A public serious record caps the score at 449 (tier C) whatever else it has.",
    ),
    ReferenceFirm(
        "新设立，一条新的严重记录 / new, one fresh serious record",
        firm(violations=(violation("v1", "serious"),)),
        "CCC",
        "A serious finding: very poor.",
    ),
    ReferenceFirm(
        "两条严重记录 / new, two fresh serious records",
        firm(violations=(violation("v1", "serious"), violation("v2", "serious"))),
        "CC",
        "Repeated serious findings: extremely poor.",
    ),
    ReferenceFirm(
        "列入严重失信主体名单 / on the serious dishonesty list, otherwise excellent",
        firm(
            **DECLARED,
            pledges=(PLEDGE,),
            commendations=(_commendation(),),
            serious_list=(_listed(),),
        ),
        "C",
        "The list is the legal finding of serious dishonesty: no creditworthiness (at most 199).",
    ),
    ReferenceFirm(
        "严重记录已修复 / established, declared, pledge, its serious record repaired",
        firm(
            **DECLARED,
            pledges=(PLEDGE,),
            violations=(
                violation(
                    "v1",
                    "serious",
                    MONTHS_AGO[30],
                    status="repaired",
                    ended_on=AS_OF - timedelta(days=10),
                ),
            ),
        ),
        "AA",
        "A repaired record no longer counts: back to very good.",
    ),
    ReferenceFirm(
        "营业执照被吊销 / registration revoked, otherwise very good",
        firm(**{**DECLARED, "status": "revoked"}, pledges=(PLEDGE,)),
        "BBB",
        "A revoked or cancelled registration is never rated in tier A (at most 749).",
    ),
)


def table(model: ScoringModel, as_of: date = AS_OF) -> str:
    """The README's table: each firm with its grade and score under ``model``."""
    rows = [
        "| # | 参考企业 Reference firm | 等级 Grade | 分数 Score | 理由 Why |",
        "|---|---|---|---|---|",
    ]
    for i, ref in enumerate(REFERENCE_FIRMS, 1):
        r = rate(ref.facts, as_of, model, digest=False)
        zh, en = model.grade_words[r.grade]
        rows.append(f"| {i} | {ref.name} | {r.grade} {zh} {en} | {r.score} | {ref.why} |")
    return "\n".join(rows)


if __name__ == "__main__":
    from credit.ratings.catalog import PACKAGED, load

    print(table(load(PACKAGED).get(MODEL_VERSION)))
