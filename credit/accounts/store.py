"""What the OAuth authorization server reads and writes: clients, codes, tokens, sign-ins,
and the audit trail of authentication events.

This is the authorization server's own data access (it acts for the platform, not for a
caller), so it takes no Identity. Everything runs in the caller's unit of work.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from credit import clock
from credit.accounts.models import (
    AuthEvent,
    Authority,
    AuthorizationCode,
    OAuthClient,
    Token,
    UserAccount,
)
from credit.accounts.secrets import (
    DUMMY_PASSWORD_HASH,
    digest,
    verify_password,
)
from credit.enterprises.models import new_id
from credit.extensions import db
from credit.identity import Identity, IdentityKind

log = logging.getLogger("credit.auth")

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def record_event(
    event: str,
    outcome: str,
    *,
    client_id: str | None = None,
    username: str | None = None,
    remote_addr: str | None = None,
    detail: str | None = None,
) -> None:
    """One audit row and one log line; callers never pass a secret or a token."""

    def clean(v: str | None) -> str | None:
        # No control characters in the audit trail (log injection).
        return None if v is None else "".join(ch for ch in v if ch.isprintable())[:200]

    db.session.add(
        AuthEvent(
            occurred_at=clock.now(),
            event=event,
            outcome=outcome,
            client_id=clean(client_id),
            username=clean(username),
            remote_addr=clean(remote_addr),
            detail=clean(detail),
        )
    )
    log.info(
        "auth event=%s outcome=%s client=%s user=%s addr=%s %s",
        event,
        outcome,
        clean(client_id),
        clean(username),
        clean(remote_addr),
        clean(detail) or "",
    )


def query_client(client_id: str) -> OAuthClient | None:
    client = db.session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
    return client if client is not None and client.active else None


def authenticate_user(username: str, password: str, remote_addr: str | None) -> UserAccount | None:
    """Check a console password with lockout after repeated failures."""
    now = clock.now()
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.username == username))
    if user is None or user.disabled_at is not None:
        verify_password(DUMMY_PASSWORD_HASH, password)  # same cost as a real check
        record_event(
            "login",
            "failure",
            username=username,
            remote_addr=remote_addr,
            detail="unknown or disabled user",
        )
        return None
    if user.is_locked(now):
        record_event("login", "locked", username=username, remote_addr=remote_addr)
        return None
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            record_event("lockout", "locked", username=username, remote_addr=remote_addr)
        else:
            record_event("login", "failure", username=username, remote_addr=remote_addr)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record_event("login", "success", username=username, remote_addr=remote_addr)
    return user


def get_user(user_id: str) -> UserAccount | None:
    user = db.session.get(UserAccount, user_id)
    return user if user is not None and user.disabled_at is None else None


# -- authorization codes --------------------------------------------------------------
def save_code(
    code: str,
    *,
    client_id: str,
    user_id: str,
    redirect_uri: str,
    scope: str,
    challenge: str,
    method: str,
    ttl: int,
    auth_time: datetime | None = None,
) -> None:
    """Store a code; ``auth_time`` is when the approving user entered the password."""
    now = clock.now()
    db.session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=client_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=challenge,
            code_challenge_method=method,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            auth_time=auth_time,
        )
    )


def redeem_code(code: str, client_id: str) -> AuthorizationCode | None:
    """Mark a code used, atomically: of two concurrent redemptions only one gets it. A code
    presented again revokes the tokens issued from it (RFC 6749 §4.1.2)."""
    now = clock.now()
    row = db.session.scalar(
        sa.select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
    )
    if row is None or row.client_id != client_id:
        return None
    claimed = db.session.execute(
        sa.update(AuthorizationCode)
        .where(
            AuthorizationCode.id == row.id,
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(row)
        if row.used_at is not None:
            revoke_family(row.id, reason="authorization code replayed")
        return None
    db.session.refresh(row)
    return row


# -- tokens ---------------------------------------------------------------------------
def save_token(
    token: dict,
    *,
    client: OAuthClient,
    user: UserAccount | None,
    family_id: str | None,
    refresh_expires_at: datetime | None,
) -> Token:
    """Store an issued token. A refresh token's end is absolute and given by the caller:
    fixed for the whole family when it starts (see ``refresh_family_end``)."""
    now = clock.now()
    refresh = token.get("refresh_token")
    row = Token(
        access_token_hash=digest(token["access_token"]),
        refresh_token_hash=digest(refresh) if refresh else None,
        client_id=client.client_id,
        user_id=user.id if user else None,
        scope=token.get("scope", ""),
        family_id=family_id or new_id(),
        issued_at=now,
        expires_in=int(token["expires_in"]),
        refresh_expires_at=refresh_expires_at if refresh else None,
    )
    db.session.add(row)
    return row


def refresh_family_end(
    grant_type: str | None,
    *,
    code: AuthorizationCode | None,
    previous: Token | None,
    ttl: int,
) -> datetime:
    """When a refresh-token family ends: ``ttl`` after the password that started it (the
    code's ``auth_time``), and a rotated token inherits its predecessor's end, so
    refreshing never moves it."""
    if grant_type == "refresh_token" and previous is not None and previous.refresh_expires_at:
        return previous.refresh_expires_at
    start = clock.now()
    if code is not None and code.auth_time is not None:
        start = min(start, code.auth_time)
    return start + timedelta(seconds=ttl)


def find_access_token(value: str) -> Token | None:
    return db.session.scalar(sa.select(Token).where(Token.access_token_hash == digest(value)))


def find_refresh_token(value: str) -> Token | None:
    return db.session.scalar(sa.select(Token).where(Token.refresh_token_hash == digest(value)))


def find_any_token(value: str, hint: str | None) -> Token | None:
    order = (
        [find_refresh_token, find_access_token]
        if hint == "refresh_token"
        else [find_access_token, find_refresh_token]
    )
    for finder in order:
        token = finder(value)
        if token is not None:
            return token
    return None


def claim_refresh_token(value: str) -> Token | None:
    """Use a refresh token once. A replay of a used one revokes its whole family."""
    now = clock.now()
    token = find_refresh_token(value)
    if token is None:
        return None
    claimed = db.session.execute(
        sa.update(Token)
        .where(Token.id == token.id, Token.refresh_used_at.is_(None), Token.revoked_at.is_(None))
        .values(refresh_used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(token)
    if claimed != 1:
        if token.refresh_used_at is not None:
            revoke_family(token.family_id, reason="refresh token replayed")
        return None
    if token.refresh_expires_at is None or token.refresh_expires_at <= now:
        return None
    return token


def revoke_token(token: Token) -> None:
    token.revoked_at = token.revoked_at or clock.now()


def revoke_family(family_or_code_id: str, reason: str) -> int:
    """Revoke every live token of a family (a code id is the family id of its tokens)."""
    n = db.session.execute(
        sa.update(Token)
        .where(Token.family_id == family_or_code_id, Token.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    record_event("token_family_revoked", "revoked", detail=f"{reason}; {n} tokens")
    return n


#: What a bearer request needs of its token and of the token's client, read in one Core
#: statement (no ORM objects: every API request runs this, and building two mapped objects
#: through the identity map was a tenth of a write's CPU).
_BEARER = (
    sa.select(
        Token.user_id,
        Token.scope,
        Token.issued_at,
        Token.expires_in,
        Token.revoked_at,
        OAuthClient.client_id,
        OAuthClient.kind,
        OAuthClient.enterprise_id,
        OAuthClient.authority_id,
        OAuthClient.organisation_id,
        OAuthClient.disabled_at,
    )
    .join(OAuthClient, OAuthClient.client_id == Token.client_id)
    .where(Token.access_token_hash == sa.bindparam("token_hash"))
)


def identity_for_access_token(value: str) -> Identity | None:
    """The identity behind an access token that is live (not expired, not revoked) and
    whose client is active: the same checks as ``find_access_token`` then
    ``identity_for``, with the token and its client read in one statement."""
    # Through the session, so a token refreshed earlier in this request is flushed first.
    row = db.session.execute(_BEARER, {"token_hash": digest(value)}).one_or_none()
    if row is None or row.revoked_at is not None or row.disabled_at is not None:
        return None
    if clock.now() >= row.issued_at + timedelta(seconds=row.expires_in):
        return None
    return _identity(row, row.user_id, row.scope)


def identity_for(token: Token) -> Identity | None:
    """The acting party behind a valid token: an enterprise, a regulator (with its
    jurisdiction), an industry organisation, an operator or an internal service."""
    client = query_client(token.client_id)
    if client is None:
        return None
    return _identity(client, token.user_id, token.scope)


def _identity(client, user_id: str | None, scope: str) -> Identity | None:
    """The identity of an active ``client`` (a row or an OAuthClient) acting alone or for
    the console user ``user_id``, with the token's ``scope``."""
    token_scopes = frozenset(scope.split())
    if user_id:
        user = get_user(user_id)
        if user is None:
            return None
        kind, enterprise_id, authority_id = user.kind, user.enterprise_id, user.authority_id
        organisation_id = user.organisation_id
        subject = f"user:{user.username}"
    else:
        kind, enterprise_id, authority_id = client.kind, client.enterprise_id, client.authority_id
        organisation_id = client.organisation_id
        subject = f"client:{client.client_id}"
    if organisation_id and not _organisation_active(organisation_id):
        return None  # a disabled organisation's clients and users act no more
    jurisdiction: frozenset[str] = frozenset()
    if authority_id:
        authority = db.session.get(Authority, authority_id)
        jurisdiction = frozenset(authority.jurisdiction) if authority else frozenset()
    if kind not in _KINDS:
        return None
    return Identity(
        _KINDS[kind],
        subject,
        enterprise_id=enterprise_id,
        authority_id=authority_id,
        organisation_id=organisation_id,
        scopes=token_scopes,
        jurisdiction=jurisdiction,
    )


_KINDS = {
    "enterprise": IdentityKind.ENTERPRISE,
    "regulator": IdentityKind.REGULATOR,
    "operator": IdentityKind.OPERATOR,
    "organisation": IdentityKind.ORGANISATION,
    "internal": IdentityKind.INTERNAL,
    "subscriber": IdentityKind.SUBSCRIBER,
}


def _organisation_active(organisation_id: str) -> bool:
    from credit.organisations.models import Organisation

    organisation = db.session.get(Organisation, organisation_id)
    return organisation is not None and organisation.active
