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

Every other answer is public. Unless its view chose otherwise (static files), it says
``no-cache``: anyone may keep it but must ask again before reusing it, since a rating or a
publication changes within a second.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from credit.identity import ANONYMOUS

PRIVATE = "private, no-store"
PUBLIC = "no-cache"
_PRIVATE_PATHS = ("/oauth/", "/console")
_SIGN_IN_PATHS = {"/login", "/logout"}


def is_private(resp: Response) -> bool:
    """Whether this answer may carry non-public data."""
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
