"""invalid_scope (RFC 6749 §5.2, §3.3), the refresh family's fixed end, and the platform
sign-in kept on the server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from credit.accounts.models import AuthEvent, AuthorizationCode, Token, WebSession
from credit.extensions import db
from tests.parties import PASSWORD, REDIRECT, authorize, code_from, login, pkce_pair, redeem


def _events(app, event: str) -> list[AuthEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuthEvent).where(AuthEvent.event == event).order_by(AuthEvent.id)
            )
        )


def _token(client, c, scope: str | None):
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return client.post("/oauth/token", data=data, headers=c.basic())


def test_client_credentials_asking_only_for_unheld_scopes_is_invalid_scope(
    client, parties, clean_app
) -> None:
    owner = parties.clients["owner"]
    for scope in ("violations:write", "violations:write admin", "admin"):
        r = _token(client, owner, scope)
        assert r.status_code == 400, (scope, r.get_json())
        assert r.get_json()["error"] == "invalid_scope"
        assert "access_token" not in r.get_json()
    failures = [e for e in _events(clean_app, "token") if e.outcome == "failure"]
    assert len(failures) == 3 and all("error=invalid_scope" in e.detail for e in failures)
    assert {e.client_id for e in failures} == {owner.client_id}
    with clean_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Token)) == 0


def test_a_mix_of_held_and_unheld_scopes_gets_the_held_ones_and_says_so(client, parties) -> None:
    owner = parties.clients["owner"]
    r = _token(client, owner, "violations:write enterprises:read")
    assert r.status_code == 200 and r.get_json()["scope"] == "enterprises:read"
    r = _token(client, owner, None)  # none asked: every scope the client holds
    assert set(r.get_json()["scope"].split()) >= {"enterprises:read", "pledges:write"}


def test_consent_for_scopes_the_user_does_not_hold_is_invalid_scope(
    client, parties, clean_app
) -> None:
    login(client)  # staff-a: enterprises:read and enterprises:write
    _, challenge = pkce_pair()
    for scope in ("violations:write", "admin"):  # the user's / the client's lack
        r = authorize(client, parties.clients["console"], challenge, scope=scope)
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
        location = r.headers["Location"]
        assert location.startswith(REDIRECT + "?")
        query = parse_qs(urlparse(location).query)
        assert query["error"] == ["invalid_scope"] and query["state"] == ["xyz"]
        assert "code" not in query
    refused = [e for e in _events(clean_app, "authorize") if e.outcome == "failure"]
    assert [e.detail for e in refused] == ["error=invalid_scope"] * 2
    assert {e.username for e in refused} == {"staff-a"}
    with clean_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0


def test_consent_for_a_mix_grants_only_what_both_hold(client, parties) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    console = parties.clients["console"]
    r = authorize(client, console, challenge, scope="enterprises:read violations:write")
    body = redeem(client, console, code_from(r), verifier).get_json()
    assert body["scope"] == "enterprises:read"


def test_rotation_never_moves_the_refresh_familys_end(
    client, parties, clean_app, frozen_clock
) -> None:
    console = parties.clients["console"]
    signed_in_at = frozen_clock.now
    login(client)
    frozen_clock.advance(3 * 60)  # the consent a few minutes after the password
    verifier, challenge = pkce_pair()
    first = redeem(
        client, console, code_from(authorize(client, console, challenge)), verifier
    ).get_json()
    ttl = clean_app.config["CREDIT_REFRESH_TOKEN_TTL"]
    frozen_clock.advance(ttl // 2)
    r = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=console.basic(),
    )
    assert r.status_code == 200
    second = r.get_json()
    with clean_app.app_context():
        ends = {t.refresh_expires_at for t in db.session.scalars(sa.select(Token))}
    assert ends == {signed_in_at + timedelta(seconds=ttl)}  # from the password, both
    frozen_clock.now = signed_in_at + timedelta(seconds=ttl)
    r = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        headers=console.basic(),
    )
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_grant"


def _consent_page(client, parties):
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": parties.clients["console"].client_id,
        "redirect_uri": REDIRECT,
        "scope": "enterprises:read",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return client.get("/oauth/authorize", query_string=params)


def test_platform_sign_out_refuses_a_copied_cookie(client, parties, clean_app) -> None:
    login(client)
    page = _consent_page(client, parties)
    assert page.status_code == 200  # signed in: the consent page
    with client.session_transaction() as s:
        copied = dict(s)
    from tests.parties import csrf_of

    assert client.post("/logout", data={"csrf": csrf_of(page.get_data(as_text=True))}).status_code
    with client.session_transaction() as s:
        s.clear()
        s.update(copied)  # the copy taken before signing out
    r = _consent_page(client, parties)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    with clean_app.app_context():
        row = db.session.scalars(sa.select(WebSession)).one()
        assert row.end_reason == "signed_out" and row.ended_at is not None
    assert [e.outcome for e in _events(clean_app, "logout")] == ["signed_out"]


def test_a_disabled_account_is_signed_out_at_once(client, parties, clean_app) -> None:
    from credit import clock
    from credit.accounts.models import UserAccount
    from credit.uow import unit_of_work

    login(client)
    assert _consent_page(client, parties).status_code == 200
    with clean_app.app_context(), unit_of_work():
        user = db.session.scalars(sa.select(UserAccount).filter_by(username="staff-a")).one()
        user.disabled_at = clock.now()
    r = _consent_page(client, parties)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_the_cookie_carries_only_the_sign_ins_secret(client, parties, clean_app) -> None:
    from credit.accounts.secrets import digest

    login(client)
    with client.session_transaction() as s:
        assert set(s) <= {"sid", "csrf"}
        secret = s["sid"]
    with clean_app.app_context():
        row = db.session.scalars(sa.select(WebSession)).one()
        assert row.secret_hash == digest(secret) and secret not in row.secret_hash


def test_a_new_password_or_a_disabled_account_ends_sign_ins_and_tokens(
    client, parties, clean_app
) -> None:
    console = parties.clients["console"]
    for command, reason, password in (
        (["set-password", "staff-a", "--password-stdin"], "password_changed", PASSWORD),
        (["disable", "staff-a"], "user_disabled", "another long password"),
    ):
        assert login(client, password=password).status_code == 302
        verifier, challenge = pkce_pair()
        issued = redeem(
            client, console, code_from(authorize(client, console, challenge)), verifier
        ).get_json()
        url = f"/api/v1/enterprises/{parties.owner_uscc}/contact"
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        assert client.get(url, headers=headers).status_code == 200
        result = clean_app.test_cli_runner().invoke(
            args=["credit", "users", *command], input="another long password\n"
        )
        assert result.exit_code == 0, result.output
        assert _consent_page(client, parties).headers["Location"].startswith("/login?next=")
        assert client.get(url, headers=headers).status_code == 401
        with clean_app.app_context():
            rows = db.session.scalars(sa.select(WebSession).order_by(WebSession.ended_at)).all()
            assert rows[-1].end_reason == reason
            live = [t for t in db.session.scalars(sa.select(Token)) if t.revoked_at is None]
            assert live == []
    # The new password works until the account is disabled; then nothing does.
    assert login(client, password="another long password").status_code == 401
