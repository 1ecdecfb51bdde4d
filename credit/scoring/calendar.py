"""Whole-month and whole-year date arithmetic for decay steps and anniversaries.

Saturating, never overflowing: a date past the end of the calendar is ``date.max`` and one
before its start ``date.min``. Input dates are bounded by ``credit.dates`` long before they
get here, but a far date already on record (old data, a row written by hand) must not stop
the rating of anyone: ``date.max`` reads as "never" (the engine ignores a change on it).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache

_DAY = timedelta(days=1)


@lru_cache(maxsize=1 << 16)  # dates repeat a lot across a million firms
def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month; saturates at
    ``date.max`` / ``date.min``."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_day(day: date) -> date:
    """The day after ``day``; ``date.max`` stays ``date.max`` (saturating)."""
    return day if day == date.max else day + _DAY


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is earlier)."""
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, n) > end:
        n -= 1
    return n


def years_between(start: date, end: date) -> int:
    return months_between(start, end) // 12
