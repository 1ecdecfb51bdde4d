"""Signing out ends the sign-in on the server (H4), over gunicorn with real cookies.

A browser signs in to the console through the whole OAuth flow; a copy of its cookie jar
is taken before it signs out. After sign-out the copy gets the sign-in page, both for the
console and for ``/oauth/authorize`` (the password is asked again), and the console's
tokens are revoked.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

import pytest
import requests
import sqlalchemy as sa

from credit.accounts import service
from credit.accounts.models import Token, WebSession
from credit.extensions import db
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from tests.pages.console_parties import CONSOLE_CLIENT_ID, make_console_parties
from tests.parties import PASSWORD, csrf_of


@pytest.fixture
def console(live, app_ctx):
    """Console parties, the console client also registered for this server's address."""
    cp = make_console_parties()
    with unit_of_work() as uow:
        service.register_console_client(
            SYSTEM,
            uow,
            client_id=CONSOLE_CLIENT_ID,
            name="console",
            redirect_uris=[f"{live.server.url}/console/callback"],
        )
    return cp


def _get(http: requests.Session, url: str) -> requests.Response:
    return http.get(url, allow_redirects=False, timeout=30)


def _absolute(base: str, location: str) -> str:
    return location if urlparse(location).scheme else base + location


def sign_in(http: requests.Session, base: str, username: str) -> requests.Response:
    """Browser steps: console -> authorize -> password -> consent -> callback -> console."""
    r = _get(http, base + "/console/login?next=/console/firm")
    assert r.status_code == 302
    authorize = _absolute(base, r.headers["Location"])
    r = _get(http, authorize)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    page = _get(http, base + r.headers["Location"]).text
    next_value = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
    r = http.post(
        base + "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf": csrf_of(page),
            "next": next_value,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302, r.text[:300]
    consent = _get(http, _absolute(base, r.headers["Location"]))
    assert consent.status_code == 200 and 'name="confirm"' in consent.text
    r = http.post(
        authorize,
        data={"csrf": csrf_of(consent.text), "confirm": "yes"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302 and r.headers["Location"].startswith(base + "/console/callback")
    r = _get(http, r.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"] == "/console/firm", r.text[:300]
    return _get(http, base + "/console/firm")


def copy_of(http: requests.Session) -> requests.Session:
    stolen = requests.Session()
    stolen.trust_env = False
    stolen.cookies.update(http.cookies)
    return stolen


def _authorize_url(base: str) -> str:
    return (
        f"{base}/oauth/authorize?response_type=code&client_id={CONSOLE_CLIENT_ID}"
        f"&redirect_uri={base}/console/callback&scope=enterprises:read&state=s"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM&code_challenge_method=S256"
    )


def _asks_for_the_password(http: requests.Session, base: str) -> None:
    r = _get(http, base + "/console/firm")
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login")
    r = _get(http, base + r.headers["Location"])
    r = _get(http, _absolute(base, r.headers["Location"]))
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next="), r.text[:300]
    r = _get(http, _authorize_url(base))
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("logout", ["/console/logout", "/logout"])
def test_a_cookie_copied_before_sign_out_is_refused_after_it(live, console, logout) -> None:
    base = live.server.url
    page = sign_in(live.http, base, "firm-a")
    assert page.status_code == 200 and console.owner_uscc in page.text
    stolen = copy_of(live.http)
    # The copy works while the sign-in lasts (it is the same cookie) ...
    assert _get(stolen, base + "/console/firm").status_code == 200
    r = _get(stolen, _authorize_url(base))
    assert r.status_code == 200 and 'name="confirm"' in r.text  # consent, no password
    # ... the browser signs out ...
    r = live.http.post(
        base + logout, data={"csrf": csrf_of(page.text)}, allow_redirects=False, timeout=30
    )
    assert r.status_code == 302
    # ... and neither the browser nor the copy is signed in any more.
    _asks_for_the_password(live.http, base)
    _asks_for_the_password(stolen, base)
    db.session.remove()
    row = db.session.scalars(sa.select(WebSession)).one()
    assert row.ended_at is not None and row.end_reason == "signed_out"
    assert row.console_tokens is None
    family = db.session.scalars(sa.select(Token).where(Token.family_id == row.console_family_id))
    tokens = list(family)
    assert tokens and all(t.revoked_at is not None for t in tokens)
    # The cookie holds the sign-in's secret only: not a token, not the user id.
    cookie = next(c for c in stolen.cookies if c.name == "session")
    assert "jsct_" not in cookie.value and row.user_id not in cookie.value


def password_again(http: requests.Session, base: str, username: str) -> None:
    page = _get(http, base + "/login").text
    r = http.post(
        base + "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf_of(page), "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302


def test_signing_in_again_ends_the_previous_sign_in(live, console) -> None:
    base = live.server.url
    sign_in(live.http, base, "firm-a")
    before = copy_of(live.http)
    password_again(live.http, base, "firm-a")  # the same browser, a new sign-in
    # The new sign-in consents without a password; the old cookie is asked for one.
    r = _get(live.http, _authorize_url(base))
    assert r.status_code == 200 and 'name="confirm"' in r.text
    _asks_for_the_password(before, base)
    db.session.remove()
    reasons = sorted(str(r.end_reason) for r in db.session.scalars(sa.select(WebSession)))
    assert reasons == ["None", "replaced"]
    # The console tokens of the replaced sign-in died with it.
    old = db.session.scalars(sa.select(WebSession).where(WebSession.end_reason == "replaced"))
    family = old.one().console_family_id
    tokens = db.session.scalars(sa.select(Token).where(Token.family_id == family)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)


def test_concurrent_pages_refresh_an_expired_token_once(live, console) -> None:
    """Several pages of one browser find the access token expired at the same moment:
    they take turns on the sign-in's row, one refreshes and the others use its tokens. A
    replay of the spent refresh token would have revoked the family (signed out)."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from credit import clock

    base = live.server.url
    sign_in(live.http, base, "firm-a")
    for _ in range(3):
        db.session.remove()
        with unit_of_work():
            row = db.session.scalars(sa.select(WebSession)).one()
            for token in db.session.scalars(
                sa.select(Token).where(
                    Token.family_id == row.console_family_id, Token.revoked_at.is_(None)
                )
            ):
                token.issued_at = clock.now() - timedelta(seconds=token.expires_in + 1)
        db.session.remove()
        browsers = [copy_of(live.http) for _ in range(6)]
        with ThreadPoolExecutor(len(browsers)) as pool:
            statuses = list(
                pool.map(lambda b: _get(b, base + "/console/firm").status_code, browsers)
            )
        assert statuses == [200] * len(browsers), statuses
    tokens = db.session.scalars(sa.select(Token)).all()
    assert not [t for t in tokens if t.revoked_at is not None and t.refresh_used_at is None]
    assert "replayed" not in live.server.log_text()
    assert _get(live.http, base + "/console/firm").status_code == 200
