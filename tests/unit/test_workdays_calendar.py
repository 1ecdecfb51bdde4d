"""Working days on the packaged calendar (issue 15): 2027 from the 2024 holiday measures,
provisional deadlines, and dates beyond the calendar refused instead of guessed.

These run without an application (the packaged years); loading a year into the database
and the API's answers are tested in tests/violations/test_calendar_deadlines.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit import workdays
from credit.workcalendar import store
from credit.workdays import CalendarNotLoaded


def test_five_working_days_from_29_september_2027_skip_the_national_day_break() -> None:
    """The issue's example: it used to land inside the break (weekdays only)."""
    start = date(2027, 9, 29)
    due = workdays.add_workdays(start, 5)
    # Thu 30 Sep (1); Fri 1 - Sun 3 Oct statutory days off; Mon 4 (2) ... Thu 7 (5).
    assert due == date(2027, 10, 7)
    counted = [d for d in (start + timedelta(days=i) for i in range(1, 9)) if d <= due]
    assert [d for d in counted if workdays.is_workday(d)] == [
        date(2027, 9, 30),
        date(2027, 10, 4),
        date(2027, 10, 5),
        date(2027, 10, 6),
        date(2027, 10, 7),
    ]
    assert not any(workdays.is_workday(date(2027, 10, d)) for d in (1, 2, 3))


def test_a_2027_deadline_is_provisional_and_a_2026_one_is_not() -> None:
    d = workdays.deadline(date(2027, 9, 29), 5)
    assert (d.due_date, d.known, d.provisional, d.provisional_years) == (
        date(2027, 10, 7),
        True,
        True,
        (2027,),
    )
    assert "provisional" in d.note and "暂定" in d.note
    official = workdays.deadline(date(2026, 9, 29), 5)
    assert official.known and not official.provisional and official.note == ""


def test_a_count_from_late_2026_into_2027_is_provisional() -> None:
    # Mon 28 Dec 2026: Tue 29, Wed 30, Thu 31 (3); Fri 1 Jan off; Mon 4, Tue 5 Jan 2027.
    d = workdays.deadline(date(2026, 12, 28), 5)
    assert d.due_date == date(2027, 1, 5) and d.provisional_years == (2027,)
    assert not workdays.deadline(date(2026, 12, 28), 3).provisional  # ends on 31 Dec
    assert not workdays.deadline(date(2026, 12, 31), 0).provisional  # no day counted


@pytest.mark.parametrize(
    "day", [date(2029, 1, 2), date(2028, 6, 1), date(2024, 12, 31), date(2030, 10, 8)]
)
def test_a_day_beyond_the_calendar_is_refused_loudly(day: date) -> None:
    with pytest.raises(CalendarNotLoaded) as refused:
        workdays.is_workday(day)
    assert refused.value.year == day.year
    assert f"{day.year}" in refused.value.detail and "not loaded" in refused.value.detail


def test_counting_into_a_missing_year_is_refused_and_the_deadline_is_unknown() -> None:
    with pytest.raises(CalendarNotLoaded) as refused:
        workdays.add_workdays(date(2029, 3, 1), 1)
    assert refused.value.year == 2029
    with pytest.raises(CalendarNotLoaded) as refused:
        workdays.add_workdays(date(2027, 12, 28), 5)  # Wed 29, Thu 30, Fri 31, then 2028
    assert refused.value.year == 2028
    d = workdays.deadline(date(2027, 12, 28), 5)
    assert (d.due_date, d.known, d.missing_year, d.provisional) == (None, False, 2028, False)
    assert "calendar for 2028 not loaded" in d.note and "2028 年工作日历未载入" in d.note
    # Three working days still fit in 2027.
    assert workdays.add_workdays(date(2027, 12, 28), 3) == date(2027, 12, 31)


def test_the_refusal_can_name_the_field_that_asked() -> None:
    exc = CalendarNotLoaded(2029, "days")
    assert [(e.field, e.code) for e in exc.errors] == [("days", "calendar_not_loaded")]


# Day before, first day, last day and day after each 2027 statutory holiday (Art. 2 of
# the 2024 measures). The neighbours are plain working days until the 2027 notice says
# otherwise (its Art. 6 compensatory days and Art. 7 swaps are not known yet).
EDGES_2027 = [
    # New Year's Day, Fri 1 Jan
    (date(2026, 12, 31), True),  # Thu, in the official 2026 calendar
    (date(2027, 1, 1), False),
    (date(2027, 1, 4), True),  # Mon after the weekend
    # Spring Festival, 除夕 Fri 5 Feb .. 初三 Mon 8 Feb
    (date(2027, 2, 4), True),
    (date(2027, 2, 5), False),
    (date(2027, 2, 8), False),
    (date(2027, 2, 9), True),
    # Qingming, Mon 5 Apr
    (date(2027, 4, 2), True),  # Fri
    (date(2027, 4, 5), False),
    (date(2027, 4, 6), True),
    # Labour Day, Sat 1 - Sun 2 May
    (date(2027, 4, 30), True),
    (date(2027, 5, 1), False),
    (date(2027, 5, 2), False),
    (date(2027, 5, 3), True),
    # Dragon Boat, Wed 9 Jun
    (date(2027, 6, 8), True),
    (date(2027, 6, 9), False),
    (date(2027, 6, 10), True),
    # Mid-Autumn, Wed 15 Sep
    (date(2027, 9, 14), True),
    (date(2027, 9, 15), False),
    (date(2027, 9, 16), True),
    # National Day, Fri 1 - Sun 3 Oct
    (date(2027, 9, 30), True),
    (date(2027, 10, 1), False),
    (date(2027, 10, 3), False),
    (date(2027, 10, 4), True),
]


@pytest.mark.parametrize(("day", "working"), EDGES_2027, ids=[str(d) for d, _ in EDGES_2027])
def test_each_2027_holiday_edge(day: date, working: bool) -> None:
    assert workdays.is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2026, 12, 31), date(2027, 1, 4)),  # over New Year's Day and a weekend
        (date(2027, 2, 4), date(2027, 2, 9)),  # over the Spring Festival
        (date(2027, 4, 2), date(2027, 4, 6)),  # over Qingming
        (date(2027, 6, 8), date(2027, 6, 10)),  # over the Dragon Boat Festival
        (date(2027, 9, 14), date(2027, 9, 16)),  # over Mid-Autumn
        (date(2027, 9, 30), date(2027, 10, 4)),  # over National Day
    ],
)
def test_one_working_day_after_the_day_before_each_break_is_the_day_after(start, due) -> None:
    assert workdays.add_workdays(start, 1) == due


def test_the_packaged_years_and_their_status() -> None:
    years = store.packaged_years()
    assert sorted(years) == [2025, 2026, 2027]
    assert {y: years[y].status for y in years} == {
        2025: "official",
        2026: "official",
        2027: "provisional",
    }
    # 2027: the thirteen statutory days of Art. 2 and no make-up working day yet.
    assert len(years[2027].holidays) == 13 and not years[2027].makeup_workdays
    assert "第795号" in years[2027].source["title"]
    assert "第二条" in years[2027].source["articles"]


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 40))
def test_a_deadline_is_known_exactly_when_the_calendar_reaches_it(start: date, n: int) -> None:
    d = workdays.deadline(start, n)
    if d.known:
        assert d.due_date is not None and d.due_date.year <= 2027
        assert workdays.workdays_between(start, d.due_date) == n
        assert d.provisional == (n > 0 and d.due_date.year == 2027)
    else:
        assert d.missing_year == 2028
        with pytest.raises(CalendarNotLoaded):
            workdays.add_workdays(start, n)
