"""A gunicorn worker killed in the middle of a write that carried an Idempotency-Key: the
client's retry with the same key is carried out at once by the worker started in its
place, not refused with 409 until the dead worker's claim lease ends (60 s).

PostgreSQL only (pass 2): a row lock taken by the test holds the request after it claimed
its key, so the worker can be killed at exactly that point. On SQLite the claim and the
write queue for the same database lock, and there is no such point to hold it at.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from credit.extensions import db
from credit.idempotency import IdempotencyRecord
from credit.pledges.models import Pledge
from tests.parties import make_parties, pledge_body, seed_templates

KEY = "publish-once-1"


@pytest.fixture
def parties(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs a row lock to hold a request after its claim (PostgreSQL)")
    p = make_parties()
    p.templates = seed_templates()
    return p


def _until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def _claim_state() -> str | None:
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(IdempotencyRecord.state).where(IdempotencyRecord.key == KEY))


def test_a_retry_after_the_worker_died_mid_request_is_carried_out_at_once(live, parties):
    auth = live.bearer(parties.clients["owner"])
    body = pledge_body(parties.templates["ECOM-STD"])
    created = live.post("/api/v1/pledges", json=body, headers=auth)
    assert created.status_code == 201, created.text
    pledge_id = created.json()["id"]
    path = f"/api/v1/pledges/{pledge_id}/publish"
    headers = {**auth, "If-Match": created.headers["ETag"], "Idempotency-Key": KEY}

    locker = db.engine.connect()
    held = locker.begin()
    locker.execute(sa.select(Pledge.id).where(Pledge.id == pledge_id).with_for_update())
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["response"] = live.post(path, json={}, headers=headers)
        except requests.ConnectionError as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert _until(lambda: _claim_state() == "claimed"), "the request never claimed its key"
        time.sleep(0.3)  # it now waits for the row lock, its claim committed
        old_workers = live.server.worker_pids()
        for pid in old_workers:
            os.kill(pid, signal.SIGKILL)
        sender.join(30)
    finally:
        held.rollback()
        locker.close()
    assert "error" in outcome, f"the request was answered: {outcome}"
    assert _claim_state() == "claimed"  # the dead worker left its claim behind

    def serving() -> bool:
        pids = live.server.worker_pids()
        if len(pids) != 2 or set(pids) & set(old_workers):
            return False
        try:
            return live.get("/healthz").status_code == 200
        except requests.ConnectionError:
            return False

    assert _until(serving), live.server.log_tail()
    retry = live.post(path, json={}, headers=headers)
    assert retry.status_code == 200, retry.text  # before: 409 for the rest of the 60 s lease
    assert retry.json()["status"] == "published"
    assert _claim_state() == "done"
    again = live.post(path, json={}, headers=headers)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    db.session.remove()
    assert db.session.get(Pledge, pledge_id).series_version == 1  # published once, as itself
