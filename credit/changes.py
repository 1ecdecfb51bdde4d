"""The durable change feed (transactional outbox) and its consumers' cursors.

Every domain change appends a ``ChangeEvent`` in the same transaction as the change itself
(see ``credit.uow``), so a consumer can never miss a committed change. Consumers (the
search indexer first; re-rating, the ledger and notifications later) each keep a cursor:
the id of the last event they processed. Delivery is at-least-once; consumers must be
idempotent. Event ids are allocated in commit order (``uow`` serialises the append on
PostgreSQL), so a consumer that reads ``id > cursor`` never skips a late commit.

One bad event never stops a consumer. When a batch fails, it is delivered again in halves
until the failing event stands alone; that event is retried up to ``max_attempts`` times
(counted in its ``failed_event`` row, so across runs and processes), then set aside: the
row keeps the event, the firms it concerns and the error, the cursor moves past it, and the
events after it are delivered. ``credit.failed_events`` lists and retries the set-aside
events (``/readyz`` reports them, ``flask credit events ...`` handles them). A failure that
says the service behind the consumer is unavailable (a lost database connection, the search
backend down: ``Consumer.transient``) is no fault of the event: nothing is set aside, and the
consumer retries from its cursor on its next run.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from credit import clock
from credit.database import HostLock, host_lock
from credit.extensions import db
from credit.types import UtcDateTime

log = logging.getLogger(__name__)


class ChangeEvent(db.Model):
    __tablename__ = "change_event"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entity_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    entity_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    op: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # upsert | delete
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)

    __table_args__ = (sa.Index("ix_change_event_entity", "entity_type", "entity_id"),)


class ConsumerCursor(db.Model):
    __tablename__ = "consumer_cursor"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    position: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


_ROOT = str(Path(__file__).resolve().parents[1]) + os.sep

#: Longest error text kept with a failed event (the type, the message, where it was raised).
ERROR_MAX = 2000
DEFAULT_MAX_ATTEMPTS = 3


class FailedEvent(db.Model):
    """An event a consumer could not handle. While ``set_aside_at`` is empty it is being
    retried (``attempts`` so far); once set, the consumer's cursor has moved past it and
    only an operator's retry delivers it again. ``resolved_at``: delivered since."""

    __tablename__ = "failed_event"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    event_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    entity_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    op: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    #: The firms the event concerns: [{"uscc": ..., "name": ...}] (what an operator fixes).
    firms: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    error: Mapped[str] = mapped_column(sa.Text, nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    set_aside_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (sa.UniqueConstraint("consumer", "event_id"),)


@dataclass(frozen=True)
class Change:
    """What a consumer is handed: a detached copy of one event row."""

    id: int
    entity_type: str
    entity_id: str
    entity_version: int
    op: str


#: A consumer handles a batch of changes; it must be idempotent. It may raise: the batch
#: is then delivered again in parts, and an event that keeps failing is set aside.
Handler = Callable[[Session, Sequence[Change]], None]

#: Failures of the services behind every consumer, not of an event: the database
#: connection (lost, locked, a serialisation failure or deadlock) and the network.
TRANSIENT: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    ConnectionError,
    TimeoutError,
)


@dataclass
class Consumer:
    name: str
    handle: Handler
    batch_size: int = 500
    #: Exceptions (besides ``TRANSIENT``) that mean "try again later", never "bad event".
    transient: tuple[type[BaseException], ...] = field(default=())
    #: Deliveries of one failing event before it is set aside (setting
    #: ``CREDIT_EVENT_MAX_ATTEMPTS``, applied by ``register``).
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return True
        return isinstance(exc, TRANSIENT + self.transient)


# Consumers are registered per database engine: each app (and each test app) has its own.
_registry: weakref.WeakKeyDictionary[Engine, dict[str, Consumer]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def register(engine: Engine, consumer: Consumer, max_attempts: int | None = None) -> None:
    if max_attempts is not None:
        consumer.max_attempts = max_attempts
    _registry.setdefault(engine, {})[consumer.name] = consumer


def unregister(engine: Engine, name: str) -> None:
    _registry.get(engine, {}).pop(name, None)


def registered(engine: Engine) -> list[Consumer]:
    return list(_registry.get(engine, {}).values())


def backlog(session: Session, name: str) -> int:
    """How many committed events the consumer has not processed yet."""
    position = _position(session, name)
    return session.scalar(sa.select(sa.func.count()).where(ChangeEvent.id > position)) or 0


def slowest_position(conn: sa.Connection | Session, engine: Engine) -> int | None:
    """The cursor of the consumer furthest behind among those registered on ``engine``
    (0 for one that has none yet); None when there are none."""
    names = [c.name for c in registered(engine)]
    if not names:
        return None
    positions = dict(
        conn.execute(
            sa.select(ConsumerCursor.name, ConsumerCursor.position).where(
                ConsumerCursor.name.in_(names)
            )
        ).all()
    )
    return min(positions.get(name, 0) for name in names)


def count_after(conn: sa.Connection | Session, position: int, cap: int) -> int:
    """How many events follow ``position``, counted up to ``cap`` (a bounded read however
    long the backlog)."""
    upto = sa.select(ChangeEvent.id).where(ChangeEvent.id > position).limit(cap).subquery()
    return conn.scalar(sa.select(sa.func.count()).select_from(upto)) or 0


def _position(session: Session, name: str) -> int:
    return (
        session.scalar(sa.select(ConsumerCursor.position).where(ConsumerCursor.name == name)) or 0
    )


class _CursorMoved(Exception):
    """Another process moved the cursor (or a rebuild rewound it) while we worked."""


def _lock_cursor(session: Session, name: str) -> int:
    """Lock the consumer's cursor row (``FOR UPDATE`` on PostgreSQL; creating it first if
    needed) and return its position."""
    while True:
        position = session.scalar(
            sa.select(ConsumerCursor.position).where(ConsumerCursor.name == name).with_for_update()
        )
        if position is not None:
            return position
        session.execute(
            sa.insert(ConsumerCursor).values(name=name, position=0, updated_at=clock.now())
        )
        session.commit()


def _advance(session: Session, name: str, old: int, new: int) -> bool:
    """Compare-and-set the cursor from ``old`` to ``new``; False if it was not at ``old``."""
    return (
        session.execute(
            sa.update(ConsumerCursor)
            .where(ConsumerCursor.name == name, ConsumerCursor.position == old)
            .values(position=new, updated_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _mark_resolved(session: Session, name: str, first: int, last: int) -> None:
    """Failed events of ``name`` in ``[first, last]`` were delivered: resolved."""
    session.execute(
        sa.update(FailedEvent)
        .where(
            FailedEvent.consumer == name,
            FailedEvent.event_id.between(first, last),
            FailedEvent.resolved_at.is_(None),
        )
        .values(resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    )


#: Told of each batch a consumer committed: (consumer name, first id, last id, events).
BatchListener = Callable[[str, int, int, int], None]


def run_consumer(
    session: Session,
    consumer: Consumer,
    max_batches: int | None = None,
    on_batch: BatchListener | None = None,
) -> int:
    """Deliver pending events to one consumer in batches; returns how many were delivered
    (events set aside included: the cursor moved past them). ``on_batch`` is called after
    each committed batch with the range of event ids the cursor moved over.

    The cursor row is locked (``FOR UPDATE`` on PostgreSQL) while a batch is handled, so two
    processes never run the same consumer at once; the cursor advances only after the
    handler succeeded, in the same transaction. A failed batch is delivered in parts (see
    the module's doc); a transient failure is raised and the cursor stays.
    """
    delivered = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        position = _lock_cursor(session, consumer.name)
        changes = _pending(session, position, consumer.batch_size)
        if not changes:
            session.commit()
            break
        try:
            consumer.handle(session, changes)
        except Exception as exc:
            session.rollback()
            if consumer.is_transient(exc):
                raise
            log.warning(
                "consumer %s: a batch of %d events (%d-%d) failed (%s); delivering it in parts",
                consumer.name,
                len(changes),
                changes[0].id,
                changes[-1].id,
                _short(exc),
            )
            try:
                done = _deliver_in_parts(session, consumer, position, changes, exc)
            except _CursorMoved:
                session.rollback()
                session.expire_all()
                continue
            delivered += done
            batches += 1
            if on_batch is not None and done:
                on_batch(consumer.name, changes[0].id, changes[done - 1].id, done)
            continue
        # Compare-and-set: if the cursor moved meanwhile (a rebuild rewound it, or SQLite,
        # which takes no lock on the read, let another process advance it), this batch is
        # not recorded and will be delivered again, which consumers tolerate.
        moved = _advance(session, consumer.name, position, changes[-1].id)
        if moved:
            _mark_resolved(session, consumer.name, changes[0].id, changes[-1].id)
        session.commit()
        if not moved:
            log.info(
                "consumer %s: cursor moved while handling a batch; redelivering", consumer.name
            )
            session.expire_all()
            continue
        delivered += len(changes)
        batches += 1
        if on_batch is not None:
            on_batch(consumer.name, changes[0].id, changes[-1].id, len(changes))
    return delivered


def _pending(session: Session, position: int, limit: int) -> list[Change]:
    rows = session.execute(
        sa.select(
            ChangeEvent.id,
            ChangeEvent.entity_type,
            ChangeEvent.entity_id,
            ChangeEvent.entity_version,
            ChangeEvent.op,
        )
        .where(ChangeEvent.id > position)
        .order_by(ChangeEvent.id)
        .limit(limit)
    ).all()
    return [Change(*row) for row in rows]


def _try(
    session: Session, consumer: Consumer, position: int, part: list[Change]
) -> Exception | None:
    """Deliver ``part`` (the events right after ``position``) and move the cursor past it,
    in one transaction. Returns the handler's error (rolled back), or None."""
    if _lock_cursor(session, consumer.name) != position:
        raise _CursorMoved
    try:
        consumer.handle(session, part)
    except Exception as exc:
        session.rollback()
        if consumer.is_transient(exc):
            raise
        return exc
    if not _advance(session, consumer.name, position, part[-1].id):
        raise _CursorMoved
    _mark_resolved(session, consumer.name, part[0].id, part[-1].id)
    session.commit()
    return None


def _deliver_in_parts(
    session: Session, consumer: Consumer, position: int, changes: list[Change], error: Exception
) -> int:
    """Deliver a batch that failed with ``error`` in halves, each committed on its own,
    until every failing event stands alone; retry such an event up to ``max_attempts``
    times in all and then set it aside. Returns how many events the cursor moved past."""
    done = 0
    todo: list[tuple[list[Change], Exception | None]] = [(changes, error)]
    while todo:
        part, failed = todo.pop()
        if failed is None:
            failed = _try(session, consumer, position, part)
        if failed is None:
            position, done = part[-1].id, done + len(part)
        elif len(part) > 1:
            middle = len(part) // 2
            todo += [(part[middle:], None), (part[:middle], None)]  # first half first
        else:
            while failed is not None:
                if _record_failure(session, consumer, position, part[0], failed):
                    break  # set aside: the cursor is past it
                failed = _try(session, consumer, position, part)
            position, done = part[0].id, done + 1
    return done


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def describe_error(exc: BaseException) -> str:
    """The error as kept with a failed event: type, message and the line that raised it,
    at most ``ERROR_MAX`` characters."""
    kind = type(exc).__qualname__
    if type(exc).__module__ != "builtins":
        kind = f"{type(exc).__module__}.{kind}"
    text = f"{kind}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = last.filename.removeprefix(_ROOT)
        text += f"\n  at {where}:{last.lineno} in {last.name}"
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def firms_of(session: Session, change: Change) -> list[dict[str, str]]:
    """The firms an event concerns, by USCC and name (empty if none, or unreadable)."""
    from credit.enterprises.models import Enterprise
    from credit.owners import enterprises_touched

    try:
        ids = enterprises_touched(session, [change])
        if change.entity_type == "rating":  # a rating event names its firm itself
            ids.append(change.entity_id)
        rows = session.execute(
            sa.select(Enterprise.uscc, Enterprise.name)
            .where(Enterprise.id.in_(ids))
            .order_by(Enterprise.uscc)
        ).all()
    except Exception:  # the firm is a help for the operator, never a second failure
        log.warning("could not name the firm of event %d", change.id, exc_info=True)
        session.rollback()
        return []
    return [{"uscc": uscc, "name": name} for uscc, name in rows]


def firms_text(firms: list[dict[str, str]]) -> str:
    return ", ".join(f"{f['uscc']} {f['name']}" for f in firms) or "-"


def _upsert(session: Session) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FailedEvent)


def _record_failure(
    session: Session, consumer: Consumer, position: int, change: Change, error: Exception
) -> bool:
    """Count a failed delivery of ``change`` (the event right after ``position``); once
    it has failed ``max_attempts`` times, set it aside and move the cursor past it.
    Returns True when it was set aside."""
    firms = firms_of(session, change)
    if _lock_cursor(session, consumer.name) != position:
        raise _CursorMoved
    now = clock.now()
    text = describe_error(error)
    stmt = _upsert(session).values(
        consumer=consumer.name,
        event_id=change.id,
        entity_type=change.entity_type,
        entity_id=change.entity_id,
        entity_version=change.entity_version,
        op=change.op,
        firms=firms,
        error=text,
        attempts=1,
        first_failed_at=now,
        last_failed_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["consumer", "event_id"],
        set_={
            "attempts": FailedEvent.attempts + 1,
            "error": text,
            "firms": firms,
            "last_failed_at": now,
            "resolved_at": None,
        },
    ).returning(FailedEvent.id, FailedEvent.attempts)
    row_id, attempts = session.execute(stmt).one()
    set_aside = attempts >= consumer.max_attempts
    if set_aside:
        session.execute(
            sa.update(FailedEvent)
            .where(FailedEvent.id == row_id)
            .values(set_aside_at=now)
            .execution_options(synchronize_session=False)
        )
        if not _advance(session, consumer.name, position, change.id):
            raise _CursorMoved
    session.commit()
    where = (
        f"event {change.id} ({change.entity_type} {change.entity_id} v{change.entity_version};"
        f" firm {firms_text(firms)})"
    )
    if set_aside:
        log.error(
            "consumer %s set %s aside after %d failed attempts (failed event %d; retry with "
            "`flask credit events retry %d`): %s",
            consumer.name,
            where,
            attempts,
            row_id,
            row_id,
            _short(error),
            exc_info=error,
        )
    else:
        log.warning(
            "consumer %s: %s failed, attempt %d of %d: %s",
            consumer.name,
            where,
            attempts,
            consumer.max_attempts,
            _short(error),
        )
    return set_aside


def redeliver(session: Session, failed: FailedEvent) -> Exception | None:
    """Deliver a failed event to its consumer once more (an operator's retry), holding the
    consumer's cursor lock so it never runs beside the consumer itself. On success the
    event is resolved; on failure its attempts, error and time are updated. Commits either
    way; returns the error, or None. The cursor does not move."""
    consumer = _registry.get(session.get_bind(), {}).get(failed.consumer)
    if consumer is None:
        raise LookupError(f"no consumer named {failed.consumer!r} is registered")
    change = Change(
        failed.event_id, failed.entity_type, failed.entity_id, failed.entity_version, failed.op
    )
    row_id = failed.id
    _lock_cursor(session, consumer.name)
    try:
        consumer.handle(session, [change])
    except Exception as exc:
        session.rollback()
        firms = firms_of(session, change)
        session.execute(
            sa.update(FailedEvent)
            .where(FailedEvent.id == row_id)
            .values(
                attempts=FailedEvent.attempts + 1,
                error=describe_error(exc),
                firms=firms,
                last_failed_at=clock.now(),
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        log.warning(
            "retry of failed event %d (consumer %s, event %d; firm %s) failed: %s",
            row_id,
            consumer.name,
            change.id,
            firms_text(firms),
            _short(exc),
        )
        return exc
    session.execute(
        sa.update(FailedEvent)
        .where(FailedEvent.id == row_id)
        .values(resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.info(
        "failed event %d (consumer %s, event %d) delivered and resolved",
        row_id,
        consumer.name,
        change.id,
    )
    return None


def is_transient(session: Session, consumer_name: str, exc: BaseException) -> bool:
    """Whether ``exc`` says the consumer's service is unavailable (try again later)."""
    consumer = _registry.get(session.get_bind(), {}).get(consumer_name)
    return consumer.is_transient(exc) if consumer else False


#: How long ``run_all`` waits for another process of this host to finish delivering.
DELIVERY_WAIT_SECONDS = 5.0


def _deliveries_lock(engine: Engine) -> HostLock | None:
    """SQLite: the host-wide lock of this database's deliveries (the file
    ``<database>-deliveries.lock``). SQLite takes no row lock on a read, so without it two
    processes could deliver the same events at once, and the one that read the firm
    earlier could write its older search document last; the cursor's compare-and-set
    would not deliver that event again, so the document stayed stale. PostgreSQL locks the
    cursor row (``FOR UPDATE``) instead, and the worker holds a lease per consumer."""
    if engine.dialect.name != "sqlite":
        return None
    return host_lock(engine.url.database, "-deliveries.lock")


def run_all(session: Session, raise_errors: bool = False) -> dict[str, int]:
    """Catch every registered consumer up. Failures are logged (the consumer retries on the
    next run) unless ``raise_errors``. On SQLite, processes deliver one at a time: one
    that waited ``DELIVERY_WAIT_SECONDS`` for another leaves the backlog to it (the other
    delivers until it finds nothing pending) and returns ``{}``."""
    results: dict[str, int] = {}
    shared = _deliveries_lock(session.get_bind())
    with _lock:
        if shared is not None and not shared.acquire(DELIVERY_WAIT_SECONDS):
            log.warning(
                "consumers: another process has been delivering for %.0f s; leaving it the backlog",
                DELIVERY_WAIT_SECONDS,
            )
            return results
        try:
            for consumer in registered(session.get_bind()):
                try:
                    results[consumer.name] = run_consumer(session, consumer)
                except Exception:
                    if raise_errors:
                        raise
                    log.exception(
                        "consumer %s failed; it will retry from its cursor", consumer.name
                    )
                    results[consumer.name] = -1
        finally:
            if shared is not None:
                shared.release()
    return results
