"""Parties for the console tests, and signing in through the pages exactly as a browser
does: /console/login -> /oauth/authorize -> /login -> consent -> /console/callback."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from credit.accounts import service
from credit.identity import SYSTEM
from credit.scopes import ALLOWED_BY_KIND
from credit.uow import unit_of_work
from tests.parties import PASSWORD, csrf_of, make_parties, seed_templates

CALLBACK = "http://localhost/console/callback"
CONSOLE_CLIENT_ID = "jsc_console"


@dataclass
class ConsoleParties:
    owner_uscc: str
    other_uscc: str
    parties: object


def make_console_parties() -> ConsoleParties:
    """The security parties (firms A and B, authority IN over A, OUT elsewhere), the
    first-party console client and one console user per role, with full scopes."""
    parties = make_parties()
    seed_templates()
    with unit_of_work() as uow:
        service.register_console_client(
            SYSTEM, uow, client_id=CONSOLE_CLIENT_ID, name="console", redirect_uris=[CALLBACK]
        )
        firm = sorted(ALLOWED_BY_KIND["enterprise"])
        reg = sorted(ALLOWED_BY_KIND["regulator"])
        for username, kind, extra in (
            ("firm-a", "enterprise", {"uscc_code": parties.owner_uscc}),
            ("firm-b", "enterprise", {"uscc_code": parties.other_uscc}),
            ("reg-in", "regulator", {"authority_code": "IN"}),
            ("reg-out", "regulator", {"authority_code": "OUT"}),
        ):
            service.create_user(
                SYSTEM,
                uow,
                username=username,
                password=PASSWORD,
                kind=kind,
                display_name=username,
                scope_list=firm if kind == "enterprise" else reg,
                **extra,
            )
    return ConsoleParties(parties.owner_uscc, parties.other_uscc, parties)


def authorize_url(client, next_path: str | None = None) -> str:
    r = client.get("/console/login", query_string={"next": next_path} if next_path else {})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert r.headers["Location"].startswith("/oauth/authorize?")
    return r.headers["Location"]


def approve(client, authorize: str, username: str, password: str = PASSWORD):
    """Sign in at /login and approve the consent page; returns the redirect to the
    console's callback."""
    r = client.get(authorize)
    if r.status_code == 302 and "/login" in r.headers["Location"]:
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        next_value = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
        r = client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf": csrf_of(page),
                "next": next_value,
            },
        )
        assert r.status_code == 302, r.get_data(as_text=True)
        r = client.get(r.headers["Location"])
    assert r.status_code == 200, r.get_data(as_text=True)  # the consent page
    consent = r.get_data(as_text=True)
    r = client.post(authorize, data={"csrf": csrf_of(consent), "confirm": "yes"})
    assert r.status_code == 302
    assert r.headers["Location"].startswith(CALLBACK), r.headers["Location"]
    return r


def callback_params(resp) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(resp.headers["Location"]).query).items()}


def sign_in(client, username: str, next_path: str | None = None):
    """The whole flow; returns the callback's response (a redirect into the console)."""
    back = approve(client, authorize_url(client, next_path), username)
    r = client.get(back.headers["Location"])
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def page(client, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:2000])
    return r.get_data(as_text=True)


def post(client, path: str, data: dict, status: int = 302, csrf_from: str | None = None):
    token = csrf_of(page(client, csrf_from or path))
    r = client.post(path, data={**data, "csrf": token})
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:3000])
    return r


def web_session(app, client):
    """The ``web_session`` row behind the test client's cookie (None if there is none)."""
    from api.oauth.sessions import SESSION_KEY
    from credit.accounts import sessions

    with client.session_transaction() as s:
        secret = s.get(SESSION_KEY)
    with app.app_context():
        row = sessions.find(secret)
        if row is not None:
            from credit.extensions import db

            db.session.expunge(row)
        return row


def console_tokens(app, client) -> dict | None:
    """The console's tokens kept (encrypted) with the client's sign-in, decrypted."""
    from api.pages.console import auth

    row = web_session(app, client)
    if row is None:
        return None
    with app.test_request_context():
        return auth.unseal(row.console_tokens)


def sign_out(client) -> None:
    """Sign out of the console (and the platform session): POST with the CSRF token."""
    with client.session_transaction() as s:
        token = s.get("csrf")
    if token is None:
        token = csrf_of(client.get("/login").get_data(as_text=True))
    r = client.post("/console/logout", data={"csrf": token})
    assert r.status_code == 302


def record_violation(client, data: dict, csrf_from: str | None = None):
    """Record a violation through the console's two looks: the form's POST shows the
    preview (nothing written), its "确认公示" button (``step=confirm`` with the preview's
    signed token and the same values) writes. Returns the confirm's redirect."""
    path = "/console/regulator/violations/new"
    preview = post(client, path, data, status=200, csrf_from=csrf_from).get_data(as_text=True)
    assert 'id="confirm-publish"' in preview, preview[:3000]
    token = re.search(r'name="preview_token" value="([^"]+)"', preview).group(1)
    r = client.post(
        path,
        data={**data, "csrf": csrf_of(preview), "preview_token": token, "step": "confirm"},
    )
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:3000])
    return r
