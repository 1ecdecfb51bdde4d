"""Sign-ins to the platform kept on the server (``web_session``).

A sign-in starts when a password is accepted at ``/login`` and ends at the first of:
sign-out, the absolute limit fixed at the password (``CREDIT_SIGN_IN_TTL``), a new
sign-in in the same browser, or the account being disabled. The browser holds only a
random secret (in the signed session cookie); the row holds its SHA-256. A cookie copied
before sign-out is therefore worth nothing after it: the row says ended.

Like ``store``, this is the authorization server's own data access: no Identity, and
everything runs in the caller's unit of work.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from credit import clock
from credit.accounts import store
from credit.accounts.models import UserAccount, WebSession
from credit.accounts.secrets import digest
from credit.extensions import db

#: ``last_seen_at`` is written at most this often (not on every page).
TOUCH_EVERY = timedelta(minutes=1)

#: Why a sign-in ended (``web_session.end_reason``).
SIGNED_OUT = "signed_out"
REPLACED = "replaced"
EXPIRED = "expired"
USER_DISABLED = "user_disabled"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a secret)


def start(user: UserAccount, *, ttl: int, remote_addr: str | None) -> tuple[WebSession, str]:
    """A new sign-in for ``user`` whose password was just accepted; returns the row and
    the secret for the cookie (shown once, stored only as its hash)."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    row = WebSession(
        secret_hash=digest(secret),
        user_id=user.id,
        authenticated_at=now,
        expires_at=now + timedelta(seconds=ttl),
        last_seen_at=now,
        remote_addr=(remote_addr or "")[:64] or None,
    )
    db.session.add(row)
    db.session.flush()
    return row, secret


def find(secret: str | None) -> WebSession | None:
    """The row behind a cookie's secret, live or not (None for an unknown secret)."""
    if not secret:
        return None
    return db.session.scalar(sa.select(WebSession).where(WebSession.secret_hash == digest(secret)))


def lock(secret: str | None) -> WebSession | None:
    """The row behind a cookie's secret, locked until the caller's transaction ends, and
    read afresh: two requests of one browser that both want to refresh its tokens take
    turns, and the second sees what the first stored.

    The lock is an UPDATE (of ``last_seen_at``), the one statement that waits for a
    concurrent holder on both databases (PostgreSQL's row lock, SQLite's write lock). A
    read-only transaction the caller had open is ended first, so that on SQLite the wait
    does not end in a stale snapshot."""
    if not secret:
        return None
    session = db.session()  # the Session itself (scoped_session has no in_transaction)
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.rollback()  # nothing pending: only reads are given up
    locked = session.execute(
        sa.update(WebSession)
        .where(WebSession.secret_hash == digest(secret))
        .values(last_seen_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if locked != 1:
        return None
    return session.scalar(
        sa.select(WebSession)
        .where(WebSession.secret_hash == digest(secret))
        .execution_options(populate_existing=True)
    )


def live(secret: str | None) -> tuple[WebSession, UserAccount] | None:
    """The sign-in behind a cookie's secret and its user, if it has not ended, has not
    reached its absolute limit and the account is still enabled; else None."""
    row = find(secret)
    if row is None or not row.is_live(clock.now()):
        return None
    user = store.get_user(row.user_id)
    return (row, user) if user is not None else None


def needs_touch(row: WebSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


def touch(row: WebSession) -> None:
    """Note that the sign-in was used (for operators; it never extends the sign-in)."""
    row.last_seen_at = clock.now()


def attach_console_tokens(row: WebSession, sealed: str, family_id: str) -> None:
    """Keep the console's (encrypted) tokens with the sign-in; a console sign-in made
    again in the same session replaces the previous one, whose tokens are revoked."""
    if row.console_family_id and row.console_family_id != family_id:
        store.revoke_family(row.console_family_id, reason="console signed in again")
    row.console_family_id = family_id
    row.console_tokens = sealed


def end(row: WebSession, reason: str, *, remote_addr: str | None = None) -> None:
    """End a sign-in now and revoke the console tokens issued under it."""
    if row.ended_at is None:
        row.ended_at = clock.now()
        row.end_reason = reason
    row.console_tokens = None
    if row.console_family_id:
        store.revoke_family(row.console_family_id, reason=f"sign-in ended ({reason})")
    user = db.session.get(UserAccount, row.user_id)
    store.record_event(
        "logout",
        reason,
        username=user.username if user else None,
        remote_addr=remote_addr,
        detail=f"session {row.id[:8]}",
    )


def end_all_for_user(user_id: str, reason: str) -> int:
    """End every live sign-in of a user (account disabled, password changed)."""
    now = clock.now()
    rows = list(
        db.session.scalars(
            sa.select(WebSession).where(
                WebSession.user_id == user_id,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
            )
        )
    )
    for row in rows:
        end(row, reason)
    return len(rows)
