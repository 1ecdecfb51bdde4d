"""Signing in to the consoles through the platform's own OAuth 2.0 code flow with PKCE."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from api.oauth.sessions import SESSION_KEY
from api.pages.console.auth import FLOW_KEY
from tests.pages.console_parties import (
    CONSOLE_CLIENT_ID,
    approve,
    authorize_url,
    callback_params,
    console_tokens,
    csrf_of,
    page,
    sign_in,
    web_session,
)


def test_signed_out_home_shows_a_sign_in_button(client, cp):
    html = page(client, "/console/")
    assert 'id="console-sign-in"' in html and 'href="/console/login"' in html
    assert "/console/" in page(client, "/")  # the header links to the consoles


def test_login_starts_a_code_flow_with_pkce_s256(client, cp):
    location = authorize_url(client)
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CONSOLE_CLIENT_ID
    assert query["redirect_uri"] == "http://localhost/console/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    with client.session_transaction() as s:
        flow = s[FLOW_KEY]
    assert flow["state"] == query["state"] and len(flow["verifier"]) >= 43
    assert flow["verifier"] not in location  # only the challenge leaves the server


def test_full_flow_signs_a_firm_user_in_and_out(client, clean_app, cp):
    r = sign_in(client, "firm-a")
    assert r.headers["Location"].endswith("/console/")
    r = client.get("/console/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/firm")
    html = page(client, "/console/firm")
    assert cp.owner_uscc in html
    with client.session_transaction() as s:
        assert FLOW_KEY not in s  # the state and verifier were used once
        # The cookie holds the sign-in's secret (and the CSRF token), never a token.
        assert set(s) <= {SESSION_KEY, "csrf", "lang"}
        assert "jsct_" not in str(dict(s))
    row = web_session(clean_app, client)
    assert row.ended_at is None and "jsct_" not in row.console_tokens  # encrypted
    tokens = console_tokens(clean_app, client)
    from credit.accounts.models import Token
    from credit.extensions import db

    # Sign out (POST + CSRF): the sign-in ends and the whole token family is revoked.
    with client.session_transaction() as s:
        old_cookie = dict(s)
    r = client.post("/console/logout", data={"csrf": csrf_of(html)})
    assert r.status_code == 302 and "signed_out=1" in r.headers["Location"]
    with clean_app.app_context():
        from credit.accounts import store

        token = store.find_access_token(tokens["at"])
        assert token.revoked_at is not None
        assert all(
            t.revoked_at for t in db.session.query(Token).filter_by(family_id=token.family_id)
        )
    ended = web_session(clean_app, client)
    assert ended is None  # the cookie no longer names it
    # The old cookie is useless even if replayed: its sign-in has ended.
    with client.session_transaction() as s:
        s.update(old_cookie)
    r = client.get("/console/firm")
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]
    assert web_session(clean_app, client) is None or web_session(clean_app, client).ended_at


def test_state_mismatch_is_refused(client, clean_app, cp):
    back = approve(client, authorize_url(client), "firm-a")
    params = callback_params(back)
    r = client.get("/console/callback", query_string={**params, "state": "forged"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert console_tokens(clean_app, client) is None
    # the flow was consumed: the genuine state no longer works either
    r = client.get("/console/callback", query_string=params)
    assert r.status_code == 400


def test_a_callback_without_a_started_flow_is_refused(client, cp):
    r = client.get("/console/callback", query_string={"code": "x", "state": "y"})
    assert r.status_code == 400


def test_missing_verifier_is_refused(client, clean_app, cp):
    back = approve(client, authorize_url(client), "firm-a")
    with client.session_transaction() as s:
        flow = dict(s[FLOW_KEY])
        del flow["verifier"]
        s[FLOW_KEY] = flow
    r = client.get(back.headers["Location"])
    assert r.status_code == 400
    assert console_tokens(clean_app, client) is None


def test_wrong_verifier_is_refused_by_the_token_endpoint(client, cp):
    back = approve(client, authorize_url(client), "firm-a")
    with client.session_transaction() as s:
        flow = dict(s[FLOW_KEY])
        flow["verifier"] = "x" * 64
        s[FLOW_KEY] = flow
    assert client.get(back.headers["Location"]).status_code == 400


def test_declining_consent_signs_nobody_in(client, cp):
    location = authorize_url(client)
    r = client.get(location)
    login_page = client.get(r.headers["Location"]).get_data(as_text=True)
    import html as html_lib
    import re

    next_value = html_lib.unescape(re.search(r'name="next" value="([^"]*)"', login_page).group(1))
    r = client.post(
        "/login",
        data={
            "username": "firm-a",
            "password": "correct horse battery",
            "csrf": csrf_of(login_page),
            "next": next_value,
        },
    )
    consent = client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post(location, data={"csrf": csrf_of(consent), "confirm": "no"})
    assert "error=access_denied" in r.headers["Location"]
    r = client.get(r.headers["Location"])
    assert r.status_code == 302 and "denied=1" in r.headers["Location"]
    assert client.get("/console/firm").status_code == 302


def test_unregistered_redirect_uri_is_refused(client, cp, clean_app, monkeypatch):
    # The same host on another port: the console stays where it is, but the redirect URI
    # it builds (http://localhost:9999/console/callback) is not registered.
    monkeypatch.setitem(clean_app.config, "CREDIT_CONSOLE_URL", "http://localhost:9999")
    location = authorize_url(client)
    r = client.get(location)
    login_page = client.get(r.headers["Location"]).get_data(as_text=True)
    import html as html_lib
    import re

    next_value = html_lib.unescape(re.search(r'name="next" value="([^"]*)"', login_page).group(1))
    r = client.post(
        "/login",
        data={
            "username": "firm-a",
            "password": "correct horse battery",
            "csrf": csrf_of(login_page),
            "next": next_value,
        },
    )
    r = client.get(r.headers["Location"])
    assert r.status_code == 400  # exact match: no redirect to an unregistered URI
    assert ":9999" not in (r.headers.get("Location") or "")


@pytest.mark.parametrize(
    "path",
    [
        "/console/firm",
        "/console/firm/pledges/new",
        "/console/regulator",
        "/console/regulator/objections",
    ],
)
def test_signed_out_pages_send_you_to_sign_in(client, cp, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/console/login?next=")
    assert parse_qs(urlparse(r.headers["Location"]).query)["next"] == [path]


def test_after_sign_in_you_land_where_you_were_going(client, cp):
    r = sign_in(client, "firm-a", next_path="/console/firm/rating")
    assert r.headers["Location"] == "/console/firm/rating"
    r = sign_in(client, "firm-a", next_path="https://evil.example/")
    assert r.headers["Location"] == "/console/"


def test_firm_user_cannot_reach_regulator_pages(client, cp):
    sign_in(client, "firm-a")
    for path in (
        "/console/regulator",
        "/console/regulator/violations/new",
        "/console/regulator/objections",
        "/console/regulator/repairs",
        "/console/regulator/commendations/new",
    ):
        r = client.get(path)
        assert r.status_code == 403 and r.mimetype == "text/html", path
    html = page(client, "/console/firm")
    r = client.post(
        "/console/regulator/commendations/new",
        data={"csrf": csrf_of(html), "uscc": cp.owner_uscc, "title": "x"},
    )
    assert r.status_code == 403


def test_regulator_cannot_reach_enterprise_pages(client, cp):
    sign_in(client, "reg-in")
    assert client.get("/console/").headers["Location"].endswith("/console/regulator")
    for path in ("/console/firm", "/console/firm/pledges/new", "/console/firm/rating"):
        assert client.get(path).status_code == 403, path


def test_a_post_without_the_csrf_token_is_refused(client, cp):
    sign_in(client, "firm-a")
    r = client.post("/console/firm/pledges/new", data={"template_id": "x"})
    assert r.status_code == 400
    r = client.post("/console/firm/pledges/new", data={"template_id": "x", "csrf": "forged"})
    assert r.status_code == 400
    r = client.post("/console/logout")
    assert r.status_code == 400
    assert client.get("/console/firm").status_code == 200  # still signed in


def test_an_expired_access_token_is_refreshed_then_the_sign_in_ends(
    client, cp, clean_app, frozen_clock
):
    sign_in(client, "firm-a")
    before = console_tokens(clean_app, client)
    frozen_clock.advance(clean_app.config["CREDIT_ACCESS_TOKEN_TTL"] + 5)
    assert client.get("/console/firm").status_code == 200  # refreshed in-process
    after = console_tokens(clean_app, client)
    assert after["at"] != before["at"] and after["rt"] != before["rt"]
    frozen_clock.advance(clean_app.config["CREDIT_REFRESH_TOKEN_TTL"] + 5)
    r = client.get("/console/firm")
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]


def test_console_pages_identify_the_user_exactly_as_the_api_does(client, cp, clean_app):
    """The session's access token is an ordinary bearer token with the user's scopes."""
    sign_in(client, "firm-a")
    access = console_tokens(clean_app, client)["at"]
    r = client.get(
        f"/api/v1/enterprises/{cp.owner_uscc}/contact",
        headers={"Authorization": f"Bearer {access}"},
    )
    assert r.status_code == 200
    r = client.get(
        f"/api/v1/enterprises/{cp.other_uscc}/contact",
        headers={"Authorization": f"Bearer {access}"},
    )
    assert r.status_code == 404


def test_every_console_page_declares_its_scope(clean_app):
    open_pages = {"console.home", "console.login", "console.callback", "console.logout"}
    for rule in clean_app.url_map.iter_rules():
        if rule.endpoint.startswith("console."):
            view = clean_app.view_functions[rule.endpoint]
            if rule.endpoint in open_pages:
                assert view._credit_public
            else:
                assert view._credit_console and view._credit_scope, rule.rule


def test_signing_out_ends_the_platform_session_too(client, cp):
    from tests.pages.console_parties import sign_out

    sign_in(client, "firm-a")
    sign_out(client)
    r = client.get(authorize_url(client))
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
