"""The durable change feed (transactional outbox) and its consumers' cursors.

Every domain change appends a ``ChangeEvent`` in the same transaction as the change itself
(see ``credit.uow``), so a consumer can never miss a committed change. Consumers (the
search indexer first; re-rating, the ledger and notifications later) each keep a cursor:
the id of the last event they processed. Delivery is at-least-once; consumers must be
idempotent. Event ids are allocated in commit order (``uow`` serialises the append on
PostgreSQL), so a consumer that reads ``id > cursor`` never skips a late commit.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from credit import clock
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


@dataclass(frozen=True)
class Change:
    """What a consumer is handed: a detached copy of one event row."""

    id: int
    entity_type: str
    entity_id: str
    entity_version: int
    op: str


#: A consumer handles a batch of changes; it must be idempotent. It may raise: the cursor
#: then stays where it was and the batch is delivered again next time.
Handler = Callable[[Session, Sequence[Change]], None]


@dataclass
class Consumer:
    name: str
    handle: Handler
    batch_size: int = 500


# Consumers are registered per database engine: each app (and each test app) has its own.
_registry: weakref.WeakKeyDictionary[Engine, dict[str, Consumer]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def register(engine: Engine, consumer: Consumer) -> None:
    _registry.setdefault(engine, {})[consumer.name] = consumer


def registered(engine: Engine) -> list[Consumer]:
    return list(_registry.get(engine, {}).values())


def backlog(session: Session, name: str) -> int:
    """How many committed events the consumer has not processed yet."""
    position = _position(session, name)
    return session.scalar(sa.select(sa.func.count()).where(ChangeEvent.id > position)) or 0


def _position(session: Session, name: str) -> int:
    return (
        session.scalar(sa.select(ConsumerCursor.position).where(ConsumerCursor.name == name)) or 0
    )


def run_consumer(session: Session, consumer: Consumer, max_batches: int | None = None) -> int:
    """Deliver pending events to one consumer in batches; returns how many were delivered.

    The cursor row is locked (``FOR UPDATE`` on PostgreSQL) while a batch is handled, so two
    processes never run the same consumer at once; the cursor advances only after the
    handler succeeded, in the same transaction.
    """
    delivered = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        cursor = session.execute(
            sa.select(ConsumerCursor).where(ConsumerCursor.name == consumer.name).with_for_update()
        ).scalar_one_or_none()
        if cursor is None:
            session.execute(
                sa.insert(ConsumerCursor).values(
                    name=consumer.name, position=0, updated_at=clock.now()
                )
            )
            session.commit()
            continue
        rows = (
            session.execute(
                sa.select(ChangeEvent)
                .where(ChangeEvent.id > cursor.position)
                .order_by(ChangeEvent.id)
                .limit(consumer.batch_size)
            )
            .scalars()
            .all()
        )
        if not rows:
            session.commit()
            break
        changes = [Change(r.id, r.entity_type, r.entity_id, r.entity_version, r.op) for r in rows]
        try:
            consumer.handle(session, changes)
        except Exception:
            session.rollback()
            raise
        # Compare-and-set: if the cursor moved meanwhile (a rebuild rewound it, or SQLite,
        # which takes no lock on the read, let another process advance it), this batch is
        # not recorded and will be delivered again, which consumers tolerate.
        moved = session.execute(
            sa.update(ConsumerCursor)
            .where(ConsumerCursor.name == consumer.name, ConsumerCursor.position == cursor.position)
            .values(position=changes[-1].id, updated_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if moved != 1:
            log.info(
                "consumer %s: cursor moved while handling a batch; redelivering", consumer.name
            )
            session.expire_all()
            continue
        delivered += len(changes)
        batches += 1
    return delivered


def run_all(session: Session, raise_errors: bool = False) -> dict[str, int]:
    """Catch every registered consumer up. Failures are logged (the consumer retries on the
    next run) unless ``raise_errors``."""
    results: dict[str, int] = {}
    with _lock:
        for consumer in registered(session.get_bind()):
            try:
                results[consumer.name] = run_consumer(session, consumer)
            except Exception:
                if raise_errors:
                    raise
                log.exception("consumer %s failed; it will retry from its cursor", consumer.name)
                results[consumer.name] = -1
    return results
