"""Leases and the change-feed worker, in-process, on the run's database (SQLite or
PostgreSQL with ``--db``). The worker as a process, beside gunicorn, is tested in
tests/live/test_worker.py and tests/deploy/test_worker_takeover.py."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from credit import changes, leases
from credit.extensions import db
from credit.ratings.consumer import CONSUMER_NAME as RATINGS
from credit.worker import Worker, WorkerSettings, report
from search.indexer import CONSUMER_NAME as INDEXER
from tests.helpers import without_after_commit_hooks
from tests.parties import make_parties, make_violation


@pytest.fixture
def engine(app_ctx):
    return db.engine


def test_a_free_lease_is_taken_and_renewed_by_its_holder(engine) -> None:
    assert leases.acquire(engine, "c", "a", ttl=30)
    with engine.connect() as conn:
        first = leases.states(conn)["c"]
    assert first.holder == "a" and not first.expired
    assert leases.acquire(engine, "c", "a", ttl=60)  # a renewal moves the expiry on
    with engine.connect() as conn:
        renewed = leases.states(conn)["c"]
    assert renewed.holder == "a" and renewed.expires_at > first.expires_at


def test_a_held_lease_is_refused_to_another_until_it_expires(engine) -> None:
    assert leases.acquire(engine, "c", "a", ttl=2)
    assert not leases.acquire(engine, "c", "b", ttl=2)
    deadline = time.monotonic() + 10
    while not leases.acquire(engine, "c", "b", ttl=30):  # b steals it once it expired
        assert time.monotonic() < deadline, "an expired lease was never given to b"
        time.sleep(0.2)
    with engine.connect() as conn:
        assert leases.states(conn)["c"].holder == "b"
    assert not leases.acquire(engine, "c", "a", ttl=30)  # a cannot take it back


def test_a_released_lease_is_free_at_once(engine) -> None:
    assert leases.acquire(engine, "c", "a", ttl=600)
    leases.release(engine, "c", "b")  # not b's to release
    assert not leases.acquire(engine, "c", "b", ttl=600)
    leases.release(engine, "c", "a")
    with engine.connect() as conn:
        assert leases.states(conn)["c"].expired
    assert leases.acquire(engine, "c", "b", ttl=600)


def test_racing_takers_of_one_lease_never_both_win(engine) -> None:
    """Eight threads race for one free lease, again and again: one wins each round."""
    for round_ in range(5):
        name = f"race-{round_}"
        barrier = threading.Barrier(8)
        won: list[str] = []

        def take(
            me: str, name: str = name, barrier: threading.Barrier = barrier, won: list = won
        ) -> None:
            barrier.wait()
            try:
                if leases.acquire(engine, name, me, ttl=60):
                    won.append(me)
            except sa.exc.OperationalError:  # SQLite "database is locked": not a win
                pass

        threads = [threading.Thread(target=take, args=(f"h{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(won) == 1, won


def _run_worker(app, worker: Worker) -> threading.Thread:
    def target() -> None:
        with app.app_context():
            worker.run(install_signals=False)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_the_worker_delivers_a_write_and_lets_go_on_stop(app_ctx) -> None:
    """A worker (a thread here) takes every lease, delivers a violation committed with no
    after-commit hook to the ratings and the index, logs the batch, and on stop releases
    its leases; /readyz's report shows the holder, then the lapsed leases."""
    parties = make_parties()
    engine = db.engine
    with without_after_commit_hooks(engine):
        changes.run_all(db.session, raise_errors=True)  # the parties' own events
        violation_id = make_violation(parties).id
        assert changes.backlog(db.session, RATINGS) > 0
        db.session.remove()
        worker = Worker(engine, WorkerSettings(lease_seconds=3, poll_seconds=0.05))
        thread = _run_worker(app_ctx, worker)
        deadline = time.monotonic() + 20
        while changes.backlog(db.session, INDEXER) or changes.backlog(db.session, RATINGS):
            assert time.monotonic() < deadline, "the worker never caught up"
            db.session.rollback()
            time.sleep(0.05)
        status = report()
        assert status[RATINGS]["holder"] == worker.holder
        assert status[INDEXER]["backlog"] == 0 and not status[INDEXER]["lease_expired"]
        worker.stop.set()
        thread.join(10)
        assert not thread.is_alive()
        status = report()
        assert all(entry["lease_expired"] for entry in status.values()), status
        assert status["sweep"]["holder"] is None
    from search.documents import VIOLATIONS as spec

    backend = app_ctx.extensions["credit.search"]
    backend.refresh(spec)
    assert backend.get(spec, violation_id) is not None


def _waiter(engine):
    from credit.worker import _Listener, _Poller

    if engine.dialect.name == "postgresql":
        return _Listener(engine, poll_interval=0.5)
    return _Poller(engine, interval=0.05)


def test_a_commit_with_events_wakes_the_worker_and_a_rollback_does_not(app_ctx) -> None:
    """The worker's wait ends on a commit that appended change events (PostgreSQL: the
    NOTIFY sent in that transaction; SQLite: the poll sees a new event id), long before
    its timeout; a transaction that rolls back wakes nobody."""
    from credit.uow import UnitOfWork

    parties = make_parties()
    engine = db.engine
    waiter = _waiter(engine)
    never = threading.Event()
    try:
        waiter.wait(0.5, never)  # the first look (or the LISTEN's start) counts as news
        assert not waiter.wait(0.5, never)  # nothing committed: the wait times out

        def commit_later(rollback: bool) -> None:
            time.sleep(0.3)
            with app_ctx.app_context():
                work = UnitOfWork(db.session)
                work.record("enterprise", parties.owner_uscc, 1)
                if rollback:
                    work.flush_events()
                    db.session.rollback()
                else:
                    work.commit()
                db.session.remove()

        writer = threading.Thread(target=commit_later, args=(True,))
        writer.start()
        assert not waiter.wait(2.0, never)  # rolled back: no wake-up
        writer.join()
        writer = threading.Thread(target=commit_later, args=(False,))
        writer.start()
        assert waiter.wait(60.0, never)  # committed: woken, not timed out
        writer.join()
    finally:
        waiter.close()


def test_the_worker_holding_the_sweep_lease_expires_pledges(app_ctx, frozen_clock) -> None:
    """The sweeps moved from the web's poller into the worker: a pledge whose validity
    ended, which no request touches, is expired by the worker and the change delivered."""
    from credit import clock
    from credit.pledges.models import Pledge
    from tests.parties import make_pledge, seed_templates

    parties = make_parties()
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    pledge_id = pledge.id
    frozen_clock.advance((pledge.valid_until - clock.today()).days * 86400 + 2 * 86400)
    db.session.remove()
    engine = db.engine
    with without_after_commit_hooks(engine):
        # As `flask credit worker` runs it: the sweeps in a thread of their own.
        worker = Worker(
            engine, WorkerSettings(lease_seconds=3, poll_seconds=0.05), context=app_ctx.app_context
        )
        thread = _run_worker(app_ctx, worker)
        try:
            deadline = time.monotonic() + 30
            while True:
                db.session.remove()
                expired_at = db.session.get(Pledge, pledge_id).expired_at
                if expired_at is not None and changes.backlog(db.session, INDEXER) == 0:
                    break
                assert time.monotonic() < deadline, "the worker never swept the pledge"
                time.sleep(0.1)
        finally:
            worker.stop.set()
            thread.join(10)
    assert report()["sweep"]["holder"] is None  # released on stop
