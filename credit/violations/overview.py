"""A regulator's overview of its jurisdiction (issue 17 item 10): the records by category,
severity and month, the work queues with their overdue counts, and the records list with
search, filters, paging and a bounded export.

Everything is limited to the caller's jurisdiction (``credit.publicity.covers_clause``, the
SQL form of the one rule "does this authority cover this firm?"), and every figure is a SQL
aggregate: no row is loaded to be counted.

Overdue cases are counted without loading them either. A case is due ``due_workdays``
working days after the day it was filed (China time), on the calendar in force
(``credit.workdays``, the very computation ``workflow.authority_queue`` shows per case).
That due date only grows with the filing day, so for each distinct ``due_workdays`` there is
a last filing day whose case is already late today: every case filed up to that day is
overdue, and one ``COUNT`` with a ``filed_at`` bound per distinct number counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from credit import clock, publicity, uscc, workdays
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.pagination import Page
from credit.permissions import require
from credit.violations.models import Objection, RepairApplication, Violation
from credit.violations.registry import _month, _months_back
from credit.violations.schemas import RECORD_STATE_KEYS

#: The months the overview counts, the current one (China time) last.
MONTHS = 12
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: At most this many rows go into one CSV export (narrow the filters for more).
EXPORT_LIMIT = 10_000
EXPORT_BATCH = 500
#: How far back the search for the last overdue filing day looks (a calendar that does
#: not reach that far back counts no case as overdue rather than guessing).
_LOOKBACK_DAYS = 400

#: The record states a regulator filters by, each a SQL condition on the day it is asked.
RECORD_STATES: dict[str, tuple[str, str]] = {
    "published": ("公示中", "public now"),
    "under_objection": ("异议处理中", "under objection"),
    "not_published": ("不予公示", "not published"),
    "ended": ("公示期满", "publicity ended"),
    "repaired": ("已信用修复", "credit repaired"),
    "revoked": ("已撤销", "revoked"),
}

assert tuple(RECORD_STATES) == RECORD_STATE_KEYS  # the input schema offers the same states

QUEUES: dict[str, tuple[type, str]] = {
    "objections": (Objection, "violations:review"),
    "repairs": (RepairApplication, "repairs:review"),
}


@dataclass(frozen=True)
class QueueCount:
    """A work queue of the caller's authority: cases pending, and how many are late."""

    kind: str
    scope: str
    pending: int
    overdue: int


@dataclass(frozen=True)
class Overview:
    #: Records in the jurisdiction, revoked ones left out (they were wrong).
    total: int
    by_category: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    #: ("YYYY-MM", count) for the last ``MONTHS`` months by decision date, oldest first.
    by_month: list[tuple[str, int]]
    queues: list[QueueCount]
    as_of: date


def _regulator(identity: Identity) -> None:
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id is not None,
        "只有监管机关可以查看本辖区的记录与统计",
    )


def _in_jurisdiction(identity: Identity) -> sa.ColumnElement[bool]:
    return publicity.covers_clause(identity.jurisdiction)


def _count_by(column: Any, where: list) -> list[tuple[str, int]]:
    stmt = (
        sa.select(column, sa.func.count())
        .select_from(Violation)
        .join(Enterprise, Violation.enterprise_id == Enterprise.id)
        .where(*where)
        .group_by(column)
        .order_by(sa.func.count().desc(), column)
    )
    return [(value, n) for value, n in db.session.execute(stmt).all()]


def jurisdiction_overview(identity: Identity) -> Overview:
    """The caller's jurisdiction in figures (the regulator dashboard)."""
    _regulator(identity)
    today = clock.today()
    where = [Violation.status != "revoked", _in_jurisdiction(identity)]
    months = _months_back(today, MONTHS)
    first = date.fromisoformat(months[0] + "-01")
    per_month = dict(
        _count_by(_month(Violation.decision_date), [*where, Violation.decision_date >= first])
    )
    by_category = _count_by(Violation.category, where)
    return Overview(
        total=sum(n for _, n in by_category),
        by_category=by_category,
        by_severity=_count_by(Violation.severity, where),
        by_month=[(m, per_month.get(m, 0)) for m in months],
        queues=[_queue_count(identity, kind, today) for kind in QUEUES],
        as_of=today,
    )


def _overdue_from(calendar: workdays.Calendar, n: int, today: date) -> datetime | None:
    """The instant before which a case due in ``n`` working days is overdue ``today``:
    midnight (China time) after the last filing day whose due date has passed."""
    day = today - timedelta(days=1)
    for _ in range(_LOOKBACK_DAYS):
        due = calendar.deadline(day, n).due_date
        if due is not None and due < today:
            return clock.start_of_day(day, 1)
        day -= timedelta(days=1)
    return None


def _queue_count(identity: Identity, kind: str, today: date) -> QueueCount:
    model, scope = QUEUES[kind]
    where = [
        model.status == "pending",
        Violation.authority_id == identity.authority_id,
        _in_jurisdiction(identity),
    ]

    def stmt() -> sa.Select:
        return (
            sa.select(sa.func.count())
            .select_from(model)
            .join(Violation, model.violation_id == Violation.id)
            .join(Enterprise, Violation.enterprise_id == Enterprise.id)
            .where(*where)
        )

    per_days = db.session.execute(
        sa.select(model.due_workdays, sa.func.count())
        .select_from(model)
        .join(Violation, model.violation_id == Violation.id)
        .join(Enterprise, Violation.enterprise_id == Enterprise.id)
        .where(*where)
        .group_by(model.due_workdays)
    ).all()
    calendar = workdays.current()
    late = []
    for n, _count in per_days:
        bound = _overdue_from(calendar, n, today)
        if bound is not None:
            late.append(sa.and_(model.due_workdays == n, model.filed_at < bound))
    overdue = db.session.scalar(stmt().where(sa.or_(*late))) if late else 0
    return QueueCount(kind, scope, sum(c for _, c in per_days), overdue or 0)


# -- the records list ---------------------------------------------------------------------
def _state_clause(state: str, today: date) -> sa.ColumnElement[bool]:
    active = Violation.status == "active"
    return {
        "published": publicity.public_clause(today),
        "under_objection": sa.and_(active, Violation.objection_pending.is_(True)),
        "not_published": sa.and_(active, Violation.published.is_(False)),
        "ended": publicity.ended_clause(today),
        "repaired": Violation.status == "repaired",
        "revoked": Violation.status == "revoked",
    }[state]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(identity: Identity, filters: dict[str, Any]) -> sa.Select:
    stmt = (
        sa.select(Violation)
        .join(Enterprise, Violation.enterprise_id == Enterprise.id)
        .where(_in_jurisdiction(identity))
    )
    q = (filters.get("q") or "").strip()
    if q:
        found = [
            Enterprise.name.like(_like(q), escape="\\"),
            Violation.decision_number.like(_like(q), escape="\\"),
        ]
        code = uscc.normalize(q)
        if code and code.isascii() and code.isalnum():  # a code, or its first characters
            found.append(Enterprise.uscc.like(code + "%"))
        stmt = stmt.where(sa.or_(*found))
    for key in ("category", "severity"):
        if filters.get(key):
            stmt = stmt.where(getattr(Violation, key) == filters[key])
    if filters.get("status"):
        stmt = stmt.where(_state_clause(filters["status"], clock.today()))
    if filters.get("decided_from"):
        stmt = stmt.where(Violation.decision_date >= filters["decided_from"])
    if filters.get("decided_to"):
        stmt = stmt.where(Violation.decision_date <= filters["decided_to"])
    return stmt


_ORDER = (Violation.decision_date.desc(), Violation.recorded_at.desc(), Violation.id)


def search_records(
    identity: Identity, filters: dict[str, Any], page: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Records in the caller's jurisdiction matching ``filters`` (``q``: a firm's name, a
    USCC or a decision number, in part; ``category``, ``severity``, ``status`` (a key of
    ``RECORD_STATES``), ``decided_from``, ``decided_to``), newest decisions first."""
    _regulator(identity)
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    stmt = _filtered(identity, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(stmt.order_by(*_ORDER).offset((page - 1) * size).limit(size))
    return Page(list(items.unique()), total, page, size)


def export_records(identity: Identity, filters: dict[str, Any]) -> Iterator[Violation]:
    """The records :func:`search_records` finds, all of them up to ``EXPORT_LIMIT``, read
    in batches (for a streamed CSV). The permission is checked before the first row."""
    _regulator(identity)
    stmt = _filtered(identity, filters).order_by(*_ORDER)

    def rows() -> Iterator[Violation]:
        for offset in range(0, EXPORT_LIMIT, EXPORT_BATCH):
            batch = list(
                db.session.scalars(
                    stmt.offset(offset).limit(min(EXPORT_BATCH, EXPORT_LIMIT - offset))
                ).unique()
            )
            yield from batch
            if len(batch) < EXPORT_BATCH:
                return

    return rows()
