"""Working-day arithmetic for deadlines (objections, repairs), counted but never guessed.

A day is a working day unless it falls on a weekend or a listed holiday; a listed make-up
working day (调休上班) is one even on a weekend. Which days those are is data, one document
per year (``credit.workcalendar``): the State Council's yearly notice once it is out
(``official``), or only the statutory holidays of 《全国年节及纪念日放假办法》 before it
(``provisional``).

Two rules make a deadline hold up to a regulator's reading:

- **Never guess.** A day in a year the calendar does not hold cannot be counted: it raises
  :class:`CalendarNotLoaded`, naming the year. A weekday outside the calendar is not
  assumed to be a working day (it may be inside the National Day break).
- **Say what is provisional.** A deadline counted through a provisional year carries
  ``provisional=True`` and the years concerned; it is recomputed on every read, so loading
  the year's notice (``flask --app wsgi credit calendar load FILE``) changes it at once.

The module-level functions use the calendar in force (the packaged years with the years an
operator loaded on top, see :func:`current`); :class:`Calendar` does the same on any set of
years, for tests and for comparing a calendar before and after a load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from credit.errors import Conflict, FieldError

OFFICIAL = "official"
PROVISIONAL = "provisional"
STATUSES = (OFFICIAL, PROVISIONAL)

_DAY = timedelta(days=1)


class CalendarNotLoaded(Conflict):
    """A working day was asked for in a year the calendar does not hold (409, or a 400
    naming the field when the caller says which input asked for it)."""

    title = "工作日历未载入"
    title_en = "Working-day calendar not loaded"

    def __init__(self, year: int, field_name: str | None = None, location: str = "body") -> None:
        self.year = year
        detail = (
            f"{year} 年的工作日历尚未载入，不能据此计算工作日期限 / the working-day "
            f"calendar for {year} is not loaded: no deadline is counted through it"
        )
        errors = []
        if field_name:
            errors = [FieldError(field_name, detail, "calendar_not_loaded", location)]
        super().__init__(detail, errors)


@dataclass(frozen=True)
class CalendarYear:
    """One year's arrangement: days off, make-up working days, status and source."""

    year: int
    status: str
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: Mapping[str, Any] = field(default_factory=dict)
    #: The document it was read from (``credit.workcalendar.document`` format).
    document: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: ``packaged`` (shipped in credit/data/workdays_cn.json) or ``loaded`` (by an operator).
    origin: str = "packaged"
    revision: int = 0

    @property
    def provisional(self) -> bool:
        return self.status == PROVISIONAL


@dataclass(frozen=True)
class Deadline:
    """``workdays`` working days after ``start`` (``start`` itself not counted).

    ``due_date`` is None when the count runs into a year the calendar does not hold
    (``missing_year``): the deadline is unknown, never guessed. ``provisional`` says the
    count went through a year whose State Council notice is not loaded yet.
    """

    start: date
    workdays: int
    due_date: date | None
    provisional_years: tuple[int, ...] = ()
    missing_year: int | None = None

    @property
    def known(self) -> bool:
        return self.due_date is not None

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def note(self) -> str:
        """What a reader needs to know about this date, in Chinese with English beside it."""
        if self.missing_year is not None:
            return (
                f"期限未知：{self.missing_year} 年工作日历未载入 / deadline unknown: "
                f"calendar for {self.missing_year} not loaded"
            )
        if self.provisional:
            years = "、".join(str(y) for y in self.provisional_years)
            years_en = ", ".join(str(y) for y in self.provisional_years)
            return (
                f"暂定：{years} 年放假安排尚未公布，按法定节假日计算，通知公布后可能变动 / "
                f"provisional: the {years_en} holiday notice is not out yet; counted on the "
                "statutory holidays, it may change when the notice is loaded"
            )
        return ""


@dataclass(frozen=True)
class Calendar:
    """A set of calendar years; counting outside them raises :class:`CalendarNotLoaded`."""

    years: Mapping[int, CalendarYear]

    def year(self, year: int) -> CalendarYear:
        try:
            return self.years[year]
        except KeyError:
            raise CalendarNotLoaded(year) from None

    def has_year(self, day: date) -> bool:
        """Whether the calendar of ``day``'s year is loaded."""
        return day.year in self.years

    def is_workday(self, day: date) -> bool:
        y = self.year(day.year)
        if day in y.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in y.holidays

    def add_workdays(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start`` (``start`` itself not counted)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n:
            day += _DAY
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += _DAY
            count += self.is_workday(day)
        return count

    def provisional_years(self, start: date, end: date) -> tuple[int, ...]:
        """Provisional years among the days after ``start`` up to ``end``."""
        if end <= start:
            return ()
        first = (start + _DAY).year
        return tuple(
            y for y in range(first, end.year + 1) if y in self.years and self.years[y].provisional
        )

    def deadline(self, start: date, n: int) -> Deadline:
        """``add_workdays`` with what a reader must know: provisional, or unknown."""
        try:
            due = self.add_workdays(start, n)
        except CalendarNotLoaded as exc:
            return Deadline(start, n, None, (), exc.year)
        return Deadline(start, n, due, self.provisional_years(start, due))

    def signed_workdays(self, today: date, due: date) -> int:
        """Working days left until ``due`` (negative: working days overdue)."""
        if due >= today:
            return self.workdays_between(today, due)
        return -self.workdays_between(due, today)

    @property
    def first_year(self) -> int | None:
        return min(self.years, default=None)

    @property
    def last_year(self) -> int | None:
        return max(self.years, default=None)


def current() -> Calendar:
    """The calendar in force: the packaged years, with the years loaded by an operator in
    their place (read once per transaction; see ``credit.workcalendar.store``)."""
    from credit.workcalendar import store

    return store.effective_calendar()


def is_workday(day: date) -> bool:
    return current().is_workday(day)


def add_workdays(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (start itself not counted); raises
    :class:`CalendarNotLoaded` rather than count a day of a year not in the calendar."""
    return current().add_workdays(start, n)


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return current().workdays_between(start, end)


def deadline(start: date, n: int) -> Deadline:
    """The deadline ``n`` working days after ``start``, provisional or unknown as it is."""
    return current().deadline(start, n)


def covered_years() -> frozenset[int]:
    return frozenset(current().years)
