"""Hand-made cases for each grade and each hard rule, scores worked out from the published
model 2026.1 by hand (see the arithmetic beside each case)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from credit.ratings.catalog import PACKAGED, load
from credit.scoring import CommendationFact, SeriousListFact, rate
from credit.scoring.facts import BreachFact
from tests.unit.scoring_facts import AS_OF, firm, pledge, violation

MODEL = load(PACKAGED).get("2026.1")
MATURE = AS_OF - timedelta(days=8 * 365)  # more than 5 full years: 5 * 12 = 60
# Model 2026.1 by hand:
#   pledges in force, cap 150, scale 1.5: 1 -> 150(1-e^-2/3) = 72.99 -> 73; 2 -> 110.46
#   -> 110; 3 -> 129.70 -> 130.  Commendations, cap 100, scale 1: 1 -> 63; 2 -> 86.47 -> 86.
#   Violations, cap 550, scale 2.5, decay 0.95/month: general fresh (load 1) -> 181.32
#   -> 181; serious fresh (load 3) -> 384.35 -> 384; two serious (load 6) -> 500.10 -> 500.
#   Breaches, cap 100, scale 1: one -> 63.
ALL_DISCLOSED = {"registration_date": MATURE, "shops": 2, "customer_service": True}
THREE = (pledge("p1"), pledge("p2"), pledge("p3"))
TWO_COMMENDATIONS = tuple(
    CommendationFact(
        f"c{i}", "江苏省电子商务示范企业", AS_OF - timedelta(days=10), AS_OF + timedelta(days=700)
    )
    for i in (1, 2)
)

CASES = {
    # 650 + 60 + 15 + 10 + 15 (licence) + 130 + 86 = 966
    "AAA": (firm(**ALL_DISCLOSED, pledges=THREE, commendations=TWO_COMMENDATIONS), 966),
    # 650 + 60 + 15 + 10 + 15 + 110 = 860: the AA floor exactly
    "AA": (firm(**ALL_DISCLOSED, pledges=THREE[:2]), 860),
    # 650 + 60 + 15 + 10 + 15 + 73 = 823
    "A": (firm(**ALL_DISCLOSED, pledges=THREE[:1]), 823),
    # a firm registered today that declared nothing: the base, the BBB floor exactly
    "BBB": (firm(), 650),
    # 650 + 60 + 15 + 10 - 181 = 554
    "BB": (firm(**ALL_DISCLOSED, violations=(violation("v1"),)), 554),
    # 650 - 181 = 469
    "B": (firm(violations=(violation("v1"),)), 469),
    # 650 + 60 + 15 + 10 + 73 (no licence clause) - 384 = 424
    "CCC": (
        firm(
            **ALL_DISCLOSED,
            pledges=(pledge("p1", clauses=("C01",)),),
            violations=(violation("v1", "serious"),),
        ),
        424,
    ),
    # 650 - 384 = 266
    "CC": (firm(violations=(violation("v1", "serious"),)), 266),
    # 650 - 500 = 150
    "C": (firm(violations=(violation("v1", "serious"), violation("v2", "serious"))), 150),
}


@pytest.mark.parametrize("grade", list(CASES))
def test_each_grade(grade: str) -> None:
    facts, score = CASES[grade]
    r = rate(facts, AS_OF, MODEL)
    assert (r.score, r.grade) == (score, grade)
    assert r.tier == grade[0]
    assert sum(c.points for c in r.contributions) == r.score


def test_serious_list_caps_in_tier_c() -> None:
    facts = replace(
        CASES["AAA"][0],
        serious_list=(
            SeriousListFact("s1", AS_OF - timedelta(days=30), AS_OF + timedelta(days=1000)),
        ),
    )
    r = rate(facts, AS_OF, MODEL)
    assert (r.score, r.grade, r.tier) == (449, "CCC", "C")
    cut = [c for c in r.contributions if c.family == "hard_rule"]
    assert [(c.code, c.points, c.ref) for c in cut] == [("HARD_SERIOUS_LIST", 449 - 966, "s1")]
    # removed from the list on remove_on: the cap goes with it
    after = rate(facts, AS_OF + timedelta(days=1000), MODEL)
    assert "HARD_SERIOUS_LIST" not in after.hard_rules


@pytest.mark.parametrize("status", ["revoked", "cancelled"])
def test_revoked_or_cancelled_firm_is_not_rated_trustworthy(status: str) -> None:
    facts = replace(CASES["AAA"][0], status=status)
    r = rate(facts, AS_OF, MODEL)
    assert (r.score, r.grade, r.tier) == (799, "BBB", "B")
    assert r.hard_rules == ("HARD_INACTIVE",)


def test_public_serious_record_is_not_rated_trustworthy() -> None:
    # decided 30 months ago: weight 3 * 0.95^30 = 0.6439 -> 550(1-e^-0.2576) = 124.9 -> 125
    # raw 966 - 125 = 841, capped at 799
    decided = date(2024, 5, 26)
    facts = replace(CASES["AAA"][0], violations=(violation("v9", "serious", decided),))
    r = rate(facts, AS_OF, MODEL)
    assert r.score == 799
    assert [(c.code, c.points) for c in r.contributions if c.family == "hard_rule"] == [
        ("HARD_SERIOUS_VIOLATION", 799 - 841)
    ]


def test_records_that_do_not_count() -> None:
    week_ago = AS_OF - timedelta(days=7)
    gone = (
        violation("v1", decided=week_ago, status="repaired", ended_on=AS_OF - timedelta(days=1)),
        violation("v2", decided=week_ago, status="revoked", ended_on=AS_OF),
        violation("v3", decided=AS_OF - timedelta(days=400)),  # 12-month window ended
        violation("v4", "minor"),
    )  # minor: not published
    r = rate(firm(violations=gone), AS_OF, MODEL)
    assert r.score == 650 and [c.code for c in r.contributions] == ["BASE"]
    # ... but a replay before the repair and the revocation counts them
    before = rate(firm(violations=gone[:2]), AS_OF - timedelta(days=2), MODEL)
    assert before.score < 650


def test_breached_pledge_loses_its_credit_and_costs_points() -> None:
    # 650 - 181 (the violation) - 63 (one breach); the pledge's 73 and licence 15 are gone
    breached = pledge("p1", breaches=(BreachFact("v1", "C04", AS_OF),))
    r = rate(firm(pledges=(breached,), violations=(violation("v1"),)), AS_OF, MODEL)
    assert r.score == 650 - 181 - 63
    assert {c.code for c in r.contributions} == {"BASE", "VIOLATION", "PLEDGE_BREACHED"}


def test_decay_and_next_change() -> None:
    decided = AS_OF - timedelta(days=40)  # one whole month: 0.95 -> 550(1-e^-0.38) = 173.9
    r = rate(firm(violations=(violation("v1", decided=decided),)), AS_OF, MODEL)
    assert r.score == 650 - 174
    assert r.next_change == date(2026, 12, 17)  # the next whole month since the decision


def test_contributions_name_their_records_and_explain_in_both_languages() -> None:
    r = rate(CASES["CCC"][0], AS_OF, MODEL)
    v = next(c for c in r.contributions if c.code == "VIOLATION")
    assert v.ref == "v1" and dict(v.params)["severity"] == "serious"
    for c in r.contributions:
        assert set(MODEL.reasons[c.code]) == {"zh", "en"}
