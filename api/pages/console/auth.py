"""Console sign-in through the platform's own OAuth 2.0 authorization server.

The console is an ordinary OAuth client of the authorization server (authorization code +
PKCE S256, exact redirect URI), except that it redeems codes and refreshes tokens
in-process (no network round trip): the token endpoint's own authlib server handles a
request built inside this process, with the same grants, checks and audit rows.

The console rides on the platform sign-in (``api.oauth.sessions``): its tokens are kept
with the server-side ``web_session`` row, encrypted with a key derived from the secret key
(so a copy of the table yields no usable token either), never in the cookie. On every
console request the sign-in must be live (not signed out, not past its absolute limit)
and the access token is turned into an Identity exactly as the API does for a bearer
token (``api.auth.identity_for_access_token``); an expired one is refreshed (rotation,
replay detection: the refresh grant's rules) under a lock on the row, so two requests
never spend the same refresh token. Signing out ends the row and revokes the tokens.
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
from api.oauth import sessions as sign_in
from api.pages.security import check_csrf
from credit import clock
from credit.accounts import sessions, store
from credit.identity import Identity
from credit.uow import unit_of_work

F = TypeVar("F", bound=Callable[..., Any])

FLOW_KEY = "console_flow"


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


def _token_request(form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST /oauth/token, handled in-process, in the caller's transaction."""
    server = current_app.extensions["credit.oauth"]
    remote = request.remote_addr or ""
    with current_app.test_request_context(
        "/oauth/token", method="POST", data=form, environ_base={"REMOTE_ADDR": remote}
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


def token_request(form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST /oauth/token, handled in-process by the authorization server, committed."""
    with unit_of_work():
        return _token_request(form)


def _fernet() -> Fernet:
    key = hashlib.sha256(
        b"credit-console-tokens:" + current_app.config["SECRET_KEY"].encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(body: dict[str, Any]) -> str:
    data = {"at": body["access_token"], "rt": body.get("refresh_token")}
    return _fernet().encrypt(json.dumps(data).encode()).decode()


def unseal(sealed: str | None) -> dict[str, str | None] | None:
    if not sealed:
        return None
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return None


def keep_tokens(body: dict[str, Any]) -> bool:
    """Attach the tokens just issued to this browser's live sign-in (the user's own: the
    code was approved under it). False when there is no such sign-in."""
    found = sign_in.current()
    token = store.find_access_token(body["access_token"])
    if found is None or token is None or token.user_id != found[0].user_id:
        return False
    with unit_of_work():
        sessions.attach_console_tokens(found[0], seal(body), token.family_id)
    return True


def _refresh(stale_access: str) -> Identity | None:
    """Refresh the console's tokens, holding the sign-in's row locked until the new ones
    are stored with it (``sessions.lock``): a request that waited on the lock finds the
    tokens another request just got, instead of replaying the spent refresh token (which
    would revoke the whole family)."""
    secret = session.get(sign_in.SESSION_KEY)
    with unit_of_work():
        row = sessions.lock(secret)
        if row is None or not row.is_live(clock.now()):
            return None
        tokens = unseal(row.console_tokens)
        if not tokens:
            return None
        if tokens["at"] != stale_access:  # refreshed meanwhile by a concurrent request
            identity = identity_for_access_token(tokens["at"] or "")
            if identity is not None:
                return identity
        if not tokens.get("rt"):
            return None
        status, body = _token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens["rt"] or "",
                "client_id": client_id(),
            }
        )
        if status != 200:
            row.console_tokens = None
            return None
        row.console_tokens = seal(body)
        return identity_for_access_token(body["access_token"])


def signed_in_identity() -> Identity | None:
    """The console user's Identity: a live sign-in with console tokens, the access token
    refreshed when it expired; None when signed out (or the tokens cannot be renewed)."""
    cache = request.environ
    if "credit.console_identity" in cache:
        return cache["credit.console_identity"]
    identity = None
    found = sign_in.current()
    if found is not None:
        tokens = unseal(found[0].console_tokens)
        if tokens:
            identity = identity_for_access_token(tokens["at"] or "")
            if identity is None:
                identity = _refresh(tokens["at"] or "")
    cache["credit.console_identity"] = identity
    return identity


def sign_out() -> None:
    """End the sign-in on the server (its whole token family is revoked with it) and
    forget the session cookie."""
    sign_in.end()


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
