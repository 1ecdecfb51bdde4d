"""Sign-in, callback and sign-out of the consoles."""

from __future__ import annotations

import secrets

from flask import abort, redirect, render_template, request, url_for

from api.auth import public
from api.pages.console import auth, bp
from api.pages.security import check_csrf
from credit.identity import IdentityKind


@bp.get("/")
@public
def home():
    """Signed out: the sign-in button. Signed in: the user's own console."""
    identity = auth.signed_in_identity()
    if identity is not None:
        if identity.kind == IdentityKind.ENTERPRISE:
            return redirect(url_for("console.firm_home"))
        if identity.kind == IdentityKind.REGULATOR:
            return redirect(url_for("console.regulator_home"))
        if identity.kind == IdentityKind.ORGANISATION:
            return redirect(url_for("console.organisation_home"))
    return render_template(
        "console/home.html",
        identity=identity,
        signed_out=request.args.get("signed_out") == "1",
        denied=request.args.get("denied") == "1",
    )


@bp.get("/login")
@public
def login():
    """Start the authorization-code flow: state and PKCE verifier into the session."""
    return redirect(auth.start_flow(request.args.get("next")))


@bp.get("/callback")
@public
def callback():
    """Back from the authorization server: check state, redeem the code in-process."""
    flow = auth.take_flow()
    state = request.args.get("state", "")
    if not flow or not state or not secrets.compare_digest(state, flow.get("state", "")):
        abort(400, description="登录请求无效或已过期，请重新登录 (state mismatch; sign in again)")
    if request.args.get("error"):
        return redirect(url_for("console.home", denied="1"))
    code, verifier = request.args.get("code", ""), flow.get("verifier")
    if not code or not verifier:
        abort(400, description="登录请求不完整，请重新登录 (missing code or verifier)")
    status, body = auth.token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": auth.client_id(),
            "redirect_uri": flow["redirect_uri"],
            "code_verifier": verifier,
        }
    )
    if status != 200:
        abort(400, description="授权码无效或已使用，请重新登录 (the code was refused)")
    if not auth.keep_tokens(body):
        abort(400, description="登录已结束，请重新登录 (the sign-in has ended; sign in again)")
    if auth.signed_in_identity() is None:
        abort(403, description="此账户不能使用控制台 (this account has no console)")
    return redirect(flow["next"])


@bp.post("/logout")
@public
def logout():
    """End the sign-in on the server, revoking its tokens (CSRF-checked)."""
    check_csrf()
    auth.sign_out()
    return redirect(url_for("console.home", signed_out="1"))
