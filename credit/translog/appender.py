"""The change-feed consumer that writes the public log: ``transparency-log``.

For each change, in feed order, the record's public state now (``credit.translog.facts``)
is compared with the last entry logged for it; a new state or new content is appended as
one entry, with a fresh salt. Deriving again (a redelivered change, a later change that
altered nothing public) finds the same state and content and appends nothing, so the
consumer is idempotent, and the entries, their records and the consumer's cursor commit in
one transaction: nothing is logged twice or lost.

A record read in a state it already left before the consumer got to it is logged in the
state it has now (as the search index and webhooks are): the log holds every committed
public state the consumer saw, in order.

When a record leaves view for good (``facts.LEAVING``) the content and salt of all its
entries, and of the decisions about it, are deleted in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock
from credit.changes import Change, ChangeEvent, Consumer
from credit.translog import entries, facts, store
from credit.translog.records import LogRecord

CONSUMER_NAME = "transparency-log"


@dataclass
class _Last:
    event_type: str
    content: bytes | None


def _last_logged(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], _Last]:
    """The latest entry of each (kind, record id) in ``keys`` (by kind, so each query runs
    on the (kind, record_id, index) index)."""
    out: dict[tuple[str, str], _Last] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, rid in keys:
        by_kind.setdefault(kind, []).append(rid)
    for kind, ids in by_kind.items():
        ids.sort()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            latest = (
                sa.select(sa.func.max(LogRecord.index))
                .where(LogRecord.kind == kind, LogRecord.record_id.in_(chunk))
                .group_by(LogRecord.record_id)
            )
            rows = session.execute(
                sa.select(LogRecord.record_id, LogRecord.event_type, LogRecord.content).where(
                    LogRecord.index.in_(latest)
                )
            )
            for rid, event_type, content in rows:
                out[(kind, rid)] = _Last(event_type, content)
    return out


def _derive(session: Session, changes: Sequence[Change]) -> list[tuple[Change, facts.Fact]]:
    today = clock.today()
    rated = facts.rating_facts(session, [c.entity_id for c in changes if c.entity_type == "rating"])
    out = []
    for change in changes:
        if change.entity_type == "rating":
            fact = rated.get(change.entity_id)
        else:
            fact = facts.fact_of(session, change.entity_type, change.entity_id, today)
        if fact is not None:
            out.append((change, fact))
    return out


def _already_logged(fact: facts.Fact, body: bytes, before: _Last | None) -> bool:
    """Nothing new to log: a record leaving that was never shown (or whose leaving was
    logged), or the same state with the same content as its last entry."""
    if fact.event_type in facts.LEAVING:
        return before is None or before.event_type == fact.event_type
    if before is None or before.event_type != fact.event_type:
        return False
    return before.content is None or before.content == body


def _forget(session: Session, kind: str, record_id: str) -> None:
    """Delete the content and salt of a record's entries (and of the decisions about a
    violation) once it left view: only the commitments remain."""
    keys = [(kind, record_id)]
    if kind == "violation":
        keys += facts.related_to_violation(session, record_id)
    for k, rid in keys:
        session.execute(
            sa.update(LogRecord)
            .where(LogRecord.kind == k, LogRecord.record_id == rid, LogRecord.content.isnot(None))
            .values(content=None, salt=None)
        )


def append_changes(session: Session, changes: Sequence[Change]) -> int:
    """Log what ``changes`` stand for now; returns how many entries were appended."""
    relevant = [c for c in changes if c.entity_type in facts.WATCHED]
    if not relevant:
        return 0
    derived = _derive(session, relevant)
    if not derived:
        return 0
    last = _last_logged(session, {(f.kind, f.record_id) for _, f in derived})
    occurred: dict[int, datetime] = dict(
        session.execute(
            sa.select(ChangeEvent.id, ChangeEvent.occurred_at).where(
                ChangeEvent.id.in_([c.id for c, _ in derived])
            )
        ).all()
    )
    new: list[tuple[entries.Entry, bytes | None, bytes | None]] = []
    leaving: list[tuple[str, str]] = []
    for change, fact in derived:
        key = (fact.kind, fact.record_id)
        body = entries.canonical(fact.content)
        before = last.get(key)
        if _already_logged(fact, body, before):
            continue
        salt = entries.new_salt()
        at = entries.timestamp(occurred.get(change.id) or clock.now())
        entry = entries.Entry(
            fact.kind, fact.record_id, fact.event_type, at, entries.commitment(salt, body)
        )
        if fact.event_type in facts.LEAVING:
            new.append((entry, None, None))
            leaving.append(key)
        else:
            new.append((entry, body, salt))
        last[key] = _Last(fact.event_type, None if fact.event_type in facts.LEAVING else body)
    if not new:
        return 0
    for kind, rid in leaving:
        _forget(session, kind, rid)
    first = store.append(session, [e.encode() for e, _, _ in new])
    rows = []
    for offset, (e, body, salt) in enumerate(new):
        when = datetime.fromisoformat(e.at.replace("Z", "+00:00"))
        rows.append(
            (first + offset, e.kind, e.record_id, e.event_type, when, e.commitment, body, salt)
        )
    _insert_records(session, rows)
    return len(new)


def _insert_records(session: Session, rows: list[tuple]) -> None:
    columns = (
        "index",
        "kind",
        "record_id",
        "event_type",
        "occurred_at",
        "commitment",
        "content",
        "salt",
    )
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps UtcDateTime as naive UTC text; the type's own conversion does that.
        session.execute(
            sa.insert(LogRecord), [dict(zip(columns, row, strict=True)) for row in rows]
        )
        return
    store.insert_many(session.connection(), LogRecord.__tablename__, columns, rows)


def make_consumer(batch_size: int = 500) -> Consumer:
    """The change-feed consumer ``transparency-log`` (runs in the worker)."""

    def handle(session: Session, changes: Sequence[Change]) -> None:
        append_changes(session, changes)

    return Consumer(CONSUMER_NAME, handle, batch_size)
