"""Authorities, OAuth clients, console users, authorization codes, tokens, auth events.

The client, code and token classes implement the small method sets authlib expects
(ClientMixin, AuthorizationCodeMixin, TokenMixin) over rows that never hold a secret or a
token in plain text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit import clock
from credit.accounts.secrets import same_digest
from credit.enterprises.models import new_id
from credit.extensions import db
from credit.types import UtcDateTime


class Authority(db.Model):
    """A regulator (市场监管, 商务, 网信 ...) and the divisions it has jurisdiction over."""

    __tablename__ = "authority"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    jurisdiction: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    #: market_regulation | commerce | cyberspace | tax | other: decides the publicity
    #: rules its records follow (``authority_kinds`` in credit/data/publicity_rules.json).
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False, server_default="other")
    #: Its own unified social credit code (a 机关 or 事业单位 has one, 11... or 12...): the
    #: national penalty format's CF_CFJGDM and CF_SJLYDM. None until an operator sets it.
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class OAuthClient(db.Model):
    __tablename__ = "oauth_client"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(sa.String(48), nullable=False, unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    enterprise_id: Mapped[str | None] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    authority_id: Mapped[str | None] = mapped_column(sa.ForeignKey("authority.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    scopes: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    grant_types: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    redirect_uris: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    token_endpoint_auth_method: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # -- authlib ClientMixin ---------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """RFC 6749 §3.3: no scope asked means the client's registered scopes; otherwise
        the request is narrowed to what the client holds, and the token response says
        which. None (authlib answers ``invalid_scope``, RFC 6749 §5.2) when not one of
        the scopes asked for is held: never a token with an empty scope."""
        if not scope:
            return " ".join(sorted(self.scopes))
        allowed = set(self.scopes)
        held = " ".join(s for s in scope.split() if s in allowed)
        return held or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match only (RFC 9700 §2.1)

    def check_client_secret(self, client_secret: str) -> bool:
        return same_digest(client_secret, self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        return (
            method in {"client_secret_basic", "client_secret_post"}
            and self.client_secret_hash is not None
        )

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class UserAccount(db.Model):
    """A person who signs in to a console (enterprise, regulator or organisation staff,
    operators)."""

    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    enterprise_id: Mapped[str | None] = mapped_column(sa.ForeignKey("enterprise.id"))
    authority_id: Mapped[str | None] = mapped_column(sa.ForeignKey("authority.id"))
    organisation_id: Mapped[str | None] = mapped_column(sa.ForeignKey("organisation.id"))
    scopes: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def get_user_id(self) -> str:
        return self.id

    def is_locked(self, now: datetime) -> bool:
        locked = self.locked_until
        return locked is not None and locked > now


class AuthorizationCode(db.Model):
    __tablename__ = "oauth_authorization_code"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    redirect_uri: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    scope: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    code_challenge: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    code_challenge_method: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: When the user entered the password of the sign-in that approved this code: the
    #: refresh-token family it starts ends a fixed time after it (never moved by rotation).
    auth_time: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> int:
        return int((self.auth_time or self.created_at).timestamp())


class Token(db.Model):
    """An issued access token (and, for console sign-ins, its refresh token).

    ``family_id`` links every token descended from one sign-in: a replayed refresh token
    revokes the whole family (RFC 9700 §4.14).
    """

    __tablename__ = "oauth_token"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("user_account.id"))
    scope: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    family_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    expires_in: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refresh_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # -- authlib TokenMixin ----------------------------------------------------------
    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def expires_at(self) -> datetime:
        return self.issued_at + timedelta(seconds=self.expires_in)

    def is_expired(self) -> bool:
        return clock.now() >= self.expires_at()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def refresh_usable(self, now: datetime) -> bool:
        expires = self.refresh_expires_at
        return (
            self.refresh_token_hash is not None
            and self.revoked_at is None
            and self.refresh_used_at is None
            and expires is not None
            and expires > now
        )


class AuthEvent(db.Model):
    """Audit trail of authentication: who, when (UTC), what, outcome. Never a secret."""

    __tablename__ = "auth_event"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    client_id: Mapped[str | None] = mapped_column(sa.String(48), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(64))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str | None] = mapped_column(sa.String(200))


class WebSession(db.Model):
    """A sign-in to the platform (``/login``), kept on the server (H4).

    The browser's cookie holds only a random secret; this row holds its SHA-256, so a copy
    of the table signs nobody in. Every request that relies on the sign-in (consent at
    ``/oauth/authorize``, every console page) reads the row: ended or expired means signed
    out, whatever cookie the browser still has. ``expires_at`` is fixed when the password
    is entered (``authenticated_at`` + ``CREDIT_SIGN_IN_TTL``) and nothing moves it.

    The console's tokens (its OAuth client signs in through this session) are kept here,
    encrypted by the web layer, with the id of their family, so sign-out revokes them.
    """

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=False, index=True
    )
    authenticated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_reason: Mapped[str | None] = mapped_column(sa.String(32))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    console_family_id: Mapped[str | None] = mapped_column(sa.String(36))
    console_tokens: Mapped[str | None] = mapped_column(sa.Text)

    def is_live(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at
