"""CSRF tokens for every HTML form, and the security headers of HTML pages.

The token lives in the (signed, HttpOnly, SameSite=Lax) session and goes in a hidden
``csrf`` field; every state-changing page request checks it. API requests carry bearer
tokens, not cookies, so they need none. Pages get a strict Content-Security-Policy: no
inline script or style, nothing from another origin, never framed.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, request, session

#: Pages may only post forms to this site. The consent page is the exception: approving
#: a third-party client redirects the browser to that client, which form-action would block.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CONSENT_CSP = PAGE_CSP.replace("form-action 'self'; ", "")
PAGE_BLUEPRINTS = {"pages", "console"}


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a form post whose token is missing or not this session's (HTTP 400)."""
    sent = request.form.get("csrf", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="表单已过期，请返回重试 (CSRF check failed)")


def register(app: Flask) -> None:
    @app.after_request
    def _headers(resp: Response) -> Response:
        if resp.mimetype == "text/html" and request.blueprint in PAGE_BLUEPRINTS | {"oauth"}:
            resp.headers["Content-Security-Policy"] = (
                CONSENT_CSP if request.blueprint == "oauth" else PAGE_CSP
            )
            resp.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            resp.headers["X-Frame-Options"] = "DENY"
            resp.headers.setdefault(
                "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
            )
        return resp

    @app.context_processor
    def _csrf() -> dict:
        return {"csrf_token": csrf_token}
