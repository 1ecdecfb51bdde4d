"""Deadlines on the working-day calendar through the API (issue 15, acceptance: a 2027
deadline is marked provisional; a date beyond the calendar is refused).

- a 2027 due date says ``provisional: true`` (objection, repair, queue); loading an
  official 2027 moves it and the flag goes away, with nothing stored to rewrite;
- a case whose deadline runs past the calendar is still filed and shows in the queue with
  its deadline unknown; loading the next year makes it known;
- where a client asks for a date (an extension, the deadline calculator) a count past the
  calendar is refused with the field named;
- the rules of a load: no gap, no silent downgrade of an official year, idempotent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.clock import CHINA
from credit.errors import Conflict, ValidationFailed
from credit.extensions import db
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from credit.workcalendar import service as calendar
from credit.workcalendar import store
from credit.workcalendar.models import CalendarYearRecord
from tests.calendars import official_2027
from tests.parties import bearer, client_token, make_pledge, make_violation


@pytest.fixture
def at():
    """``at(day)``: the clock reads 10:00 China time on ``day`` (restored afterwards)."""

    def set_day(day: date) -> None:
        moment = datetime.combine(day, time(10), CHINA).astimezone(UTC)
        clock.set_clock(lambda: moment)

    yield set_day
    clock.set_clock(None)


def load(doc: dict, **kwargs) -> calendar.LoadResult:
    with unit_of_work() as uow:
        return calendar.load_calendar_year(SYSTEM, uow, doc, **kwargs)


def provisional_2028() -> dict:
    """2028's statutory days (Art. 2 of the 2024 measures), as an operator would load them
    before the 2028 notice (lunar dates from tests/unit/test_calendar_sources.py)."""
    from tests.unit.test_calendar_sources import statutory_holidays_2024_measures

    days = sorted(statutory_holidays_2024_measures(2028))
    breaks: list[list[date]] = []
    for d in days:
        if breaks and d - breaks[-1][-1] == timedelta(days=1):
            breaks[-1].append(d)
        else:
            breaks.append([d])
    return {
        "year": 2028,
        "status": "provisional",
        "source": {"title": "《全国年节及纪念日放假办法》（2024年修订）第二条"},
        "holidays": [
            {"name": f"法定节假日 {b[0]}", "from": b[0].isoformat(), "to": b[-1].isoformat()}
            for b in breaks
        ],
        "makeup_workdays": [],
    }


def _object(client, parties, v) -> dict:
    owner = bearer(client_token(client, parties.clients["owner"]))
    r = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "处罚对象认定错误，涉事店铺非本企业经营"},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _queue(client, parties) -> list[dict]:
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    r = client.get("/api/v1/regulator/objections", headers=reg)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["items"]


def test_a_2027_deadline_is_provisional_until_the_official_2027_is_loaded(
    client, parties, at
) -> None:
    at(date(2027, 9, 29))
    objection = _object(client, parties, make_violation(parties))
    # Thu 30 Sep, then the National Day break (1-3 Oct), Mon 4 ... Thu 7 Oct.
    assert objection["due_date"] == "2027-10-07"
    deadline = objection["deadline"]
    assert deadline["provisional"] is True and deadline["provisional_years"] == [2027]
    assert deadline["known"] is True and deadline["working_days"] == 5
    assert "provisional" in deadline["note"]
    (item,) = _queue(client, parties)
    assert item["provisional"] is True and item["deadline"]["provisional"] is True
    assert (item["due_date"], item["workdays_left"], item["overdue"]) == ("2027-10-07", 5, False)

    result = load(official_2027())
    assert result.changed and result.pending == 1
    (change,) = result.deadlines_changed
    assert (change.kind, change.item_id) == ("objection", objection["id"])
    assert (change.before.due_date, change.before.provisional) == (date(2027, 10, 7), True)
    # The notice's break runs to 7 Oct: Thu 30 Sep, Fri 8, Sat 9 (worked), Mon 11, Tue 12.
    assert (change.after.due_date, change.after.provisional) == (date(2027, 10, 12), False)

    owner = bearer(client_token(client, parties.clients["owner"]))
    again = client.get(f"/api/v1/objections/{objection['id']}", headers=owner).get_json()
    assert again["due_date"] == "2027-10-12"
    assert again["deadline"]["provisional"] is False and again["deadline"]["note"] is None
    (item,) = _queue(client, parties)
    assert item["provisional"] is False and item["due_date"] == "2027-10-12"


def test_a_repair_due_in_2027_is_provisional(client, parties, at) -> None:
    at(date(2027, 9, 29))
    v = make_violation(parties, days_ago=120)
    pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    owner = bearer(client_token(client, parties.clients["owner"]))
    r = client.post(
        f"/api/v1/violations/{v.id}/repairs",
        headers=owner,
        json={"pledge_id": pledge.id, "statement": "已整改完毕并建立制度"},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["due_date"] == "2027-10-05" and body["deadline"]["provisional"] is True


def test_a_case_past_the_calendar_is_filed_flagged_and_known_once_the_year_is_loaded(
    client, parties, at
) -> None:
    at(date(2027, 12, 28))
    objection = _object(client, parties, make_violation(parties))
    assert objection["due_date"] is None
    deadline = objection["deadline"]
    assert (deadline["known"], deadline["missing_year"]) == (False, 2028)
    assert "calendar for 2028 not loaded" in deadline["note"]
    (item,) = _queue(client, parties)  # the queue still shows it, flagged
    assert item["id"] == objection["id"] and item["deadline"]["known"] is False
    assert (item["workdays_left"], item["overdue"]) == (None, False)

    load(provisional_2028())
    (item,) = _queue(client, parties)
    # Wed 29, Thu 30, Fri 31 Dec; Sat 1 Jan 2028 (New Year's Day); Mon 3, Tue 4 Jan.
    assert item["due_date"] == "2028-01-04"
    assert item["deadline"]["provisional_years"] == [2027, 2028] and item["provisional"] is True


def test_an_extension_past_the_calendar_is_refused_naming_the_field(client, parties, at) -> None:
    at(date(2027, 12, 20))
    objection = _object(client, parties, make_violation(parties))
    assert objection["due_date"] == "2027-12-27"
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    url = f"/api/v1/objections/{objection['id']}/extension"
    r = client.post(url, headers=reg, json={"days": 10, "reason": "需向平台调取交易数据"})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    (error,) = r.get_json()["errors"]
    assert (error["field"], error["code"]) == ("days", "calendar_not_loaded")
    assert "2028" in error["message"]
    # Nothing changed; an extension that stays in 2027 is fine.
    r = client.post(url, headers=reg, json={"days": 4, "reason": "需向平台调取交易数据"})
    assert r.status_code == 200
    body = r.get_json()
    assert (body["due_date"], body["extended_days"]) == ("2027-12-31", 4)


def test_the_public_calendar_and_deadline_calculator(client) -> None:
    body = client.get("/api/v1/calendar").get_json()
    assert (body["first_year"], body["last_year"]) == (2025, 2027)
    assert [(y["year"], y["status"], y["origin"]) for y in body["years"]] == [
        (2025, "official", "packaged"),
        (2026, "official", "packaged"),
        (2027, "provisional", "packaged"),
    ]
    y2027 = client.get("/api/v1/calendar/2027").get_json()
    assert y2027["provisional"] is True and "第795号" in y2027["source"]["title"]
    assert {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-03"}.items() <= (
        y2027["holidays"][-1].items()
    )
    assert client.get("/api/v1/calendar/2029").status_code == 404

    r = client.get("/api/v1/calendar/deadline?from=2027-09-29&working_days=5")
    assert r.status_code == 200
    assert (r.get_json()["due_date"], r.get_json()["provisional"]) == ("2027-10-07", True)
    r = client.get("/api/v1/calendar/deadline?from=2026-09-30&working_days=5")
    assert (r.get_json()["due_date"], r.get_json()["provisional"]) == ("2026-10-13", False)


@pytest.mark.parametrize(
    ("query", "field", "year"),
    [
        ("from=2029-01-05&working_days=5", "from", 2029),
        ("from=2027-12-28&working_days=5", "working_days", 2028),
        ("from=2024-06-03&working_days=1", "from", 2024),
    ],
)
def test_a_deadline_past_the_calendar_is_refused(client, query, field, year) -> None:
    r = client.get(f"/api/v1/calendar/deadline?{query}", headers={"Accept-Language": "en"})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    (error,) = r.get_json()["errors"]
    assert (error["field"], error["location"], error["code"]) == (
        field,
        "query",
        "calendar_not_loaded",
    )
    assert f"{year}" in error["message"] and "not loaded" in error["message"]


def test_loading_keeps_revisions_records_an_event_and_is_idempotent(app_ctx) -> None:
    first = load(official_2027())
    assert first.changed and first.year.origin == "loaded" and first.year.revision == 1
    assert first.previous is not None and first.previous.status == "provisional"
    again = load(official_2027())
    assert not again.changed
    doc = official_2027()
    doc["makeup_workdays"] = ["2027-09-26"]
    assert load(doc).year.revision == 2
    revisions = db.session.scalars(
        sa.select(CalendarYearRecord.revision).where(CalendarYearRecord.year == 2027)
    ).all()
    assert sorted(revisions) == [1, 2]
    events = db.session.scalars(
        sa.select(ChangeEvent.entity_version).where(
            ChangeEvent.entity_type == "calendar", ChangeEvent.entity_id == "2027"
        )
    ).all()
    assert sorted(events) == [1, 2]
    years = calendar.list_calendar_years(SYSTEM)
    assert [(y.year, y.status, y.origin) for y in years][-1] == (2027, "official", "loaded")


def test_an_official_year_is_not_replaced_by_a_provisional_one_without_force(app_ctx) -> None:
    load(official_2027())
    provisional = dict(store.packaged_years()[2027].document)
    with pytest.raises(Conflict) as refused:
        load(provisional)
    assert [e.field for e in refused.value.errors] == ["status"]
    assert calendar.get_calendar_year(SYSTEM, 2027).status == "official"
    assert load(provisional, force=True).year.status == "provisional"


def test_a_year_that_leaves_a_gap_is_refused(app_ctx) -> None:
    doc = provisional_2028()
    doc["year"] = 2029
    for h in doc["holidays"]:
        h["from"], h["to"] = "2029" + h["from"][4:], "2029" + h["to"][4:]
    with pytest.raises(ValidationFailed) as refused:
        load(doc)
    assert ("year", "gap") in [(e.field, e.code) for e in refused.value.errors]
    assert load(provisional_2028()).changed  # the next year joins
