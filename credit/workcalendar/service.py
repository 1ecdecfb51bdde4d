"""Reading the working-day calendar (anyone) and loading a year (the platform's operators).

Loading a year (``flask --app wsgi credit calendar load FILE``) checks the document
(``credit.workcalendar.document``), keeps it as a new revision of that year and records a
``calendar`` change event, in one unit of work. Deadlines are computed when read, so every
pending objection and repair application follows the new year at once; the answer lists
those whose due date or provisional flag changed, for the operator to see.

Rules of a load, each refused with the field named:

- the year joins the calendar without a gap (the next year after the last one, the year
  before the first, or a year already held): a deadline never skips a year silently;
- an official year is not replaced by a provisional one unless ``force`` is given (a
  notice once loaded is not undone by mistake);
- loading the document already in force changes nothing (no new revision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed
from credit.identity import Identity
from credit.permissions import can_manage_registry, can_read_public, require
from credit.uow import UnitOfWork
from credit.workcalendar import document, store
from credit.workcalendar.models import CalendarYearRecord
from credit.workdays import (
    OFFICIAL,
    PROVISIONAL,
    Calendar,
    CalendarNotLoaded,
    CalendarYear,
    Deadline,
)

ENTITY = "calendar"


@dataclass(frozen=True)
class DeadlineChange:
    """A pending case whose deadline reads differently after a load."""

    kind: str  # objection | repair
    item_id: str
    before: Deadline
    after: Deadline


@dataclass(frozen=True)
class LoadResult:
    year: CalendarYear
    previous: CalendarYear | None
    changed: bool  # False: the same document was already in force
    pending: int  # pending objections and repair applications
    deadlines_changed: list[DeadlineChange]


def list_calendar_years(identity: Identity) -> list[CalendarYear]:
    """Every year of the calendar in force, oldest first (public)."""
    require(can_read_public(identity))
    calendar = store.effective_calendar()
    return [calendar.years[y] for y in sorted(calendar.years)]


def get_calendar_year(identity: Identity, year: int) -> CalendarYear:
    """One year of the calendar in force (public); NotFound when it is not held."""
    require(can_read_public(identity))
    calendar = store.effective_calendar()
    if year not in calendar.years:
        raise NotFound(f"{year} 年的工作日历尚未载入 / no calendar for {year}")
    return calendar.years[year]


def compute_deadline(identity: Identity, start: date, working_days: int) -> Deadline:
    """``working_days`` working days after ``start`` (public). A count that would run
    into a year the calendar does not hold is refused (CalendarNotLoaded naming ``from``
    or ``working_days``), never guessed."""
    require(can_read_public(identity))
    calendar = store.effective_calendar()
    if start.year not in calendar.years:
        raise CalendarNotLoaded(start.year, "from", "query")
    result = calendar.deadline(start, working_days)
    if result.missing_year is not None:
        raise CalendarNotLoaded(result.missing_year, "working_days", "query")
    return result


def _check_joins(calendar: Calendar, year: int) -> None:
    held = set(calendar.years)
    if not held or year in held or year - 1 in held or year + 1 in held:
        return
    first, last = min(held), max(held)
    raise ValidationFailed(
        "工作日历文件有误 / invalid calendar file",
        [
            FieldError(
                "year",
                f"日历现有 {first}–{last} 年，{year} 年与之不相连：请先载入中间的年份 / the "
                f"calendar holds {first}-{last}; {year} would leave a gap: load the years "
                "between first",
                "gap",
            )
        ],
    )


def load_calendar_year(
    identity: Identity, uow: UnitOfWork, doc: Any, *, force: bool = False
) -> LoadResult:
    """Check ``doc`` and make it the calendar of its year (operators only)."""
    require(can_manage_registry(identity), "只有平台运营方可以载入工作日历")
    new = document.parse_year(doc, today=clock.today())
    before = store.effective_calendar()
    previous = before.years.get(new.year)
    _check_joins(before, new.year)
    if previous is not None and document.fingerprint(
        dict(previous.document)
    ) == document.fingerprint(doc):
        return LoadResult(new, previous, False, _pending_count(), [])
    downgrade = previous is not None and previous.status == OFFICIAL
    if downgrade and new.status == PROVISIONAL and not force:
        raise Conflict(
            f"{new.year} 年已是正式安排，不能用暂定安排替换；确需替换请加 --force / the year "
            "is official; replacing it with a provisional one needs --force",
            [FieldError("status", "不能以暂定替换正式 / provisional over official", "downgrade")],
        )
    revision = (
        uow.session.scalar(
            sa.select(sa.func.max(CalendarYearRecord.revision)).where(
                CalendarYearRecord.year == new.year
            )
        )
        or 0
    ) + 1
    uow.session.add(
        CalendarYearRecord(
            year=new.year,
            revision=revision,
            status=new.status,
            document=doc,
            sha256=document.fingerprint(doc),
            loaded_at=clock.now(),
            loaded_by=identity.subject,
        )
    )
    uow.session.flush()
    uow.record(ENTITY, str(new.year), revision)
    store.forget()
    after = store.effective_calendar()
    changes, pending = _compare_pending(before, after)
    return LoadResult(after.years[new.year], previous, True, pending, changes)


def _pending_rows() -> list[tuple[str, Any]]:
    from credit.extensions import db
    from credit.violations.models import Objection, RepairApplication

    rows: list[tuple[str, Any]] = []
    for kind, model in (("objection", Objection), ("repair", RepairApplication)):
        rows.extend(
            (kind, row)
            for row in db.session.scalars(
                sa.select(model).where(model.status == "pending").order_by(model.filed_at)
            ).unique()
        )
    return rows


def _pending_count() -> int:
    return len(_pending_rows())


def _compare_pending(before: Calendar, after: Calendar) -> tuple[list[DeadlineChange], int]:
    rows = _pending_rows()
    out = []
    for kind, row in rows:
        old = before.deadline(row.filed_on, row.due_workdays)
        new = after.deadline(row.filed_on, row.due_workdays)
        if (old.due_date, old.provisional, old.missing_year) != (
            new.due_date,
            new.provisional,
            new.missing_year,
        ):
            out.append(DeadlineChange(kind, row.id, old, new))
    return out, len(rows)
