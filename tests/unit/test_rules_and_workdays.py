"""Publicity windows by rule version (edges before and after 2026-04-01) and working days."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit import workdays
from credit.violations import rules


@pytest.mark.parametrize(
    ("severity", "decided", "version", "published", "repairable", "until"),
    [
        # Civil Code Arts. 201-202: the decision day is not counted (tests/unit/
        # test_publicity_rules.py has the day before and the day of every edge).
        ("general", date(2026, 3, 31), "NDRC-58-2023", True, date(2026, 7, 1), date(2029, 3, 31)),
        ("general", date(2026, 4, 1), "NDRC-36-2026", True, date(2026, 7, 2), date(2027, 4, 1)),
        ("serious", date(2026, 3, 31), "NDRC-58-2023", True, date(2026, 7, 1), date(2029, 3, 31)),
        ("serious", date(2026, 4, 1), "NDRC-36-2026", True, date(2027, 4, 2), date(2029, 4, 1)),
        ("minor", date(2026, 4, 1), "NDRC-36-2026", False, date(2026, 4, 1), date(2026, 7, 1)),
        ("general", date(2025, 11, 30), "NDRC-58-2023", True, date(2026, 3, 1), date(2028, 11, 30)),
    ],
)
def test_windows(severity, decided, version, published, repairable, until) -> None:
    w = rules.window(severity, decided)
    assert (w.rule_version, w.published, w.repairable_from, w.publish_until) == (
        version,
        published,
        repairable,
        until,
    )


def test_no_rule_before_the_first_version() -> None:
    with pytest.raises(LookupError):
        rules.window("general", date(2020, 1, 1))


@given(
    st.dates(min_value=date(2023, 5, 1), max_value=date(2030, 12, 31)),
    st.sampled_from(rules.SEVERITIES),
)
def test_window_properties(decided: date, severity: str) -> None:
    w = rules.window(severity, decided)
    assert decided <= w.repairable_from <= w.publish_until
    assert rules.rule_for(decided).in_force(decided)


def test_month_arithmetic_clamps() -> None:
    assert rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert rules.add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)


def test_working_days_2026() -> None:
    assert not workdays.is_workday(date(2026, 10, 1))  # National Day
    assert workdays.is_workday(date(2026, 10, 10))  # adjusted working Saturday
    assert not workdays.is_workday(date(2026, 11, 28))  # an ordinary Saturday
    assert workdays.is_workday(date(2026, 11, 27))  # an ordinary Friday
    # 5 working days after Wed 30 Sep 2026: holidays to 7 Oct, Thu 8, Fri 9, Sat 10
    # (worked), Mon 12, Tue 13.
    assert workdays.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert workdays.workdays_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert {2026, 2027} <= workdays.covered_years()


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 10, 31)), st.integers(0, 30))
def test_add_and_count_agree(start: date, n: int) -> None:
    # 30 working days after 31 Oct 2027 still fall in 2027, the calendar's last year.
    end = workdays.add_workdays(start, n)
    assert workdays.workdays_between(start, end) == n
    assert n == 0 or workdays.is_workday(end)
