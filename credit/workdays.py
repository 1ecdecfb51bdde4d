"""Working-day arithmetic for due dates (objections, repairs, publication deadlines).

The calendar is data (``credit/data/workdays_cn.json``): weekends are days off, listed
public holidays are days off, listed adjusted working days (调休) are working days.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "workdays_cn.json"


@cache
def _calendar() -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))["years"]
    holidays = {date.fromisoformat(d) for y in raw.values() for d in y["holidays"]}
    workdays = {date.fromisoformat(d) for y in raw.values() for d in y["adjusted_workdays"]}
    if holidays & workdays:
        raise ValueError(f"days both holiday and workday: {sorted(holidays & workdays)}")
    return frozenset(holidays), frozenset(workdays), frozenset(int(y) for y in raw)


def covered_years() -> frozenset[int]:
    return _calendar()[2]


def is_workday(day: date) -> bool:
    holidays, workdays, _ = _calendar()
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_workdays(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (start itself not counted)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    while n:
        day += timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count
