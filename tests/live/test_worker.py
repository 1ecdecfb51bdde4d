"""The deployed mode, over the real server: gunicorn runs no consumer
(``CREDIT_INDEX_AFTER_COMMIT`` off, no poller) and ``flask --app wsgi credit worker``, a
process of its own, delivers what the web commits. On SQLite the worker finds new events by
a short poll, on PostgreSQL (``--db=postgresql``) it is woken by LISTEN/NOTIFY.

The rest of the suite runs the consumers in-process after each commit (the test servers'
default), so these tests are what cover the worker's deployed mode; the takeover of a
killed worker by another is in tests/deploy/test_worker_takeover.py.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from credit.translog.notes import Checkpoint, Verifier, open_note
from credit.translog.records import LogRecord
from tests.parties import make_parties
from tests.server import GunicornServer, WorkerProcess
from tests.translog import rfc9162

DEPLOYED = {
    "INDEX_AFTER_COMMIT": False,
    "INDEXER_POLL_SECONDS": 0,
    "WORKER_LEASE_SECONDS": 3,
    "LOG_CHECKPOINT_SECONDS": 1,
}


@pytest.fixture(scope="module")
def web(app, app_config: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    server = GunicornServer(
        {**app_config, **DEPLOYED}, tmp_path_factory.mktemp("web") / "gunicorn.log"
    )
    server.start()
    yield server
    server.stop()


def _worker(app_config: dict, log_dir) -> WorkerProcess:
    return WorkerProcess({**app_config, **DEPLOYED}, log_dir / "worker.log").start()


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _bearer(url: str, client) -> dict[str, str]:
    r = requests.post(
        url + "/oauth/token", data={"grant_type": "client_credentials"}, headers=client.basic()
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _violation(parties, number: str) -> dict:
    return {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "serious",
        "decision_number": number,
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 500000,
        "decision_date": (clock.today() - timedelta(days=2)).isoformat(),
    }


def _assert_logged_and_signed(url: str, violation_id: str, worker: WorkerProcess) -> None:
    """The worker appended the record to the public log and signed a checkpoint covering
    it; the checkpoint opens with the published key and the inclusion proof served by
    gunicorn verifies (tests/translog/rfc9162.py)."""
    key = Verifier.parse(requests.get(url + "/api/v1/log/key").json()["verifier_key"])

    def logged() -> int | None:
        db.session.rollback()
        return db.session.scalar(
            sa.select(LogRecord.index).where(
                LogRecord.record_id == violation_id, LogRecord.event_type == "violation.published"
            )
        )

    index = _until(logged)
    assert index is not None, worker.log_text()

    def signed() -> Checkpoint | None:
        r = requests.get(url + "/api/v1/log/checkpoint")
        if r.status_code != 200:
            return None
        found = Checkpoint.parse(open_note(r.text, key))
        return found if found.size > index else None

    checkpoint = _until(signed)
    assert checkpoint, worker.log_text()
    # The worker logs the checkpoint after committing it, so the line may trail the page.
    assert _until(lambda: "log checkpoint at size" in worker.log_text()), worker.log_text()
    entry = requests.get(f"{url}/api/v1/log/entries/{index}").json()
    assert entry["record_id"] == violation_id and entry["content"]["id"] == violation_id
    proof = requests.get(
        url + "/api/v1/log/proof/inclusion",
        params={"index": index, "tree_size": checkpoint.size},
    ).json()
    raw = base64.b64decode(entry["entry"])
    path = [base64.b64decode(h) for h in proof["proof"]]
    assert rfc9162.verify_inclusion(
        index, checkpoint.size, rfc9162.leaf(raw), path, checkpoint.root
    )


def test_the_worker_delivers_what_the_web_commits(
    app_ctx, app_config: dict, web: GunicornServer, tmp_path
) -> None:
    """A violation POSTed to gunicorn reaches the firm's rating and violation search
    through the worker; the worker logs the batch (consumer, event range, count), and
    /readyz names it as the holder of every consumer, with no backlog left."""
    parties = make_parties()
    worker = _worker(app_config, tmp_path)
    try:
        rating = f"{web.url}/api/v1/enterprises/{parties.owner_uscc}/rating"
        before = _until(lambda: requests.get(rating).json().get("score"))
        number = "苏市监罚〔2026〕7101号"
        r = requests.post(
            web.url + "/api/v1/violations",
            json=_violation(parties, number),
            headers=_bearer(web.url, parties.clients["reg_in"]),
        )
        assert r.status_code == 201, r.text
        violation_id = r.json()["id"]

        after = _until(
            lambda: (
                "HARD_SERIOUS_VIOLATION" in (x := requests.get(rating).json())["hard_rules"] and x
            )
        )
        assert after, worker.log_text()
        assert after["score"] < before
        search = f"{web.url}/api/v1/search"
        found = _until(
            lambda: [
                i
                for i in requests.get(search, params={"type": "violation", "q": number}).json()[
                    "items"
                ]
                if i["id"] == violation_id
            ]
        )
        assert found, worker.log_text()
        _assert_logged_and_signed(web.url, violation_id, worker)

        def consumers_of(ready: dict) -> dict:
            return {k: v for k, v in ready["checks"]["worker"].items() if k != "sweep"}

        # The worker's first sweep runs beside the deliveries and may append events of its
        # own just now: wait until it has delivered everything, as it must.
        ready = _until(
            lambda: (
                (r := requests.get(web.url + "/readyz").json())
                and all(v["backlog"] == 0 for v in consumers_of(r).values())
                and r
            )
        )
        assert ready, worker.log_text()
        consumers = consumers_of(ready)
        assert set(consumers) == {"ratings", "search-indexer", "webhooks", "transparency-log"}
        assert all(v["holder"] == worker.holder for v in consumers.values())
        assert ready["status"] == "ready", ready
        log = worker.log_text()
        assert re.search(r"consumer ratings delivered events \d+-\d+ \(\d+ events\)", log), log
        assert "consumer search-indexer delivered events" in log
        # The web processes ran no consumer: they never logged a delivery.
        assert "delivered events" not in web.log_text()
    finally:
        worker.stop()


def test_a_stopped_worker_releases_its_leases_and_readyz_shows_the_backlog(
    app_ctx, app_config: dict, web: GunicornServer, tmp_path
) -> None:
    """SIGTERM: the worker exits 0 and releases its leases at once. A write then waits in
    the feed: /readyz is degraded, every lease lapsed and the backlog counted; a new
    worker takes the leases and delivers it."""
    parties = make_parties()
    worker = _worker(app_config, tmp_path)
    assert _until(lambda: requests.get(web.url + "/readyz").json()["status"] == "ready")
    assert worker.stop() == 0
    assert re.search(r"released the lease of ratings", worker.log_text())

    r = requests.post(
        web.url + "/api/v1/violations",
        json=_violation(parties, "苏市监罚〔2026〕7102号"),
        headers=_bearer(web.url, parties.clients["reg_in"]),
    )
    assert r.status_code == 201, r.text
    ready = requests.get(web.url + "/readyz").json()
    assert ready["status"] == "degraded", ready
    ratings = ready["checks"]["worker"]["ratings"]
    assert ratings["lease_expired"] and ratings["holder"] is None and ratings["backlog"] > 0

    second = WorkerProcess({**app_config, **DEPLOYED}, tmp_path / "second.log").start()
    try:
        caught_up = _until(
            lambda: (x := requests.get(web.url + "/readyz").json())["status"] == "ready" and x
        )
        assert caught_up, second.log_text()
        assert caught_up["checks"]["worker"]["ratings"]["holder"] == second.holder
    finally:
        assert second.stop() == 0
