"""The explanation's caps, path to the next grade and actions (issue 17 item 4), over the
rating model: properties over generated facts (hypothesis) and the cases users met."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings

from credit.ratings.catalog import PACKAGED, load
from credit.ratings.guidance import RecordCase, describe_caps, firm_actions, next_grade
from credit.scoring import rate
from credit.scoring.calendar import add_months
from credit.scoring.facts import SeriousListFact
from tests.unit.scoring_facts import AS_OF, enterprise_facts, firm, pledge, violation

CATALOG = load(PACKAGED)
MODELS = sorted(CATALOG.models.values(), key=lambda m: m.version)
IN_FORCE = CATALOG.get()
FAST = settings(max_examples=200, deadline=None)
each_model = pytest.mark.parametrize("model", MODELS, ids=[m.version for m in MODELS])


def test_the_model_in_force_is_among_those_checked() -> None:
    assert IN_FORCE in MODELS


@each_model
@FAST
@given(enterprise_facts())
def test_points_needed_is_offered_only_when_points_really_reach_the_grade(model, facts) -> None:
    r = rate(facts, AS_OF, model)
    step = next_grade(facts, AS_OF, model, r)
    if step is None:
        assert r.grade == model.grade_floors[0][0]
        return
    binding = any(c.family == "hard_rule" for c in r.contributions)
    if binding:  # a cap cuts the score: no number of points is offered
        assert step["points_needed"] is None and step["held_by"]
    if step["points_needed"] is None:
        # held: even a thousand points more do not reach the grade above
        assert rate(facts, AS_OF, model, extra_points=1000).score < step["min_score"]
        assert "还差" not in step["text"] and "short of" not in step["text_en"]
    else:
        n = step["points_needed"]
        assert n > 0
        assert rate(facts, AS_OF, model, extra_points=n).grade == step["grade"]
        assert model.grade_of(rate(facts, AS_OF, model, extra_points=n - 1).score) == r.grade
        assert f"还差 {n} 分" in step["text"]


@each_model
@FAST
@given(enterprise_facts())
def test_every_cap_is_in_words_in_both_languages(model, facts) -> None:
    r = rate(facts, AS_OF, model)
    caps = describe_caps(facts, AS_OF, model, r)
    assert {c["code"] for c in caps} == set(r.hard_rules)
    for c in caps:
        for key in ("text", "text_en", "lift", "lift_en"):
            assert c[key] and "HARD_" not in c[key] and "{" not in c[key]
    cut = [c for c in r.contributions if c.family == "hard_rule"]
    assert sum(c["binding"] for c in caps) == len(cut)


@each_model
@FAST
@given(enterprise_facts())
def test_every_public_active_record_offers_a_repair_with_its_date(model, facts) -> None:
    acts = firm_actions(facts, AS_OF, model, None, {})
    repairs = {a["ref"]: a for a in acts if a["code"] == "REPAIR"}
    for v in facts.violations:
        if v.status == "active" and v.counts_on(AS_OF):
            a = repairs[v.id]
            assert a["available_from"] == max(v.repairable_from, AS_OF)
            if a["available_from"] > AS_OF or v.objection_pending:
                assert str(a["available_from"]) in a["text"]
            else:
                assert "现在可申请信用修复" in a["text"] and "now" in a["text_en"]
            objects = any(x["code"] == "OBJECT" and x["ref"] == v.id for x in acts)
            assert objects != v.objection_pending


def _listed_with_repairable_record():
    """The firm users met: on the serious list, with a public serious record that becomes
    repairable, the points just below B."""
    decided = AS_OF - timedelta(days=400)
    v = violation("v1", "serious", decided)
    listing = SeriousListFact("s1", AS_OF - timedelta(days=100), add_months(AS_OF, 24))
    return firm(
        violations=(v,),
        serious_list=(listing,),
        pledges=(pledge(start=AS_OF - timedelta(days=330)),),
    )


def test_a_listed_firm_is_told_the_cap_in_words_and_no_points() -> None:
    facts = _listed_with_repairable_record()
    r = rate(facts, AS_OF, IN_FORCE)
    caps = describe_caps(facts, AS_OF, IN_FORCE, r)
    listing = next(c for c in caps if c["code"] == "HARD_SERIOUS_LIST")
    assert "严重失信主体名单" in listing["text"] and "serious dishonesty list" in listing["text_en"]
    assert str(add_months(AS_OF, 24)) in listing["text"]
    assert "提前移出" in listing["lift"] and "early removal" in listing["lift_en"]
    earliest = add_months(AS_OF - timedelta(days=100), 12)
    assert str(earliest) in listing["lift"]
    step = next_grade(facts, AS_OF, IN_FORCE, r, caps)
    assert step is not None and step["points_needed"] is None
    assert "HARD_SERIOUS_LIST" in step["held_by"]
    assert "加分不能" in step["text"] and "No points" in step["text_en"]


def test_a_repair_is_listed_even_when_the_cap_keeps_its_gain_at_zero() -> None:
    facts = _listed_with_repairable_record()
    acts = firm_actions(facts, AS_OF, IN_FORCE, None, {})
    repair = next(a for a in acts if a["code"] == "REPAIR")
    assert repair["state"] == "available" and repair["available_from"] == AS_OF
    assert "苏市监处罚〔2026〕v1号" in repair["text"]
    renew = [a for a in acts if a["code"] == "RENEW_PLEDGE"]
    assert renew and str(renew[0]["until"]) in renew[0]["text"]


def test_a_pending_repair_says_since_when_and_offers_no_objection() -> None:
    facts = _listed_with_repairable_record()
    since = AS_OF - timedelta(days=2)
    acts = firm_actions(facts, AS_OF, IN_FORCE, None, {"v1": RecordCase(since)})
    repair = next(a for a in acts if a["code"] == "REPAIR")
    assert repair["state"] == "pending" and repair["since"] == since
    assert f"申请中（自 {since} 起）" in repair["text"]
    assert not [a for a in acts if a["code"] == "OBJECT"]


def test_a_record_excluded_from_repair_says_publicity_ends() -> None:
    facts = firm(violations=(violation("v1", "serious", AS_OF - timedelta(days=400)),))
    r = rate(facts, AS_OF, IN_FORCE)
    cases = {"v1": RecordCase(repair_excluded=True)}
    caps = describe_caps(facts, AS_OF, IN_FORCE, r, None, cases)
    assert caps and "市场监管总局令第45号第十四条第三款" in caps[0]["lift"]
    acts = firm_actions(facts, AS_OF, IN_FORCE, None, cases)
    assert not [a for a in acts if a["code"] == "REPAIR"]


def test_a_later_repair_names_its_first_day() -> None:
    decided = AS_OF - timedelta(days=30)
    facts = firm(violations=(violation("v1", "serious", decided),))
    acts = firm_actions(facts, AS_OF, IN_FORCE, None, {})
    repair = next(a for a in acts if a["code"] == "REPAIR")
    assert repair["state"] == "later"
    assert repair["available_from"] == add_months(decided, 12)
    assert f"自 {add_months(decided, 12)} 起可申请信用修复" in repair["text"]


def test_the_public_sees_no_cases_and_no_objection() -> None:
    facts = _listed_with_repairable_record()
    acts = firm_actions(facts, AS_OF, IN_FORCE, {"v1", "s1"}, None)
    assert [a["code"] for a in acts if a["ref"] == "v1"] == ["REPAIR"]
    hidden = firm_actions(facts, AS_OF, IN_FORCE, set(), None)
    assert not [a for a in hidden if a["ref"] == "v1"]


def test_no_suggestion_only_when_nothing_applies() -> None:
    facts = firm(
        shops=2,
        customer_service=True,
        pledges=(pledge(start=AS_OF - timedelta(days=10)),),
    )
    assert firm_actions(facts, AS_OF, IN_FORCE, None, {}) == []
    expiring = replace(facts, pledges=(pledge(start=AS_OF - timedelta(days=340)),))
    assert [a["code"] for a in firm_actions(expiring, AS_OF, IN_FORCE, None, {})] == [
        "RENEW_PLEDGE"
    ]
