"""Idempotency keys for POST requests (Stripe-style), scoped per OAuth client.

A request with an ``Idempotency-Key`` first *claims* the key in a transaction of its own,
so a concurrent duplicate sees the claim and is told so (409). The domain transaction that
carries out the request marks the claim *applied* in the same commit (``credit.uow`` does
it through ``session.info``), and the response is stored afterwards for replay. A request
that failed releases its claim, so a retry runs again. Keys are kept 24 hours.

The same commit stores which resource the request created or changed (its entity type
and id, the first entity the unit of work recorded). If the process dies between the
domain commit and storing the response, the key stays *applied* without a response: a
retry gets 409 and never a second effect, and the 409 names that resource so the client
can fetch it (the HTTP layer maps the type and id to its URL).

A claim names the process that holds it (host, pid and the process's start time). A
duplicate that finds the key claimed by a process of the same host that no longer runs (a
gunicorn worker killed mid-request, an instance restarted) takes the claim over at once;
a claim held by another host's process is taken over when its lease (60 s) ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from credit import clock
from credit.extensions import db
from credit.types import UtcDateTime

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
SESSION_KEY = "credit.idempotency_claim"


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_key"

    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # claimed|applied|done
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict | None] = mapped_column(sa.JSON)
    #: The resource the request created or changed, stored in the domain commit.
    resource_type: Mapped[str | None] = mapped_column(sa.String(32))
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    #: The process holding the claim: "host:pid:start" (``this_process``).
    holder: Mapped[str | None] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Same key with a different request is an error: compare canonical JSON bodies."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux ``/proc``); None when
    no such process runs."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The fields after the command name, which is in parentheses and may hold anything.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return fields[19].decode()  # field 22, starttime


_this: tuple[int, str] | None = None


def this_process() -> str:
    """This process as a claim's holder: host, pid and start time (a pid is reused)."""
    global _this
    pid = os.getpid()
    if _this is None or _this[0] != pid:  # computed again in a forked child
        _this = (pid, f"{socket.gethostname()}:{pid}:{_started(pid) or '-'}")
    return _this[1]


def holder_gone(holder: str | None) -> bool:
    """True when ``holder`` is a process of this host that no longer runs (where this host
    can tell: Linux ``/proc``). A holder on another host is never known gone."""
    if not holder or not os.path.isdir("/proc/self"):
        return False
    host, _, rest = holder.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or started == "-":
        return False
    return _started(int(pid)) != started


@dataclass(frozen=True)
class Claim:
    """What claiming a key found: go ahead, replay a stored response, or refuse."""

    outcome: str  # "proceed" | "replay" | "in_flight" | "mismatch" | "unknown_result"
    record: IdempotencyRecord | None = None


def claim(client_id: str, key: str, fingerprint: str) -> Claim:
    """Claim the key in its own committed transaction."""
    session = db.session
    now = clock.now()
    session.execute(
        sa.delete(IdempotencyRecord)
        .where(
            IdempotencyRecord.client_id == client_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    try:
        session.add(
            IdempotencyRecord(
                client_id=client_id,
                key=key,
                request_hash=fingerprint,
                state="claimed",
                created_at=now,
                locked_until=now + LEASE,
                expires_at=now + RETENTION,
                holder=this_process(),
            )
        )
        session.commit()
        return Claim("proceed")
    except IntegrityError:
        session.rollback()
    record = session.get(IdempotencyRecord, (client_id, key), populate_existing=True)
    if record is None:  # released in the meantime: try once more
        return claim(client_id, key, fingerprint)
    if record.request_hash != fingerprint:
        return Claim("mismatch", record)
    if record.state == "done":
        return Claim("replay", record)
    if record.state == "applied":
        return Claim("unknown_result", record)
    # Claimed by a request still running, or by one that died before applying anything:
    # its lease has ended, or its process (on this host) is gone.
    free = IdempotencyRecord.locked_until <= now
    if holder_gone(record.holder):
        free = sa.or_(free, IdempotencyRecord.holder == record.holder)
    taken = session.execute(
        sa.update(IdempotencyRecord)
        .where(
            IdempotencyRecord.client_id == client_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.state == "claimed",
            free,
        )
        .values(locked_until=now + LEASE, holder=this_process())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return Claim("proceed") if taken == 1 else Claim("in_flight", record)


def attach(client_id: str, key: str) -> None:
    """The request about to run carries this claimed key: its unit of work marks it."""
    db.session.info[SESSION_KEY] = (client_id, key)


def detach() -> None:
    db.session.info.pop(SESSION_KEY, None)


def mark_applied(session: Session, resource: tuple[str, str] | None = None) -> None:
    """Called by the unit of work just before it commits the domain change, with the
    (entity type, id) the change is about; the first one marked is kept (a platform's
    batch commits once per item)."""
    pending = session.info.get(SESSION_KEY)
    if pending:
        client_id, key = pending
        values: dict[str, Any] = {"state": "applied"}
        if resource is not None:
            values["resource_type"] = sa.func.coalesce(IdempotencyRecord.resource_type, resource[0])
            values["resource_id"] = sa.func.coalesce(IdempotencyRecord.resource_id, resource[1])
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def complete(client_id: str, key: str, status: int, body: str, headers: dict[str, str]) -> None:
    """Store the response for replay. On failure the transaction is rolled back (the
    session stays usable) and the error raised: the request itself is already committed,
    and a retry finds the resource the key's row recorded in that commit."""
    session = db.session
    try:
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key)
            .values(state="done", status_code=status, response_body=body, response_headers=headers)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except Exception:
        session.rollback()
        raise


def release(client_id: str, key: str) -> None:
    """The request failed without applying anything: let a retry run again."""
    session = db.session
    session.rollback()
    session.execute(
        sa.delete(IdempotencyRecord)
        .where(
            IdempotencyRecord.client_id == client_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.state == "claimed",
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
