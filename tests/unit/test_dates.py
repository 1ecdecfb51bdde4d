"""Every bound of ``credit.dates`` at its edges (the day before and the day of each end),
the input fields that use them, and the scoring arithmetic that no far date overflows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from marshmallow import Schema, ValidationError

from credit import clock, dates
from credit.enterprises.schemas import EnterpriseRecordSchema
from credit.pledges.schemas import PledgeInputSchema, PledgePatchSchema
from credit.scoring.calendar import add_months, months_between, next_day
from credit.scoring.engine import rate
from credit.scoring.facts import CommendationFact, PledgeFact, SeriousListFact
from credit.scoring.outlook import actions, outlook
from credit.violations.schemas import (
    CommendationInputSchema,
    SeriousListInputSchema,
    ViolationInputSchema,
)
from tests.unit.scoring_facts import AS_OF, firm, pledge, violation

TODAY = date(2028, 2, 29)  # a leap day: "a year from today" must not be a day that is not
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def fixed_today():
    clock.set_clock(lambda: datetime(2028, 2, 28, 18, 0, tzinfo=UTC))  # 29 Feb in China
    yield
    clock.set_clock(None)


def _one_field(bound: dates.Bound) -> Schema:
    return Schema.from_dict({"d": dates.BoundedDate(bound, required=True)})()


EDGES = {
    # bound: (earliest, latest) on TODAY, written out
    "decision": (date(2023, 5, 1), TODAY),
    "standing_end": (date(2023, 5, 1), date(2033, 2, 28)),
    "pledge_start": (date(2027, 2, 28), date(2029, 2, 28)),
    "pledge_end": (date(2027, 2, 28), date(2033, 2, 28)),
    "registration": (date(1949, 10, 1), TODAY),
    "filter": (date(1949, 10, 1), date(2033, 2, 28)),
    "replay": (date(2000, 1, 1), TODAY),
}


def test_every_bound_is_tested() -> None:
    assert {b.name for b in dates.BOUNDS} == set(EDGES)
    assert clock.today() == TODAY


@pytest.mark.parametrize("bound", dates.BOUNDS, ids=lambda b: b.name)
def test_edges(bound: dates.Bound) -> None:
    lo, hi = EDGES[bound.name]
    assert bound.range() == (lo, hi)
    schema = _one_field(bound)
    for inside in (lo, hi):
        assert schema.load({"d": inside.isoformat()}) == {"d": inside}
    for outside in (lo - DAY, hi + DAY):
        with pytest.raises(ValidationError) as err:
            schema.load({"d": outside.isoformat()})
        [message] = err.value.messages["d"]
        assert f"应在 {lo} 至 {hi} 之间" in message and f"must be from {lo} to {hi}" in message


def test_earliest_decision_is_the_first_rule_in_force() -> None:
    from credit.violations import rules

    assert dates.earliest_record() == rules.versions()[0].effective_from
    rules.rule_for(dates.earliest_record())  # a window exists on the first day
    with pytest.raises(LookupError):
        rules.rule_for(dates.earliest_record() - DAY)


@pytest.mark.parametrize("text", ["9999-99-99", "10000-01-01", "yesterday", "", "2026-02-30"])
def test_what_is_not_a_date_says_so_in_both_languages(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        _one_field(dates.FILTER).load({"d": text})
    assert err.value.messages["d"] == [dates.INVALID_DATE]


FIELDS = [
    (PledgeInputSchema, "valid_from", dates.PLEDGE_START),
    (PledgeInputSchema, "valid_until", dates.PLEDGE_END),
    (PledgePatchSchema, "valid_from", dates.PLEDGE_START),
    (PledgePatchSchema, "valid_until", dates.PLEDGE_END),
    (ViolationInputSchema, "decision_date", dates.DECISION),
    (SeriousListInputSchema, "listed_on", dates.DECISION),
    (SeriousListInputSchema, "remove_on", dates.STANDING_END),
    (CommendationInputSchema, "granted_on", dates.DECISION),
    (CommendationInputSchema, "valid_until", dates.STANDING_END),
    (EnterpriseRecordSchema, "registration_date", dates.REGISTRATION),
]


@pytest.mark.parametrize(
    ("schema", "name", "bound"), FIELDS, ids=lambda x: getattr(x, "__name__", str(x))
)
def test_input_fields_use_their_bound(schema: type[Schema], name: str, bound) -> None:
    field = schema().fields[name]
    assert isinstance(field, dates.BoundedDate) and field.bound is bound
    lo, hi = bound.range()
    for outside in (lo - DAY, hi + DAY):
        with pytest.raises(ValidationError) as err:
            schema().load({name: outside.isoformat()}, partial=True)
        assert name in err.value.messages


def test_no_input_schema_takes_an_unbounded_date() -> None:
    """Every date field of an input schema in credit/ and api/ is a ``BoundedDate``."""
    import importlib
    import inspect
    import pkgutil

    from marshmallow import fields

    import api
    import credit

    unbounded, bounded = [], set()
    for package in (credit, api):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if not issubclass(cls, Schema) or cls.__module__ != module.__name__:
                    continue
                if cls.Meta.__dict__.get("unknown") is None and not cls.__name__.endswith(
                    ("Args", "InputSchema", "PatchSchema")
                ):
                    continue  # output schemas (dumped, never loaded)
                for name, field in cls._declared_fields.items():
                    if isinstance(field, dates.BoundedDate):
                        bounded.add(f"{cls.__name__}.{name}")
                    elif isinstance(field, fields.Date):
                        unbounded.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert unbounded == []
    # The walk saw the query arguments and the bodies (a guard against finding nothing).
    assert {
        "SearchArgs.date_from",
        "PledgeListArgs.published_to",
        "ViolationListArgs.decided_from",
        "StatisticsArgs.decided_to",
        "ReplayArgs.as_of",
        "BatchItemSchema.valid_until",
        "CommendationInputSchema.valid_until",
    } <= bounded


# -- defence in depth: the pure scoring code never overflows -----------------------------
FAR = [date.max, date.max - DAY, date(9999, 12, 1), date(9995, 1, 1)]


def test_calendar_saturates() -> None:
    assert add_months(date.max, 1) == date.max
    assert add_months(date(9999, 12, 1), 1) == date.max
    assert add_months(date(9999, 11, 30), 1) == date(9999, 12, 30)
    assert add_months(date.min, -1) == date.min
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert next_day(date.max) == date.max
    assert next_day(date.max - DAY) == date.max
    assert months_between(AS_OF, date.max) > 0


@pytest.mark.parametrize("far", FAR, ids=str)
def test_far_dates_on_record_are_rated(far: date) -> None:
    """Records ending on (or near) the last date there is: rated, explained, with no
    'next change' at the end of time."""
    facts = firm(
        pledges=(pledge("p1", start=AS_OF - timedelta(days=10)),),
        violations=(violation("v1", "serious", AS_OF - timedelta(days=40)),),
        commendations=(CommendationFact("c1", "示范企业", AS_OF - DAY, far),),
        serious_list=(SeriousListFact("s1", AS_OF - DAY, far),),
    )
    far_pledge = PledgeFact("p2", "s-p2", "voluntary_public", ("C01",), AS_OF, AS_OF, far)
    facts = replace(facts, pledges=(*facts.pledges, far_pledge))
    r = rate(facts, AS_OF, _model())
    assert r.next_change is None or r.next_change < date.max
    assert {c.code for c in r.contributions} >= {"COMMENDATION", "PLEDGE_IN_FORCE"}
    assert outlook(facts, AS_OF, _model())  # milestones within the horizon, no overflow
    actions(facts, AS_OF, _model())
    # Rated on the last day there is, too.
    rate(facts, date.max, _model())


def _model():
    from credit.ratings import catalog

    return catalog.load(catalog.PACKAGED).get()
