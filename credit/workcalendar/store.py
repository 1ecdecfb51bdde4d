"""The calendar in force: packaged years, with the years an operator loaded in their place.

The packaged file (``credit/data/workdays_cn.json``) gives a new installation its
calendar without any step. ``credit calendar load`` writes a year to the database
(``workday_calendar_year``); the latest revision of a year replaces the packaged year.

Every process reads the database's list of loaded years (year, revision, fingerprint: a
few short rows) once per transaction, and rebuilds its calendar only when that list
changed. So a year loaded from the command line is in force in every running server
process from its next request on, with no restart and no stored deadline to rewrite:
deadlines are computed when read (``credit.workdays.deadline``).
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import has_app_context

from credit.extensions import db
from credit.uow import transaction_memo
from credit.workcalendar import document
from credit.workcalendar.models import CalendarYearRecord
from credit.workdays import Calendar, CalendarYear

PACKAGED = Path(__file__).resolve().parent.parent / "data" / "workdays_cn.json"

_MEMO = "credit.workcalendar"
_lock = threading.Lock()
_built: dict[tuple, Calendar] = {}


@cache
def packaged_years() -> dict[int, CalendarYear]:
    """The years shipped with the code, checked like a loaded file (a bad edit stops the
    start-up with its reason instead of miscounting)."""
    raw = json.loads(PACKAGED.read_text(encoding="utf-8"))
    years: dict[int, CalendarYear] = {}
    for doc in raw["years"]:
        year = document.parse_year(doc)
        if year.year in years:
            raise ValueError(f"{PACKAGED}: {year.year} is listed twice")
        years[year.year] = year
    return years


def packaged_calendar() -> Calendar:
    return Calendar(packaged_years())


def _latest_stamp() -> tuple[tuple[int, int, str], ...]:
    """(year, revision, sha256) of the latest revision of every loaded year."""
    latest: dict[int, tuple[int, int, str]] = {}
    rows = db.session.execute(
        sa.select(CalendarYearRecord.year, CalendarYearRecord.revision, CalendarYearRecord.sha256)
    ).all()
    for year, revision, sha in rows:
        if year not in latest or revision > latest[year][1]:
            latest[year] = (year, revision, sha)
    return tuple(sorted(latest.values()))


def _build(stamp: tuple[tuple[int, int, str], ...]) -> Calendar:
    years = dict(packaged_years())
    if stamp:
        wanted = sa.tuple_(CalendarYearRecord.year, CalendarYearRecord.revision).in_(
            [(y, r) for y, r, _ in stamp]
        )
        for row in db.session.scalars(sa.select(CalendarYearRecord).where(wanted)):
            parsed = document.parse_year(row.document)
            years[row.year] = CalendarYear(
                year=parsed.year,
                status=parsed.status,
                holidays=parsed.holidays,
                makeup_workdays=parsed.makeup_workdays,
                source=parsed.source,
                document=parsed.document,
                origin="loaded",
                revision=row.revision,
            )
    return Calendar(years)


def effective_calendar() -> Calendar:
    """The calendar in force for the current transaction (outside an application
    context, e.g. in pure unit tests: the packaged years)."""
    if not has_app_context():
        return packaged_calendar()
    memo = transaction_memo(_MEMO)
    calendar = memo.get("calendar")
    if calendar is None:
        stamp = _latest_stamp()
        calendar = _built.get(stamp)
        if calendar is None:
            calendar = _build(stamp)
            with _lock:
                _built.clear()  # only the latest is worth keeping
                _built[stamp] = calendar
        memo["calendar"] = calendar
    return calendar


def forget() -> None:
    """Drop this transaction's calendar (after writing a year in it)."""
    if has_app_context():
        transaction_memo(_MEMO).clear()


def revisions(year: int) -> list[CalendarYearRecord]:
    """Every loaded revision of ``year``, oldest first."""
    return list(
        db.session.scalars(
            sa.select(CalendarYearRecord)
            .where(CalendarYearRecord.year == year)
            .order_by(CalendarYearRecord.revision)
        )
    )
