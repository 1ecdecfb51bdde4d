"""Leases: which worker process holds a change-feed consumer (or the sweeps) right now.

Several ``flask credit worker`` processes may run, on several hosts. Each consumer must be
worked by one of them at a time, and when that one dies another must take over within
seconds. A lease is one row per consumer: the holder's id and the time it expires. The
holder renews it every few seconds; anyone may take a lease whose time has passed (the
holder died, hung or lost its database connection). A lease is about who works: the
consumer's cursor compare-and-set (``credit.changes``) still guards correctness, so a
holder that stalled past its lease and wakes up again cannot record a batch twice.

Expiry is read on the database server's clock where it has one (PostgreSQL ``now()``),
so hosts with skewed clocks still agree; on SQLite (one host) the process clock is used.
Every function here works on a connection of its own and commits at once: a lease is
never part of a domain transaction.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db
from credit.types import UtcDateTime


class ConsumerLease(db.Model):
    """Who holds a consumer (or ``sweep``) until when; one row per name, kept forever."""

    __tablename__ = "consumer_lease"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    acquired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


def new_holder_id() -> str:
    """This process's holder id: host, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now(conn: Connection) -> datetime:
    """The database's clock on PostgreSQL, this process's on SQLite."""
    if conn.dialect.name == "postgresql":
        return conn.scalar(sa.text("SELECT now()"))
    return datetime.now(UTC)


def acquire(engine: Engine, name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease ``name`` for ``ttl`` seconds; True when ``holder`` has it.

    Succeeds when the lease is free, expired, or already ``holder``'s (a renewal). The
    update is one statement guarded by its WHERE clause, so two processes racing for an
    expired lease cannot both win."""
    table = ConsumerLease.__table__
    with engine.begin() as conn:
        now = _now(conn)
        until = now + timedelta(seconds=ttl)
        taken = conn.execute(
            sa.update(table)
            .where(
                table.c.name == name,
                sa.or_(
                    table.c.holder == holder,
                    table.c.holder.is_(None),
                    table.c.expires_at < now,
                ),
            )
            .values(
                holder=holder,
                expires_at=until,
                acquired_at=sa.case((table.c.holder == holder, table.c.acquired_at), else_=now),
            )
        ).rowcount
        if taken:
            return True
    # No row yet (the first worker ever), or held by another: create it unless it exists
    # (ON CONFLICT DO NOTHING: a held lease is no error in the database's log).
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        created = conn.execute(
            insert(table)
            .values(name=name, holder=holder, expires_at=until, acquired_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(table.c.name)  # rowcount is -1 here on psycopg
        ).first()
    return created is not None


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), if ``holder`` still has it."""
    table = ConsumerLease.__table__
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.name == name, table.c.holder == holder)
            .values(holder=None, expires_at=_now(conn))
        )


@dataclass(frozen=True)
class LeaseState:
    name: str
    holder: str | None
    expires_at: datetime | None
    expired: bool


def states(conn: Connection) -> dict[str, LeaseState]:
    """Every lease as it stands (for ``/readyz``)."""
    table = ConsumerLease.__table__
    now = _now(conn)
    rows = conn.execute(sa.select(table.c.name, table.c.holder, table.c.expires_at)).all()
    return {
        name: LeaseState(name, holder, expires, holder is None or expires <= now)
        for name, holder, expires in rows
    }
