"""No secret or token in plain text in the database or the logs; audit trail; lockout."""

from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa

from credit.accounts.models import AuthEvent
from credit.extensions import db
from tests.parties import (
    PASSWORD,
    authorize,
    bearer,
    code_from,
    login,
    pkce_pair,
    redeem,
)

SECRET_PATTERN = re.compile(r"jsc[st]_[A-Za-z_]*[A-Za-z0-9_-]{20,}")


def _all_text_in_database() -> str:
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def test_no_secret_or_token_stored_or_logged(
    client, parties, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    owner = parties.clients["owner"]
    cc = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=owner.basic()
    ).get_json()
    login(client)
    verifier, challenge = pkce_pair()
    resp = authorize(client, parties.clients["console"], challenge)
    code = code_from(resp)
    ac = redeem(client, parties.clients["console"], code, verifier).get_json()
    client.get(
        f"/api/v1/enterprises/{parties.owner_uscc}/contact", headers=bearer(cc["access_token"])
    )
    client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(owner.client_id, "jscs_wrong_secret_value_123456789"),
    )
    secrets_issued = [
        owner.secret,
        parties.clients["console"].secret,
        cc["access_token"],
        ac["access_token"],
        ac["refresh_token"],
        code,
        PASSWORD,
    ]
    stored = _all_text_in_database()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in secrets_issued:
        assert value not in stored
        assert value not in logged
    assert not SECRET_PATTERN.search(logged)
    assert "jscs_wrong_secret_value" not in logged


def test_auth_events_are_recorded_in_utc(client, parties) -> None:
    owner = parties.clients["owner"]
    client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=owner.basic())
    client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(owner.client_id, "wrong")
    )
    events = db.session.scalars(
        sa.select(AuthEvent).where(AuthEvent.event == "token").order_by(AuthEvent.id)
    ).all()
    assert [(e.outcome, e.client_id) for e in events] == [
        ("success", owner.client_id),
        ("failure", owner.client_id),
    ]
    assert "invalid_client" in events[1].detail
    for e in events:
        ts = e.occurred_at
        assert ts.tzinfo is None or ts.utcoffset().total_seconds() == 0


def test_login_lockout_after_repeated_failures(client, parties) -> None:
    for _ in range(5):
        r = login(client, password="wrong password!")
        assert r.status_code == 401
    r = login(client)  # the right password, but the account is locked now
    assert r.status_code == 401
    outcomes = db.session.scalars(
        sa.select(AuthEvent.outcome).where(AuthEvent.username == "staff-a")
    ).all()
    assert "locked" in outcomes


def test_unknown_user_and_wrong_password_look_the_same(client, parties) -> None:
    a = login(client, username="nobody", password="whatever-123")
    b = login(client, password="wrong password!")
    assert a.status_code == b.status_code == 401
    assert a.get_data(as_text=True).count("错误") == b.get_data(as_text=True).count("错误")


def test_cli_prints_the_secret_once_and_stores_a_hash(clean_app, parties) -> None:
    runner = clean_app.test_cli_runner()
    r = runner.invoke(
        args=[
            "credit",
            "clients",
            "create",
            "--kind",
            "enterprise",
            "--name",
            "A 的 ERP",
            "--uscc",
            parties.owner_uscc,
            "--scopes",
            "pledges:write",
        ]
    )
    assert r.exit_code == 0, r.output
    created = json.loads(r.stdout)
    assert created["client_secret"].startswith("jscs_")
    listing = runner.invoke(args=["credit", "clients", "list"]).output
    assert created["client_id"] in listing and created["client_secret"] not in listing
    rotated = json.loads(
        runner.invoke(args=["credit", "clients", "rotate-secret", created["client_id"]]).stdout
    )
    assert rotated["client_secret"] != created["client_secret"]
    client = clean_app.test_client()
    old = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], created["client_secret"]),
    )
    new = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], rotated["client_secret"]),
    )
    assert old.status_code == 401 and new.status_code == 200


def test_cli_refuses_scopes_beyond_the_kind(clean_app, parties) -> None:
    r = clean_app.test_cli_runner().invoke(
        args=[
            "credit",
            "clients",
            "create",
            "--kind",
            "enterprise",
            "--name",
            "x",
            "--uscc",
            parties.owner_uscc,
            "--scopes",
            "violations:write",
        ]
    )
    assert r.exit_code != 0 and "violations:write" in r.output


def test_cli_authorities_and_users(clean_app, parties) -> None:
    runner = clean_app.test_cli_runner()
    r = runner.invoke(
        args=[
            "credit",
            "authorities",
            "create",
            "--code",
            "JS-SAMR",
            "--name",
            "江苏省市场监督管理局",
            "--jurisdiction",
            "320000",
        ]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=[
            "credit",
            "authorities",
            "create",
            "--code",
            "BAD",
            "--name",
            "外省",
            "--jurisdiction",
            "110000",
        ]
    )
    assert r.exit_code != 0 and "110000" in r.output
    r = runner.invoke(
        args=[
            "credit",
            "users",
            "create",
            "--username",
            "prov",
            "--display-name",
            "省局用户",
            "--kind",
            "regulator",
            "--authority",
            "JS-SAMR",
            "--scopes",
            "violations:write",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=[
            "credit",
            "users",
            "create",
            "--username",
            "short",
            "--display-name",
            "x",
            "--kind",
            "operator",
            "--scopes",
            "admin",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert r.exit_code != 0


def test_log_records_redact_tokens_and_secrets(clean_app, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.library")
    log.debug(
        "issued %s",
        {
            "access_token": "jsct_at_abcdefghijklmnopqrstuvwxyz0123",
            "secret": "jscs_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        },
    )
    text = caplog.records[-1].getMessage()
    assert "abcdefghijklmnop" not in text and "ABCDEFGHIJKLMNOP" not in text
    assert "jsct_at_[REDACTED]" in text and "jscs_[REDACTED]" in text
