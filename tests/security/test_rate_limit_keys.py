"""What the rate limits count per (in-process): the token endpoint per client id and address
plus per address, sign-in per username and address plus per address; the client id read
the way authlib reads it, never the secret; and a Redis outage that fails soft.

The same limits over the real server, with several workers and behind nginx, are in
tests/live/test_rate_limits.py.
"""

from __future__ import annotations

import base64
import logging

import pytest

from api import limits
from tests.conftest import RUN_ID, make_app, reset_state
from tests.server import free_port

TIGHT = {
    "RATELIMIT_TOKEN": "3 per minute",
    "RATELIMIT_TOKEN_ADDRESS": "5 per minute",
    "RATELIMIT_LOGIN": "2 per minute",
    "RATELIMIT_LOGIN_ADDRESS": "3 per minute",
}
GRANT = {"grant_type": "client_credentials"}


def basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


@pytest.fixture(scope="module")
def tight_app(app_config: dict):
    return make_app({**app_config, **TIGHT})


@pytest.fixture
def tight(tight_app):
    reset_state(tight_app)
    return tight_app.test_client()


def token(client, client_id: str, addr: str = "10.0.0.1", secret: str = "wrong"):
    return client.post(
        "/oauth/token",
        data=GRANT,
        headers=basic(client_id, secret),
        environ_base={"REMOTE_ADDR": addr},
    )


def test_one_address_guessing_one_clients_secret_is_stopped_alone(tight) -> None:
    assert [token(tight, "jsc_a").status_code for _ in range(4)] == [401, 401, 401, 429]
    # The same client from another address has its own count ...
    assert token(tight, "jsc_a", addr="10.0.0.2").status_code == 401
    # ... and the attacking address may still try other ids, up to its own looser limit.
    assert [token(tight, f"jsc_{n}").status_code for n in "bc"] == [401, 401]
    r = token(tight, "jsc_d")
    assert r.status_code == 429 and r.content_type == "application/problem+json"
    assert "同一地址每分钟" in r.get_json()["detail"] and int(r.headers["Retry-After"]) > 0
    assert token(tight, "jsc_d", addr="10.0.0.3").status_code == 401


def test_the_client_id_is_read_as_authlib_reads_it(tight) -> None:
    """Percent-encoding the id in HTTP Basic, or sending it in the form, is the same client
    to authlib, so it is the same count: no new bucket by re-spelling the id."""
    spellings = [
        {"headers": basic("jsc_a", "x")},
        {"headers": basic("jsc%5Fa", "y")},
        {"data": {**GRANT, "client_id": "jsc_a", "client_secret": "z"}},
    ]
    statuses = [
        tight.post("/oauth/token", data=s.get("data", GRANT), headers=s.get("headers", {}))
        for s in spellings
    ]
    # invalid_client: 401 with HTTP Basic, 400 with the form (RFC 6749 section 5.2)
    assert [r.status_code for r in statuses] == [401, 401, 400]
    assert token(tight, "jsc_a", addr="127.0.0.1").status_code == 429


def test_revocation_counts_with_the_token_endpoint(tight) -> None:
    assert [token(tight, "jsc_a").status_code for _ in range(3)] == [401, 401, 401]
    r = tight.post(
        "/oauth/revoke",
        data={"token": "x"},
        headers=basic("jsc_a", "wrong"),
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert r.status_code == 429


def test_sign_in_counts_per_username_and_per_address(tight) -> None:
    def login(username: str, addr: str = "10.0.0.1") -> int:
        return tight.post(
            "/login",
            data={"username": username, "password": "guess"},
            environ_base={"REMOTE_ADDR": addr},
        ).status_code

    assert login("alice") != 429 and login("alice") != 429
    assert login("alice") == 429  # 2 per minute for alice from this address
    assert login("alice", addr="10.0.0.2") != 429
    assert login("bob") != 429  # the address's third attempt
    assert login("carol") == 429  # 3 per minute per address, whatever the username
    assert tight.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_keys_never_hold_the_secret_and_stay_bounded(app) -> None:
    here = {"REMOTE_ADDR": "127.0.0.1"}
    long_id = "客" * 100
    with app.test_request_context(
        "/oauth/token", environ_base=here, method="POST", headers=basic(long_id, "s3cret-value")
    ):
        key = limits.client_key()
        assert "s3cret" not in key and key.isascii()
        assert limits.request_client_id() == long_id
        assert key == "127.0.0.1|" + "%E5%AE%A2" * limits.MAX_KEY_PART
    with app.test_request_context(
        "/oauth/token", environ_base=here, method="POST", headers=basic("x" * 2000, "s3cret")
    ):
        assert limits.client_key() == "127.0.0.1|-"  # not even decoded: one shared bucket
    with app.test_request_context(
        "/oauth/token",
        environ_base=here,
        method="POST",
        headers={"Authorization": "Basic !!not-base64!!"},
        data={"client_id": "jsc_form", "client_secret": "s3cret"},
    ):
        assert limits.request_client_id() == "jsc_form"
    with app.test_request_context("/oauth/token", environ_base=here, method="POST", data=GRANT):
        assert limits.client_key() == "127.0.0.1|-"
    big = b"client_id=" + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    with app.test_request_context(
        "/oauth/token",
        environ_base=here,
        method="POST",
        data=big,
        content_type="application/x-www-form-urlencoded",
    ):
        # The oversized body is the view's 413 to give; the key function must not raise
        # (Flask-Limiter would take an error for a storage outage).
        assert limits.client_key() == "127.0.0.1|-"


def test_an_unreachable_redis_fails_soft(app_config: dict, caplog) -> None:
    """Redis down: the same limits, counted in this process's memory, and a warning; never
    a 500 and never unlimited."""
    down = make_app(
        {
            **app_config,
            **TIGHT,
            "RATELIMIT_STORAGE_URL": f"redis://127.0.0.1:{free_port()}/0",
            "RATELIMIT_KEY_PREFIX": f"t{RUN_ID}down",
        }
    )
    client = down.test_client()
    with caplog.at_level(logging.WARNING):
        statuses = [token(client, "jsc_a").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "falling back to in-memory storage" in caplog.text
    r = token(client, "jsc_a")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_reset_clears_only_this_runs_keys(app, client, redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    other = "someone-else-ratelimit:LIMITER/127.0.0.1|x/oauth-client/30/1/minute"
    r.set(other, 1, ex=60)
    try:
        assert token(client, "jsc_a", addr="127.0.0.1").status_code == 401
        ours = f"{app.config['CREDIT_RATELIMIT_KEY_PREFIX']}-ratelimit:*"
        assert r.keys(ours)
        limits.reset(app)
        assert r.keys(ours) == [] and r.get(other) == b"1"
    finally:
        r.delete(other)
        r.close()
