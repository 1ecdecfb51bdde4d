"""What model 2026.2 promises, over generated facts, and its licence-display rule one
condition at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings

from credit.ratings.catalog import PACKAGED, load
from credit.scoring import rate
from credit.scoring.facts import BreachFact
from tests.unit.scoring_facts import AS_OF, enterprise_facts, firm, pledge, violation

CATALOG = load(PACKAGED)
MODEL = CATALOG.get("2026.2")
OLD = CATALOG.get("2026.1")
FAST = settings(max_examples=300, deadline=None)


def _serious_counts(facts) -> bool:
    return any(v.severity == "serious" and v.counts_on(AS_OF) for v in facts.violations)


def _listed(facts) -> bool:
    return any(s.listed(AS_OF) for s in facts.serious_list)


@FAST
@given(enterprise_facts())
def test_a_public_serious_record_keeps_the_firm_in_tier_c(facts) -> None:
    r = rate(facts, AS_OF, MODEL)
    if _serious_counts(facts):
        assert r.tier == "C" and r.score <= 449
    if _listed(facts):
        assert r.grade == "C" and r.score <= 199


@FAST
@given(enterprise_facts())
def test_without_a_serious_finding_a_firm_stays_out_of_tier_c(facts) -> None:
    """General records and breached pledges alone never go below B (450): tier C is the
    legal findings' (a serious record, the serious list)."""
    if not _serious_counts(facts) and not _listed(facts):
        assert rate(facts, AS_OF, MODEL).score >= MODEL.floor_of("B")


@FAST
@given(enterprise_facts())
def test_a_public_record_keeps_the_firm_out_of_tier_a(facts) -> None:
    if any(v.severity in {"general", "serious"} and v.counts_on(AS_OF) for v in facts.violations):
        assert rate(facts, AS_OF, MODEL).tier != "A"


# -- licence display (C08): the rule the README states, one condition at a time ------------
ESTABLISHED = {"registration_date": AS_OF - timedelta(days=4000), "shops": 1}


def _licence(facts, model=MODEL) -> int:
    return sum(c.points for c in rate(facts, AS_OF, model).contributions if c.code == "LICENCE")


def test_licence_display_needs_a_pledge_in_force_with_the_clause() -> None:
    assert _licence(firm(**ESTABLISHED, pledges=(pledge("p1"),))) == 15
    assert _licence(firm(**ESTABLISHED, pledges=(pledge("p1", clauses=("C01", "C03")),))) == 0
    assert _licence(firm(**ESTABLISHED)) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"start": AS_OF + timedelta(days=10)},  # not yet valid (published ahead)
        {"start": AS_OF - timedelta(days=800)},  # ended: completed, no longer in force
        {"withdrawn_on": AS_OF - timedelta(days=1)},
        {"superseded_on": AS_OF - timedelta(days=1)},
    ],
    ids=["not-yet-valid", "ended", "withdrawn", "superseded"],
)
def test_licence_display_needs_the_pledge_in_force_and_current(change) -> None:
    start = change.pop("start", AS_OF - timedelta(days=30))
    p = pledge("p1", start=start, **change)
    if start > AS_OF:
        p = replace(p, published_on=AS_OF - timedelta(days=1))
    assert _licence(firm(**ESTABLISHED, pledges=(p,))) == 0


def test_a_licence_display_record_takes_it_away_while_it_counts() -> None:
    record = violation("v1", category="licence_display", decided=AS_OF - timedelta(days=20))
    facts = firm(**ESTABLISHED, pledges=(pledge("p1"),), violations=(record,))
    assert _licence(facts) == 0
    repaired = replace(record, status="repaired", ended_on=AS_OF - timedelta(days=1))
    assert _licence(replace(facts, violations=(repaired,))) == 15
    # ... and time alone brings it back: the record's window end is a change date
    later = rate(facts, AS_OF, MODEL).next_change
    assert later is not None and later <= record.publish_until + timedelta(days=1)


def test_a_breach_of_the_licence_clause_takes_it_away() -> None:
    v = violation("v1", category="licence_display")
    breached = pledge("p1", breaches=(BreachFact("v1", "C08", AS_OF),))
    assert _licence(firm(**ESTABLISHED, pledges=(breached,), violations=(v,))) == 0


def test_a_breach_of_another_clause_leaves_it_under_2026_2_but_not_2026_1() -> None:
    """The fix: 2026.2 does what the published rules say (the breach of C03 costs the
    pledge its credit, not the licence display); 2026.1 keeps what it did when published."""
    v = violation("v1", category="fake_orders")
    breached = pledge("p1", breaches=(BreachFact("v1", "C03", AS_OF),))
    facts = firm(**ESTABLISHED, pledges=(breached,), violations=(v,))
    assert _licence(facts) == 15
    assert _licence(facts, OLD) == 0
    codes = {c.code for c in rate(facts, AS_OF, MODEL).contributions}
    assert "PLEDGE_BREACHED" in codes and "PLEDGE_IN_FORCE" not in codes


def test_a_revoked_breach_gives_it_back() -> None:
    v = violation("v1", category="licence_display", status="revoked", ended_on=AS_OF)
    revoked = pledge(
        "p1", breaches=(BreachFact("v1", "C08", AS_OF - timedelta(days=5), revoked_on=AS_OF),)
    )
    assert _licence(firm(**ESTABLISHED, pledges=(revoked,), violations=(v,))) == 15
