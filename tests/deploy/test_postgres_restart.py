"""PostgreSQL restarts and stalls under load: the app answers 503 fast and recovers alone.

A private PostgreSQL (tests/deploy/pgserver.py; never the shared one) behind the real
gunicorn (2 workers): readers and writers run while the database is restarted
(``pg_ctl restart -m fast``) and then stopped for a few seconds and started again. Every
answer in that window is either a success or a 503 problem+json with ``Retry-After``,
each within the bound the timeouts set (connect, pool, statement; see
``credit.database.engine_options``); no request hangs; afterwards reads and writes succeed
again on the same gunicorn workers (the pool replaces the dead connections: those idle are
tested before use, and a failure on a busy one retires the rest), and
every write answered 201 is in the database. A statement stuck behind a lock is cancelled
by the statement timeout and answered 503 as well.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import make_app, unavailable
from tests.deploy.pgserver import PrivatePostgres, pg_bin
from tests.parties import Parties, make_parties
from tests.server import GunicornServer

#: No request may take longer than this, whatever the database does (the settings below
#: give 2 s to connect, 2 s for a pooled connection, 3 s per statement).
BOUND = 10.0
#: The client gives up at this, and counts the request as hung.
CLIENT_TIMEOUT = 25.0


@dataclass
class Stack:
    pg: PrivatePostgres
    server: GunicornServer
    parties: Parties
    token: str
    database_url: str
    app: object = field(repr=False)


@pytest.fixture(scope="module")
def stack(app_config: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    bindir = pg_bin()
    if bindir is None:
        unavailable("PostgreSQL binaries (/usr/lib/postgresql/*/bin/initdb) are not installed")
    pg = PrivatePostgres(bindir).init()
    server = None
    app = None
    try:
        pg.start()
        url = pg.create_database("credit_restart")
        config = {
            **app_config,
            "DATABASE_URL": url,
            "SEARCH_INDEX_PREFIX": app_config["SEARCH_INDEX_PREFIX"] + "pgr",
            "EMBEDDED_SEARCH_PATH": str(tmp_path_factory.mktemp("pgr") / "search-index"),
            "DATABASE_CONNECT_TIMEOUT": 2,
            "DATABASE_POOL_TIMEOUT": 2.0,
            "DATABASE_STATEMENT_TIMEOUT": 3.0,
        }
        app = make_app(config)
        with app.app_context():
            parties = make_parties()
        log = tmp_path_factory.mktemp("pgr-gunicorn") / "server.log"
        server = GunicornServer(config, log, workers=2).start()
        r = requests.post(
            server.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=parties.clients["reg_in"].basic(),
            timeout=30,
        )
        assert r.status_code == 200, r.text
        yield Stack(pg, server, parties, r.json()["access_token"], url, app)
    finally:
        if server is not None:
            server.stop()
        if app is not None:
            _drop_indices(app)
        pg.destroy()


def _drop_indices(app) -> None:
    from credit.extensions import db
    from search.documents import SPECS

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for spec in SPECS.values():
        app.extensions["credit.search"].drop(spec)


_numbers = itertools.count(1)


def violation(parties: Parties) -> dict:
    from credit import clock

    return {
        "uscc": parties.owner_uscc,
        "category": "consumer_rights",
        "severity": "minor",
        "decision_number": f"苏市监罚〔2026〕9{next(_numbers):05d}号",
        "legal_basis": "《中华人民共和国消费者权益保护法》第二十五条",
        "facts": "未按规定履行七日无理由退货义务",
        "penalty_type": "warning",
        "penalty_amount": None,
        "decision_date": (clock.today() - timedelta(days=5)).isoformat(),
    }


@dataclass
class Outcome:
    kind: str  # read | write
    started: float
    seconds: float
    status: int  # 0: no answer (hung or connection error)
    problem: dict | None = None
    retry_after: str | None = None
    created_id: str | None = None
    error: str | None = None


class Load:
    """Readers and writers against the live server until ``stop()``; every outcome kept."""

    def __init__(self, stack: Stack, readers: int = 2, writers: int = 2) -> None:
        self.stack = stack
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(kind,), daemon=True)
            for kind in ["read"] * readers + ["write"] * writers
        ]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=CLIENT_TIMEOUT + 5)

    def since(self, t0: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.started >= t0]

    def _run(self, kind: str) -> None:
        http = requests.Session()
        http.trust_env = False
        auth = {"Authorization": f"Bearer {self.stack.token}"}
        base = self.stack.server.url
        uscc = self.stack.parties.owner_uscc
        while not self._stop.is_set():
            started = time.monotonic()
            outcome = Outcome(kind, started, 0.0, 0)
            try:
                if kind == "read":
                    r = http.get(f"{base}/api/v1/enterprises/{uscc}", timeout=CLIENT_TIMEOUT)
                else:
                    r = http.post(
                        f"{base}/api/v1/violations",
                        json=violation(self.stack.parties),
                        headers=auth,
                        timeout=CLIENT_TIMEOUT,
                    )
                outcome.status = r.status_code
                if r.headers.get("Content-Type", "").startswith("application/problem+json"):
                    outcome.problem = r.json()
                outcome.retry_after = r.headers.get("Retry-After")
                if r.status_code == 201:
                    outcome.created_id = r.json()["id"]
            except requests.RequestException as exc:
                outcome.error = f"{type(exc).__name__}: {exc}"
            outcome.seconds = time.monotonic() - started
            with self._lock:
                self.outcomes.append(outcome)
            if outcome.status != 200 and outcome.status != 201:
                time.sleep(0.05)  # a refused request comes back at once: do not spin


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def succeeded(load: Load, t0: float) -> bool:
    kinds = {o.kind for o in load.since(t0) if o.status in (200, 201)}
    return kinds == {"read", "write"}


def assert_fast_503(failures: list[Outcome]) -> None:
    for o in failures:
        assert o.error is None, f"a request got no answer: {o}"
        assert o.status == 503, f"a failure other than 503: {o}"
        assert o.problem is not None and o.problem["status"] == 503, o
        assert o.retry_after == "5", o


def test_a_restart_and_a_stop_under_load_answer_503_fast_and_the_app_recovers(
    stack: Stack,
) -> None:
    workers = sorted(stack.server.worker_pids())
    with Load(stack) as load:
        t0 = time.monotonic()
        wait_until(lambda: succeeded(load, t0), 60, "reads and writes before the restart")
        stack.pg.restart("fast")
        t_restarted = time.monotonic()
        wait_until(lambda: succeeded(load, t_restarted), 60, "recovery after the restart")
        stack.pg.stop("fast")
        t_stopped = time.monotonic()
        wait_until(lambda: any(o.status == 503 for o in load.since(t_stopped)), 30, "a 503")
        time.sleep(3)  # the database stays down for a few seconds under load
        stack.pg.start()
        t_started = time.monotonic()
        wait_until(lambda: succeeded(load, t_started), 60, "recovery after the stop")
        t_recovered = time.monotonic()
        wait_until(lambda: len(load.since(t_recovered)) >= 20, 60, "load after recovery")
    outcomes = load.outcomes
    failures = [o for o in outcomes if o.status not in (200, 201)]
    window = [o for o in outcomes if t0 <= o.started]
    slowest = max(o.seconds for o in window)
    print(
        f"\nPostgreSQL restart + {3} s stop under load: {len(outcomes)} requests, "
        f"{len(failures)} failed (all 503 problem+json), slowest answer {slowest:.2f} s "
        f"(bound {BOUND:.0f} s); recovered {t_recovered - t_started:.2f} s after the start"
    )
    assert failures, "the database was down for seconds under load: some request must fail"
    assert_fast_503(failures)
    assert slowest < BOUND, f"a request took {slowest:.1f} s"
    after = [o for o in load.since(t_recovered)]
    assert all(o.status in (200, 201) for o in after), [o for o in after if o.status >= 300]
    # Recovered in place: the same workers, no restart of gunicorn.
    assert stack.server.alive()
    assert sorted(stack.server.worker_pids()) == workers
    # Every write answered 201 is committed.
    created = {o.created_id for o in outcomes if o.created_id}
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as c:
        stored = set(c.execute(sa.text("SELECT id FROM violation")).scalars())
    engine.dispose()
    assert created <= {str(i) for i in stored}, created - {str(i) for i in stored}
    log = stack.server.log_text()
    assert "database unavailable" in log
    assert "unhandled error" not in log
    assert "Error handling request" not in log  # gunicorn's own 500 page


def test_a_statement_stuck_behind_a_lock_is_cancelled_and_answered_503(stack: Stack) -> None:
    uscc = stack.parties.owner_uscc
    url = f"{stack.server.url}/api/v1/enterprises/{uscc}"
    assert requests.get(url, timeout=CLIENT_TIMEOUT).status_code == 200
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as c:
            c.execute(sa.text("LOCK TABLE enterprise IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            r = requests.get(url, timeout=CLIENT_TIMEOUT)
            seconds = time.monotonic() - started
            c.rollback()  # releases the lock
    finally:
        engine.dispose()
    assert r.status_code == 503, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["status"] == 503 and r.headers["Retry-After"] == "5"
    assert seconds < BOUND
    print(f"\na statement behind a lock: 503 after {seconds:.2f} s (statement timeout 3 s)")
    assert requests.get(url, timeout=CLIENT_TIMEOUT).status_code == 200
