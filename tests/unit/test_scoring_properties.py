"""Properties of the scoring engine over generated facts (hypothesis), for every published
model version."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from credit.ratings.catalog import PACKAGED, load
from credit.scoring import CommendationFact, rate
from credit.scoring.facts import BreachFact
from credit.scoring.model import GRADES, MAX_SCORE, REASON_CODES
from tests.unit.scoring_facts import AS_OF, enterprise_facts, violations, with_violation

modelS = sorted(load(PACKAGED).models.values(), key=lambda m: m.version)
FAST = settings(max_examples=200, deadline=None)
each_model = pytest.mark.parametrize("model", modelS, ids=[m.version for m in modelS])


def score(model, facts, day=AS_OF) -> int:
    return rate(facts, day, model).score


@each_model
@FAST
@given(enterprise_facts())
def test_score_in_range_and_contributions_add_up(model, facts) -> None:
    r = rate(facts, AS_OF, model)
    assert 0 <= r.score <= MAX_SCORE
    assert sum(c.points for c in r.contributions) == r.score
    assert r.grade == model.grade_of(r.score) and r.tier == r.grade[0]


@each_model
@FAST
@given(enterprise_facts())
def test_deterministic(model, facts) -> None:
    again = replace(facts)  # an equal, distinct object
    assert rate(facts, AS_OF, model) == rate(again, AS_OF, model)
    assert rate(facts, AS_OF, model).inputs_digest == again.digest()


@each_model
@FAST
@given(enterprise_facts())
def test_every_nonzero_contribution_has_a_reason(model, facts) -> None:
    for c in rate(facts, AS_OF, model).contributions:
        assert c.points != 0
        assert c.code in REASON_CODES and c.code in model.reasons


@each_model
@FAST
@given(enterprise_facts(), violations("new"), st.data())
def test_adding_a_violation_never_raises(model, facts, v, data) -> None:
    more = with_violation(facts, v)
    if facts.pledges and data.draw(st.booleans()):  # ... possibly naming a pledge clause
        i = data.draw(st.integers(0, len(facts.pledges) - 1))
        p = facts.pledges[i]
        breached = replace(p, breaches=(*p.breaches, BreachFact("new", "C04", AS_OF)))
        more = replace(more, pledges=(*facts.pledges[:i], breached, *facts.pledges[i + 1 :]))
    assert score(model, more) <= score(model, facts)


@each_model
@FAST
@given(enterprise_facts(), st.data())
def test_breaching_a_pledge_never_raises(model, facts, data) -> None:
    assume(facts.pledges and facts.violations)
    i = data.draw(st.integers(0, len(facts.pledges) - 1))
    v = data.draw(st.sampled_from(facts.violations))
    p = facts.pledges[i]
    day = AS_OF - timedelta(days=data.draw(st.integers(0, 400)))
    breached = replace(p, breaches=(*p.breaches, BreachFact(v.id, "C03", day)))
    more = replace(facts, pledges=(*facts.pledges[:i], breached, *facts.pledges[i + 1 :]))
    assert score(model, more) <= score(model, facts)


@each_model
@FAST
@given(enterprise_facts(), st.data())
def test_repairing_never_lowers(model, facts, data) -> None:
    active = [i for i, v in enumerate(facts.violations) if v.status == "active"]
    assume(active)
    i = data.draw(st.sampled_from(active))
    v = facts.violations[i]
    repaired = replace(
        v, status="repaired", ended_on=AS_OF - timedelta(days=data.draw(st.integers(0, 30)))
    )
    after = replace(facts, violations=(*facts.violations[:i], repaired, *facts.violations[i + 1 :]))
    assert score(model, after) >= score(model, facts)


@each_model
@FAST
@given(enterprise_facts(), st.data())
def test_publicity_expiry_never_lowers(model, facts, data) -> None:
    candidates = [i for i, v in enumerate(facts.violations) if v.decision_date < AS_OF]
    assume(candidates)
    i = data.draw(st.sampled_from(candidates))
    v = facts.violations[i]
    ended = replace(
        v, publish_until=max(v.decision_date, AS_OF - timedelta(days=data.draw(st.integers(1, 60))))
    )
    after = replace(facts, violations=(*facts.violations[:i], ended, *facts.violations[i + 1 :]))
    assert score(model, after) >= score(model, facts)


@each_model
@FAST
@given(enterprise_facts(), st.integers(0, 365), st.integers(1, 900))
def test_a_commendation_never_lowers(model, facts, ago, left) -> None:
    c = CommendationFact(
        "new", "江苏省电子商务示范企业", AS_OF - timedelta(days=ago), AS_OF + timedelta(days=left)
    )
    assert score(model, replace(facts, commendations=(*facts.commendations, c))) >= score(
        model, facts
    )


@each_model
def test_grade_is_monotone_in_the_score(model) -> None:
    ranks = [GRADES.index(model.grade_of(s)) for s in range(MAX_SCORE + 1)]
    assert ranks == sorted(ranks, reverse=True)
    assert model.grade_of(0) == "C" and model.grade_of(MAX_SCORE) == "AAA"


@each_model
@FAST
@given(enterprise_facts(), st.data())
def test_time_alone_changes_nothing_before_next_change(model, facts, data) -> None:
    """What the freshness sweep relies on: a stored rating stays exact until next_change."""
    r = rate(facts, AS_OF, model)
    horizon = (r.next_change - AS_OF).days - 1 if r.next_change else 2000
    assume(horizon >= 1)
    later = AS_OF + timedelta(days=data.draw(st.integers(1, horizon)))
    assert rate(facts, later, model).score == r.score
