"""Change events a consumer set aside: list them, count them, deliver them again.

A consumer sets an event aside after ``CREDIT_EVENT_MAX_ATTEMPTS`` failed deliveries and
moves on (``credit.changes``). The event stays here, with the firms it concerns and the
error, until an operator fixes the cause and retries it (``flask credit events retry``);
``/readyz`` reports the platform *degraded* while any is unresolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from credit import changes
from credit.changes import FailedEvent
from credit.errors import NotFound
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_manage_registry, require
from credit.uow import run_after_commit_hooks

_UNRESOLVED = sa.and_(FailedEvent.set_aside_at.is_not(None), FailedEvent.resolved_at.is_(None))


def count_unresolved() -> int:
    """Events set aside and not delivered since (for ``/readyz``; an aggregate only)."""
    return db.session.scalar(sa.select(sa.func.count()).where(_UNRESOLVED)) or 0


def list_failed_events(
    identity: Identity, *, include_resolved: bool = False, consumer: str | None = None
) -> list[FailedEvent]:
    """Events set aside (and, with ``include_resolved``, those delivered since), oldest
    event first."""
    require(can_manage_registry(identity))
    stmt = sa.select(FailedEvent).order_by(FailedEvent.event_id, FailedEvent.consumer)
    if include_resolved:
        stmt = stmt.where(FailedEvent.set_aside_at.is_not(None))
    else:
        stmt = stmt.where(_UNRESOLVED)
    if consumer:
        stmt = stmt.where(FailedEvent.consumer == consumer)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class RetryOutcome:
    id: int
    consumer: str
    event_id: int
    resolved: bool
    already: bool = False  # it was resolved before this retry
    error: str | None = None
    transient: bool = False  # the consumer's service is unavailable: try again later


def retry_failed_event(identity: Identity, failed_id: int) -> RetryOutcome:
    """Deliver one failed event to its consumer again. Resolved on success; on failure it
    stays (attempts, error and time updated) and the outcome says why."""
    require(can_manage_registry(identity))
    row = db.session.get(FailedEvent, failed_id)
    if row is None:
        raise NotFound(f"没有编号为 {failed_id} 的失败事件 / no failed event {failed_id}")
    if row.resolved_at is not None:
        return RetryOutcome(row.id, row.consumer, row.event_id, True, already=True)
    try:
        error = changes.redeliver(db.session, row)
    except LookupError as exc:
        raise NotFound(f"{exc}") from None
    if error is not None:
        return RetryOutcome(
            failed_id,
            row.consumer,
            row.event_id,
            False,
            error=changes.describe_error(error),
            transient=changes.is_transient(db.session, row.consumer, error),
        )
    # What the delivery changed (a new rating) is passed on to the other consumers now.
    run_after_commit_hooks(db.session)
    return RetryOutcome(failed_id, row.consumer, row.event_id, True)


def retry_all(identity: Identity, consumer: str | None = None) -> list[RetryOutcome]:
    """Retry every unresolved set-aside event (of ``consumer``), oldest first."""
    require(can_manage_registry(identity))
    ids = [r.id for r in list_failed_events(identity, consumer=consumer)]
    return [retry_failed_event(identity, i) for i in ids]
