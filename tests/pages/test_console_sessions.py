"""The console sign-in ends 8 hours after the password, however often it is refreshed (H4).

In-process with a frozen clock: the limit is a domain rule (``web_session.expires_at`` and
the refresh-token family's end, both fixed when the password is entered).
"""

from __future__ import annotations

from datetime import timedelta

from tests.pages.console_parties import console_tokens, sign_in, web_session

MINUTE = 60
HOUR = 3600


def _signed_in(client) -> bool:
    r = client.get("/console/firm")
    if r.status_code == 200:
        return True
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login"), r.status
    return False


def test_a_sign_in_refreshed_every_10_minutes_still_ends_at_8_hours(
    client, clean_app, cp, frozen_clock
) -> None:
    assert clean_app.config["CREDIT_SIGN_IN_TTL"] == 8 * HOUR
    assert clean_app.config["CREDIT_ACCESS_TOKEN_TTL"] < 20 * MINUTE  # refreshed on the way
    start = frozen_clock.now
    sign_in(client, "firm-a")
    row = web_session(clean_app, client)
    assert row.authenticated_at == start and row.expires_at == start + timedelta(hours=8)
    seen = {console_tokens(clean_app, client)["rt"]}
    while frozen_clock.now - start < timedelta(hours=7, minutes=50):
        frozen_clock.advance(10 * MINUTE)
        assert _signed_in(client), frozen_clock.now - start
        seen.add(console_tokens(clean_app, client)["rt"])
    assert len(seen) > 20  # the refresh token rotated all along
    frozen_clock.advance(9 * MINUTE)  # 7 h 59 min after the password: still signed in
    assert frozen_clock.now - start == timedelta(hours=7, minutes=59)
    assert _signed_in(client)
    frozen_clock.advance(1 * MINUTE)  # 8 h 00 min: over, whatever was refreshed
    assert not _signed_in(client)
    # Signing in again asks for the password (the platform sign-in ended too).
    r = client.get("/console/login")
    r = client.get(r.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    row = web_session(clean_app, client)
    assert row is None  # the ended sign-in was dropped from the cookie
    with clean_app.app_context():
        import sqlalchemy as sa

        from credit.accounts.models import Token, WebSession
        from credit.extensions import db

        ended = db.session.scalars(sa.select(WebSession)).one()
        assert ended.end_reason == "expired" and ended.console_tokens is None
        family = db.session.scalars(
            sa.select(Token).where(Token.family_id == ended.console_family_id)
        ).all()
        assert all(t.revoked_at is not None for t in family)
        # No refresh token of the family outlives the password + 8 h, rotation or not.
        assert {t.refresh_expires_at for t in family} == {start + timedelta(hours=8)}


def test_last_seen_is_noted_without_moving_the_end(client, clean_app, cp, frozen_clock) -> None:
    start = frozen_clock.now
    sign_in(client, "firm-a")
    frozen_clock.advance(2 * HOUR)
    assert _signed_in(client)
    row = web_session(clean_app, client)
    assert row.last_seen_at == start + timedelta(hours=2)
    assert row.expires_at == start + timedelta(hours=8)
