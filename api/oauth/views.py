"""OAuth 2.0 endpoints, the console sign-in form and the consent page.

Token, revocation and introspection answers use the RFC 6749/7009/7662 JSON formats that
OAuth clients expect. Every request runs in one unit of work, so a token, the code or
refresh token it consumed and the audit rows commit together (or not at all).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlparse

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from api import urls
from api.auth import public
from api.oauth import sessions as sign_in
from api.pages.security import check_csrf, csrf_token
from credit import scopes
from credit.accounts import store
from credit.uow import unit_of_work

bp = Blueprint("oauth", __name__, template_folder="templates")

#: Session keys that survive signing in (the console's pending authorization request).
KEPT_ACROSS_LOGIN = ("console_flow",)


def _server():
    return current_app.extensions["credit.oauth"]


def _request_client_id() -> str | None:
    """The client a token request claims to be (for the audit log), never its secret."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8", "replace")
            return decoded.split(":", 1)[0][:48]
        except ValueError:
            return None
    return (request.form.get("client_id") or "")[:48] or None


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


@bp.post("/oauth/token")
@public
def token() -> Response:
    grant_type = request.form.get("grant_type", "")[:40]
    with unit_of_work():
        resp = _server().create_token_response()
        ok = resp.status_code == 200
        detail = f"grant_type={grant_type}"
        if not ok:
            detail += f" error={(resp.get_json(silent=True) or {}).get('error')}"
        store.record_event(
            "token",
            "success" if ok else "failure",
            client_id=_request_client_id(),
            remote_addr=request.remote_addr,
            detail=detail,
        )
    return resp


@bp.post("/oauth/revoke")
@public
def revoke() -> Response:
    with unit_of_work():
        return _no_store(_server().create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
@public
def introspect() -> Response:
    with unit_of_work():
        return _no_store(_server().create_endpoint_response("introspection"))


@bp.get("/.well-known/oauth-authorization-server")
@public
def metadata() -> Response:
    """RFC 8414 authorization-server metadata: every URL from configuration, never from
    the request's Host (H8)."""
    issuer = urls.issuer()
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "scopes_supported": sorted(scopes.SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "introspection_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": f"{issuer}/api/v1/docs",
            "ui_locales_supported": ["zh-CN", "en"],
        }
    )


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return url_for("pages.home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.home")
    return target


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@public
def authorize() -> Response | str:
    server = _server()
    user = sign_in.current_user()  # a live server-side sign-in, not just a cookie
    if user is None:
        if request.method == "POST":
            abort(400, description="请先登录 / sign in first")
        return redirect(url_for("oauth.login", next=request.full_path))
    if request.method == "GET":
        grant, refused = _consent_grant(server, user)
        if refused is not None:
            return refused
        requested = (grant.request.payload.scope or "").split()
        granted = [s for s in requested if s in grant.client.scopes and s in user.scopes]
        return render_template(
            "consent.html",
            client=grant.client,
            user=user,
            csrf=csrf_token(),
            scopes=[(s, *scopes.SCOPES[s]) for s in granted if s in scopes.SCOPES],
            refused=[
                scopes.SCOPES[s] for s in requested if s not in granted and s in scopes.SCOPES
            ],
            unknown=len([s for s in requested if s not in granted and s not in scopes.SCOPES]),
        )
    check_csrf()
    with unit_of_work():
        grant, refused = _consent_grant(server, user)
        if refused is not None:
            return refused
        granted_user = user if request.form.get("confirm") == "yes" else None
        resp = server.create_authorization_response(grant_user=granted_user, grant=grant)
        store.record_event(
            "authorize",
            "granted" if granted_user else "denied",
            client_id=request.args.get("client_id"),
            username=user.username,
            remote_addr=request.remote_addr,
        )
    return resp


def _consent_grant(server, user) -> tuple[Any, Response | None]:
    """authlib's validated grant for this authorization request, or the error answer."""
    try:
        return server.get_consent_grant(end_user=user), None
    except OAuth2Error as error:
        # authlib redirects an error only to a redirect_uri it has validated.
        return None, _authorize_error(server, error, user)
    except ValueError:
        # authlib refuses to build an error whose description would quote the request's
        # own text when that has characters RFC 6749 §5.2 forbids there (Chinese, '"'):
        # answer invalid_request without quoting it (and without a redirect).
        error = InvalidRequestError("The request has a malformed parameter.")
        return None, _authorize_error(server, error, user)


def _authorize_error(server, error: OAuth2Error, user) -> Response:
    """authlib's error answer (a redirect only to a validated redirect URI), with an
    audit row saying which error (``invalid_scope`` above all)."""
    with unit_of_work():
        store.record_event(
            "authorize",
            "failure",
            client_id=request.args.get("client_id"),
            username=user.username,
            remote_addr=request.remote_addr,
            detail=f"error={error.error}",
        )
    return server.handle_error_response(request, error)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    next_url = _safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        check_csrf()
        username = request.form.get("username", "")[:64]
        with unit_of_work():
            user = store.authenticate_user(
                username, request.form.get("password", ""), request.remote_addr
            )
        if user is not None:
            # A new sign-in on the server and a new cookie (no fixation), keeping only a
            # console sign-in in progress: its state and PKCE verifier are what the
            # console's callback checks.
            sign_in.begin(user, keep=KEPT_ACROSS_LOGIN)
            return redirect(next_url)
        error = "用户名或密码错误，或账户已被暂时锁定"
    return render_template(
        "login.html",
        next=next_url,
        csrf=csrf_token(),
        error=error,
        username=request.form.get("username", "")[:64],
    ), (401 if error else 200)


@bp.post("/logout")
@public
def logout() -> Response:
    """End the sign-in on the server (and the console tokens issued under it): a copy of
    the cookie is worth nothing afterwards."""
    check_csrf()
    sign_in.end()
    return redirect(url_for("pages.home"))
