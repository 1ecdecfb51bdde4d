"""Worker takeover (issue 18's acceptance): gunicorn runs no consumer, two
``flask --app wsgi credit worker`` processes run beside it on PostgreSQL, and the one
holding the consumers is killed with SIGKILL while regulators write violations over HTTP.

The other worker must take the consumers over within seconds (the lease time plus a
margin, measured from the kill), and at the end every write is in the firm's rating and in
search, nothing is lost (the cursors reached the last event, ``search check`` finds nothing
missing, extra or stale), and nothing was applied twice: the workers log every batch they
commit (consumer and event range), and no event id is in two committed batches of one
consumer, across both workers. (A batch the killed worker had in hand was never
committed: its cursor compare-and-set holds the proof, and the survivor delivers it.)
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from flask import current_app

from credit import changes, clock
from credit.extensions import db
from credit.identity import SYSTEM
from credit.ratings.service import get_rating
from search.indexer import check
from tests.parties import make_parties
from tests.server import GunicornServer, WorkerProcess

LEASE = 3.0
WRITES = 36
DEPLOYED = {"INDEX_AFTER_COMMIT": False, "INDEXER_POLL_SECONDS": 0, "WORKER_LEASE_SECONDS": LEASE}
BATCH = re.compile(r"worker (\S+): consumer (\S+) delivered events (\d+)-(\d+) \((\d+) events\)")


@pytest.fixture
def topology(db_kind, app_ctx, app_config: dict, tmp_path):
    if db_kind != "postgresql":
        pytest.skip("the takeover test runs on PostgreSQL (--db=postgresql)")
    config = {**app_config, **DEPLOYED}
    web = GunicornServer(config, tmp_path / "gunicorn.log", workers=2)
    workers = [
        WorkerProcess(config, tmp_path / "worker-a.log"),
        WorkerProcess(config, tmp_path / "worker-b.log"),
    ]
    try:
        web.start()
        workers[0].start()
        yield web, workers
    finally:
        for w in workers:
            w.kill()
        web.stop()


def _until(check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _holders(url: str) -> dict[str, str | None]:
    worker = requests.get(url + "/readyz", timeout=10).json()["checks"]["worker"]
    return {name: entry["holder"] for name, entry in worker.items()}


def test_killing_the_holding_worker_loses_nothing_and_applies_nothing_twice(topology) -> None:
    web, (first, second) = topology
    parties = make_parties()
    # The first worker holds every consumer before the second starts.
    assert _until(lambda: set(_holders(web.url).values()) == {first.holder}, 30), first.log_text()
    second.start()
    token = requests.post(
        web.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=parties.clients["reg_in"].basic(),
        timeout=10,
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    created: list[tuple[str, str]] = []  # (violation id, decision number)
    failures: list[str] = []

    def write() -> None:
        http = requests.Session()
        for n in range(WRITES):
            number = f"苏市监罚〔2026〕{8000 + n}号"
            body = {
                "uscc": parties.owner_uscc,
                "category": "fake_orders",
                "severity": "general",
                "decision_number": number,
                "legal_basis": "《中华人民共和国电子商务法》第十七条",
                "facts": "组织虚假交易、编造用户评价",
                "penalty_type": "fine",
                "penalty_amount": 10000 + n,
                "decision_date": (clock.today() - timedelta(days=3)).isoformat(),
            }
            r = http.post(web.url + "/api/v1/violations", json=body, headers=auth, timeout=30)
            if r.status_code == 201:
                created.append((r.json()["id"], number))
            else:
                failures.append(r.text)
            time.sleep(0.15)

    writer = threading.Thread(target=write)
    writer.start()
    assert _until(lambda: len(created) >= WRITES // 3, 60), failures
    # The holder is killed mid-stream: no release, no goodbye.
    assert first.log_text().count("delivered events") > 0, first.log_text()
    first.kill()
    killed_at = time.monotonic()
    taken = _until(
        lambda: (
            _holders(web.url)
            == dict.fromkeys(
                ("ratings", "search-indexer", "webhooks", "transparency-log", "sweep"),
                second.holder,
            )
        ),
        LEASE + 10,
    )
    takeover = time.monotonic() - killed_at
    assert taken, f"no takeover after {takeover:.1f} s:\n{second.log_text()}"
    assert takeover < LEASE + 10  # a bounded wait: the lease time and some scheduling
    print(f"takeover {takeover:.1f} s after the kill (lease {LEASE:.0f} s)")  # -s shows it
    writer.join(120)
    assert not failures and len(created) == WRITES, failures

    # Everything reaches the rating and search through the survivor.
    def caught_up() -> bool:
        db.session.rollback()
        return all(changes.backlog(db.session, c.name) == 0 for c in changes.registered(db.engine))

    assert _until(caught_up, 60), second.log_text()
    db.session.remove()
    rating = get_rating(SYSTEM, parties.owner_uscc)
    refs = {f["ref"] for f in rating.factors}
    assert {vid for vid, _ in created} <= refs
    search = web.url + "/api/v1/search"
    for vid, number in created:
        hits = requests.get(search, params={"type": "violation", "q": number}, timeout=10).json()
        assert vid in [h["id"] for h in hits["items"]], number
    backend = current_app.extensions["credit.search"]
    reports = check(db.session, backend, repair=False)
    assert all(not (r.missing or r.extra or r.stale) for r in reports), reports

    # Nothing applied twice: no event is in two committed batches of one consumer.
    top = db.session.scalar(sa.select(sa.func.max(changes.ChangeEvent.id)))
    batches: dict[str, list[tuple[int, int, str]]] = {}
    for worker in (first, second):
        for holder, consumer, lo, hi, _count in BATCH.findall(worker.log_text()):
            assert holder == worker.holder
            batches.setdefault(consumer, []).append((int(lo), int(hi), holder))
    assert set(batches) == {"ratings", "search-indexer", "webhooks", "transparency-log"}, batches
    for consumer, ranges in batches.items():
        ranges.sort()
        for (_, hi1, _), (lo2, hi2, _) in itertools.pairwise(ranges):
            assert hi1 < lo2, f"{consumer}: events {lo2}-{min(hi1, hi2)} delivered twice"
        # Both workers worked, the survivor from where the dead one's last commit ended.
        assert {h for _, _, h in ranges} == {first.holder, second.holder}
    for name in ("ratings", "search-indexer", "webhooks", "transparency-log"):
        position = db.session.scalar(
            sa.select(changes.ConsumerCursor.position).where(changes.ConsumerCursor.name == name)
        )
        assert position == top
