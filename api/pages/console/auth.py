"""Console sign-in through the platform's own OAuth 2.0 authorization server.

The console is an ordinary OAuth client of the authorization server (authorization code +
PKCE S256, exact redirect URI), except that it redeems codes and refreshes tokens
in-process (no network round trip): the token endpoint's own authlib server handles a
request built inside this process, with the same grants, checks and audit rows.

The tokens are kept in the session cookie (signed, HttpOnly, SameSite=Lax), encrypted
with a key derived from the secret key, so neither token can be read off the cookie. On
every console request the access token is turned into an Identity exactly as the API does
for a bearer token (``api.auth.identity_for_access_token``); an expired one is refreshed
(rotation, replay detection: the refresh grant's rules), and a sign-in that cannot be
refreshed sends the user back to sign in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from flask import abort, current_app, g, redirect, request, session, url_for

from api import urls
from api.auth import identity_for_access_token
from api.pages.security import check_csrf
from credit.accounts import store
from credit.identity import Identity
from credit.uow import unit_of_work

F = TypeVar("F", bound=Callable[..., Any])

FLOW_KEY = "console_flow"
TOKENS_KEY = "console_tokens"


def client_id() -> str:
    return current_app.config["CREDIT_CONSOLE_CLIENT_ID"]


def redirect_uri() -> str:
    """``<console base>/console/callback`` from configuration (``CREDIT_CONSOLE_URL``, else
    ``CREDIT_PUBLIC_URL``), never from the request's Host. The authorization server
    accepts it only if it is registered exactly (``credit console setup``)."""
    return f"{urls.console_base()}/console/callback"


def requested_scope() -> str:
    from credit.accounts.service import FIRST_PARTY_CONSOLE_SCOPES

    return " ".join(sorted(FIRST_PARTY_CONSOLE_SCOPES))


def safe_next(target: str | None) -> str:
    """Only console paths on this site (never an open redirect)."""
    if (
        target
        and target.startswith("/console/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return url_for("console.home")


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def start_flow(next_url: str | None) -> str:
    """A new state and PKCE verifier in the session; the authorization URL to go to."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    uri = redirect_uri()
    session[FLOW_KEY] = {
        "state": state,
        "verifier": verifier,
        "next": safe_next(next_url),
        "redirect_uri": uri,
    }
    params = {
        "response_type": "code",
        "client_id": client_id(),
        "redirect_uri": uri,
        "scope": requested_scope(),
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    return url_for("oauth.authorize") + "?" + urlencode(params)


def take_flow() -> dict[str, Any] | None:
    """The pending sign-in (used once: removed from the session)."""
    return session.pop(FLOW_KEY, None)


def token_request(form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST /oauth/token, handled in-process by the authorization server."""
    server = current_app.extensions["credit.oauth"]
    remote = request.remote_addr or ""
    with (
        current_app.test_request_context(
            "/oauth/token", method="POST", data=form, environ_base={"REMOTE_ADDR": remote}
        ),
        unit_of_work(),
    ):
        resp = server.create_token_response()
        ok = resp.status_code == 200
        body = resp.get_json(silent=True) or {}
        detail = f"grant_type={form.get('grant_type')} (console)"
        if not ok:
            detail += f" error={body.get('error')}"
        store.record_event(
            "token",
            "success" if ok else "failure",
            client_id=form.get("client_id"),
            remote_addr=remote,
            detail=detail,
        )
    return resp.status_code, body


def _fernet() -> Fernet:
    key = hashlib.sha256(
        b"credit-console-tokens:" + current_app.config["SECRET_KEY"].encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def keep_tokens(body: dict[str, Any]) -> None:
    data = {"at": body["access_token"], "rt": body.get("refresh_token")}
    session[TOKENS_KEY] = _fernet().encrypt(json.dumps(data).encode()).decode()


def load_tokens() -> dict[str, str | None] | None:
    sealed = session.get(TOKENS_KEY)
    if not sealed:
        return None
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        session.pop(TOKENS_KEY, None)
        return None


def _refresh(refresh_token: str) -> Identity | None:
    status, body = token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id()}
    )
    if status != 200:
        return None
    keep_tokens(body)
    return identity_for_access_token(body["access_token"])


def signed_in_identity() -> Identity | None:
    """The console user's Identity from the session's token, refreshed when it expired;
    None (and the tokens dropped) when the sign-in has ended."""
    cache = request.environ
    if "credit.console_identity" in cache:
        return cache["credit.console_identity"]
    tokens = load_tokens()
    identity = None
    if tokens:
        identity = identity_for_access_token(tokens["at"] or "")
        if identity is None and tokens.get("rt"):
            identity = _refresh(tokens["rt"] or "")
        if identity is None:
            session.pop(TOKENS_KEY, None)
    cache["credit.console_identity"] = identity
    return identity


def sign_out() -> None:
    """Revoke the sign-in's whole token family, then forget the session."""
    tokens = load_tokens()
    if tokens:
        with unit_of_work():
            token = store.find_access_token(tokens["at"] or "") or (
                store.find_refresh_token(tokens["rt"]) if tokens.get("rt") else None
            )
            if token is not None:
                store.revoke_family(token.family_id, reason="console sign-out")
                store.record_event(
                    "revoke",
                    "success",
                    client_id=token.client_id,
                    remote_addr=request.remote_addr,
                    detail="console sign-out",
                )
    session.clear()


def _back_to_sign_in():
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.login", next=target))


def console_view(scope: str, kind: str | None = None) -> Callable[[F], F]:
    """A console page: a signed-in user whose token holds ``scope`` (and who is of
    ``kind``: enterprise or regulator); POSTs carry the session's CSRF token. Signed out:
    back to sign in. Wrong kind or scope: 403."""
    from credit import scopes as registry

    if scope not in registry.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST":
                check_csrf()
            identity = signed_in_identity()
            if identity is None:
                return _back_to_sign_in()
            if (kind and identity.kind != kind) or not identity.has_scope(scope):
                abort(403, description="您的账户无权使用此页面 (not allowed for your account)")
            g.identity = identity
            return view(*args, **kwargs)

        wrapper._credit_scope = scope  # type: ignore[attr-defined]
        wrapper._credit_console = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
