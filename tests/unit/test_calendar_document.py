"""The calendar-year document: what ``credit calendar load`` accepts, and each refusal
named by its path (pure checks; loading into the database is in tests/violations)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from credit.errors import ValidationFailed
from credit.workcalendar import document, store
from credit.workdays import Calendar
from tests.calendars import official_2027

EXAMPLES = Path(document.__file__).resolve().parents[1] / "data" / "examples"


def refusal(doc, today: date | None = None) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        document.parse_year(doc, today=today)
    return [(e.field, e.code) for e in refused.value.errors]


def test_an_official_year_is_accepted() -> None:
    year = document.parse_year(official_2027(), today=date(2026, 11, 30))
    assert year.year == 2027 and year.status == "official" and not year.provisional
    assert date(2027, 10, 7) in year.holidays and date(2027, 10, 9) in year.makeup_workdays


def test_every_date_lies_in_the_year() -> None:
    doc = official_2027()
    doc["holidays"][0]["to"] = "2028-01-01"
    doc["makeup_workdays"].append("2026-12-27")
    assert refusal(doc) == [("holidays.0.to", "wrong_year"), ("makeup_workdays.2", "wrong_year")]


def test_breaks_must_not_overlap_and_no_day_is_listed_twice() -> None:
    doc = official_2027()
    doc["holidays"].append({"name": "重复", "from": "2027-10-07", "to": "2027-10-08"})
    assert refusal(doc) == [("holidays.7.from", "overlap")]


def test_a_make_up_working_day_is_a_weekend_day_not_a_holiday_and_listed_once() -> None:
    doc = official_2027()
    doc["makeup_workdays"] = ["2027-09-27", "2027-10-02", "2027-09-26", "2027-09-26"]
    assert refusal(doc) == [
        ("makeup_workdays.0", "not_weekend"),  # a Monday
        ("makeup_workdays.1", "overlap"),  # Saturday 2 Oct is a day off
        ("makeup_workdays.3", "duplicate"),
    ]


def test_the_fixed_statutory_holidays_must_be_days_off() -> None:
    doc = official_2027()
    doc["holidays"] = [h for h in doc["holidays"] if h["name"] != "劳动节"]
    assert refusal(doc) == [("holidays", "statutory_missing")]


def test_an_official_year_names_its_notice_and_date_not_in_the_future() -> None:
    doc = official_2027()
    del doc["source"]["published_on"]
    assert refusal(doc) == [("source.published_on", "required")]
    doc = official_2027()
    assert refusal(doc, today=date(2026, 10, 31)) == [("source.published_on", "invalid")]
    doc = official_2027()
    doc["source"] = {"reference": "x", "published_on": "2026-11-01"}
    assert refusal(doc) == [("source.title", "required")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(year="2027"), [("year", "invalid")]),
        (lambda d: d.update(year=2207), [("year", "invalid")]),
        (lambda d: d.update(status="draft"), [("status", "invalid")]),
        (lambda d: d.update(extra=1), [("extra", "unknown")]),
        (lambda d: d["holidays"][0].update(to="2027/01/01"), [("holidays.0.to", "invalid")]),
        (lambda d: d["holidays"][0].update(to="2027-02-30"), [("holidays.0.to", "invalid")]),
        (lambda d: d["holidays"][1].update(to="2027-02-04"), [("holidays.1.to", "order")]),
        (lambda d: d.update(holidays=[]), [("holidays", "invalid")]),
        (lambda d: d.update(makeup_workdays="2027-09-26"), [("makeup_workdays", "invalid")]),
    ],
    ids=["year-text", "year-typo", "status", "unknown-key", "date-format", "no-such-day",
         "to-before-from", "no-holidays", "makeup-not-a-list"],
)  # fmt: skip
def test_malformed_documents_are_refused_with_the_path(change, expected) -> None:
    doc = official_2027()
    change(doc)
    assert refusal(doc)[: len(expected)] == expected


def test_not_an_object() -> None:
    assert refusal([official_2027()]) == [("_", "invalid")]


def test_every_message_is_chinese_with_english() -> None:
    doc = official_2027()
    doc["makeup_workdays"] = ["2027-09-27"]
    with pytest.raises(ValidationFailed) as refused:
        document.parse_year(doc)
    (error,) = refused.value.errors
    assert "不是周六或周日" in error.message and "not a Saturday or Sunday" in error.message


def test_the_same_document_has_the_same_fingerprint_whatever_the_key_order() -> None:
    doc = official_2027()
    shuffled = json.loads(json.dumps(dict(reversed(list(doc.items())))))
    assert document.fingerprint(doc) == document.fingerprint(shuffled)
    doc["makeup_workdays"] = ["2027-09-26"]
    assert document.fingerprint(doc) != document.fingerprint(shuffled)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_the_example_files_are_valid_and_official_ones_are_right(path: Path) -> None:
    year = document.parse_year(json.loads(path.read_text(encoding="utf-8")))
    if year.status != "official":
        assert year.document == store.packaged_years()[year.year].document
        return
    cal, day = Calendar({year.year: year}), date(year.year, 1, 1)
    wrong = []
    while day.year == year.year:
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []
