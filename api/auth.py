"""Turning the caller into a ``credit.Identity``, and the scope each route declares.

Every view is decorated with either ``@public`` (anyone, no token) or
``@require_scope("...")`` (a valid bearer token holding that scope). A route inventory
test fails if a route declares neither. Object-level rules are the services' job
(``credit/permissions.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from api.errors import problem
from credit import scopes as scope_registry
from credit.accounts import store
from credit.identity import ANONYMOUS, Identity

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as open to anyone."""
    view._credit_public = True  # type: ignore[attr-defined]
    return view


def optional_token(view: F) -> F:
    """Public, but a caller that sends a bearer token is recognised (an owner sees its own
    drafts). A token that is sent but invalid is 401, not silently ignored."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Authorization"):
            identity = authenticate()
            if identity is None:
                return _invalid_token()
            g.identity = identity
        return view(*args, **kwargs)

    wrapper._credit_public = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def current_identity() -> Identity:
    return g.get("identity", ANONYMOUS)


def _bearer_error(
    status: int, error: str | None, detail: str, description_en: str, scope: str | None = None
):
    """A 401/403 answer to a bearer check (RFC 6750 §3). The challenge is ASCII only
    (RFC 9110 §5.5: gunicorn refuses to send anything else, and the client saw a 500);
    the Chinese text goes in the problem+json body. A request that sent no credentials
    gets a challenge without an error code (RFC 6750 §3.1)."""
    challenge = 'Bearer realm="credit"'
    if error:
        challenge += f', error="{error}", error_description="{description_en}"'
    if scope:
        challenge += f', scope="{scope}"'
    titles = {401: ("需要有效的访问令牌", "Unauthorized"), 403: ("权限范围不足", "Forbidden")}
    zh, en = titles[status]
    return problem(
        status,
        zh,
        f"{detail} ({description_en})",
        title_en=en,
        headers={"WWW-Authenticate": challenge},
        extra={"error": error} if error else None,
    )


def _invalid_token():
    return _bearer_error(
        401,
        "invalid_token",
        "访问令牌无效、已过期或已撤销",
        "The access token is invalid, expired or revoked",
    )


def authenticate() -> Identity | None:
    """The identity behind a valid bearer token, or None when no token was sent.

    Raises nothing: an invalid token is reported by ``require_scope``.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    kind, _, value = header.partition(" ")
    value = value.strip()
    # Tokens we issue are visible ASCII; other bytes (latin-1 text from gunicorn) are
    # simply not a token: 401 like any unknown one.
    if kind.lower() != "bearer" or not value or not (value.isascii() and value.isprintable()):
        return None
    return identity_for_access_token(value)


def identity_for_access_token(value: str) -> Identity | None:
    """The identity behind an access token that is live (not expired, not revoked); the
    API (bearer header) and the consoles (token kept in the session) both use this."""
    return store.identity_for_access_token(value)


def require_scope(scope: str) -> Callable[[F], F]:
    """Require a bearer token with ``scope``: 401 without a valid token, 403 without scope."""
    if scope not in scope_registry.SCOPES:
        raise ValueError(f"unknown scope {scope!r}: add it to credit/scopes.py")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not request.headers.get("Authorization"):
                return _bearer_error(401, None, "缺少访问令牌", "An access token is required")
            identity = authenticate()
            if identity is None:
                return _invalid_token()
            if not identity.has_scope(scope):
                return _bearer_error(
                    403,
                    "insufficient_scope",
                    f"需要权限范围 {scope}",
                    f"The access token lacks the scope {scope}",
                    scope,
                )
            g.identity = identity
            return view(*args, **kwargs)

        wrapper._credit_scope = scope  # type: ignore[attr-defined]
        doc = wrapper.__dict__.setdefault("_apidoc", {})
        doc.setdefault("manual_doc", {})["security"] = [{"oauth2": [scope]}]
        return wrapper  # type: ignore[return-value]

    return decorate
