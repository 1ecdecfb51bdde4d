"""Cache-Control, decided once for every response: no cache keeps anything private.

A response is private when the request shows who is asking or belongs to a sign-in, or
the answer sets a cookie:

* the request carries an ``Authorization`` header (a bearer token, client credentials), or
  a valid token or console sign-in set an identity;
* it carries the session cookie (a console or platform sign-in, a form's CSRF token);
* it is an OAuth, sign-in or console address (``/oauth/...``, ``/login``, ``/logout``,
  ``/console...``): every page that starts a session is one of them (Flask writes the
  session cookie after this hook, so it is recognised by address);
* the response sets a cookie (a cached copy would hand it to everyone).

Such a response (a firm's contacts, its drafts, regulator queues, rating explanations
with non-public records, console and consent pages, token answers) says
``Cache-Control: private, no-store``: no browser, proxy or CDN may keep a copy.

A view marked :func:`same_for_everyone` (the credit seal) gives the same answer whoever
asks: a cookie or token that comes along does not make it private (only setting a cookie
would).

Every other answer is public. Unless its view chose otherwise (static files, the seal), it says
``no-cache``: anyone may keep it but must ask again before reusing it, since a rating or a
publication changes within a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

from credit.identity import ANONYMOUS

F = TypeVar("F", bound=Callable[..., Any])

PRIVATE = "private, no-store"
PUBLIC = "no-cache"
_PRIVATE_PATHS = ("/oauth/", "/console")
_SIGN_IN_PATHS = {"/login", "/logout"}


def same_for_everyone(view: F) -> F:
    """Mark a view whose answer never depends on who asks (it reads no token, session or
    cookie: the credit seal). Its own ``Cache-Control`` stands even when a signed-in
    visitor's cookie or a token comes along; an answer that sets a cookie is still private."""
    view._credit_same_for_everyone = True  # type: ignore[attr-defined]
    return view


def _same_for_everyone() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_credit_same_for_everyone", False))


def is_private(resp: Response) -> bool:
    """Whether this answer may carry non-public data."""
    if "Set-Cookie" in resp.headers:
        return True
    if _same_for_everyone():
        return False
    cookie = current_app.config["SESSION_COOKIE_NAME"]
    return bool(
        request.headers.get("Authorization")
        or g.get("identity", ANONYMOUS) is not ANONYMOUS
        or request.path in _SIGN_IN_PATHS
        or request.path.startswith(_PRIVATE_PATHS)
        or cookie in request.cookies
        or "Set-Cookie" in resp.headers
    )


def register(app: Flask) -> None:
    @app.after_request
    def _cache_control(resp: Response) -> Response:
        if is_private(resp):
            resp.headers["Cache-Control"] = PRIVATE
        elif "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = PUBLIC
        return resp
