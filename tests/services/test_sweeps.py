"""The time-driven sweeps commit a long catch-up in steps, on the run's database (SQLite or
PostgreSQL with ``--db``): a hundred thousand pledges ending on one day must not hold the
write lock for minutes (other writers would fail with 503 after the busy timeout), nor put
a day's worth of events ahead of a regulator's violation recorded meanwhile (a sweep that
gives way waits for the consumers between steps)."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from credit import changes, clock, sweeps
from credit import steps as steps_module
from credit.extensions import db
from credit.pledges import service as pledge_service
from credit.pledges.models import Pledge
from credit.ratings import service as rating_service
from credit.steps import Steps
from tests.helpers import without_after_commit_hooks
from tests.parties import make_parties, make_pledge, seed_templates


def _expired_elsewhere() -> int:
    """Pledges whose end is recorded, as another connection sees them (committed only)."""
    with db.engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count()).select_from(Pledge).where(Pledge.expired_at.is_not(None))
        )


def _five_pledges_ended(frozen_clock) -> None:
    """Five published pledges of one firm, and the clock moved past the end of them all."""
    parties = make_parties()
    seed_templates()
    pledges = [make_pledge(parties.owner_uscc, publish=True) for _ in range(5)]
    last_day = max(p.valid_until for p in pledges)
    frozen_clock.advance(((last_day - clock.today()).days + 2) * 86400)
    db.session.remove()


def _observe_steps(monkeypatch, look) -> list[tuple[int, int]]:
    """Each step of the pledge sweep, as it runs: (``look()`` when it began, rows it did)."""
    seen: list[tuple[int, int]] = []
    real = pledge_service.expire_due_pledges

    def observed(identity, uow, limit=None):
        before = look()
        done = real(identity, uow, limit=limit)
        seen.append((before, done))
        return done

    monkeypatch.setattr(pledge_service, "expire_due_pledges", observed)
    return seen


def test_a_long_catch_up_is_committed_in_steps(app_ctx, frozen_clock, monkeypatch) -> None:
    _five_pledges_ended(frozen_clock)

    monkeypatch.setattr(steps_module, "CHUNK", 2)
    # (committed before the step, expired by the step)
    steps = _observe_steps(monkeypatch, _expired_elsewhere)
    swept: list[int] = []
    real_ratings = rating_service.sweep_stale_ratings
    monkeypatch.setattr(
        rating_service,
        "sweep_stale_ratings",
        lambda identity, steps: swept.append(steps.chunk) or real_ratings(identity, steps),
    )

    assert sweeps.sweep() >= 5
    # Three transactions of at most two pledges, each committed before the next began.
    assert steps == [(0, 2), (2, 2), (4, 1)]
    assert _expired_elsewhere() == 5
    assert swept == [2]  # the re-rating goes in the same steps
    assert sweeps.sweep() == 0  # idempotent


def test_a_stop_ends_a_sweep_after_the_step_in_hand(app_ctx, frozen_clock, monkeypatch) -> None:
    """The worker shutting down does not wait for a long catch-up: the sweep returns after
    the step in hand (committed), and the next sweep goes on from there."""
    _five_pledges_ended(frozen_clock)
    monkeypatch.setattr(steps_module, "CHUNK", 2)
    stop = threading.Event()
    real = pledge_service.expire_due_pledges

    def stopped_meanwhile(identity, uow, limit=None):
        stop.set()  # SIGTERM arrives during the first step
        return real(identity, uow, limit=limit)

    monkeypatch.setattr(pledge_service, "expire_due_pledges", stopped_meanwhile)
    assert sweeps.sweep(stop) == 2
    monkeypatch.setattr(pledge_service, "expire_due_pledges", real)
    assert sweeps.sweep(stop) == 0  # stopped before it began: it begins nothing
    assert _expired_elsewhere() == 2
    assert sweeps.sweep() >= 3  # the next sweep (after a restart) goes on
    assert _expired_elsewhere() == 5


def test_stale_ratings_are_swept_chunk_by_chunk(app_ctx, frozen_clock, monkeypatch) -> None:
    """Every stale firm is re-rated however the chunks fall (here one firm per chunk)."""
    from credit.identity import SYSTEM
    from credit.ratings.models import CurrentRating
    from tests.parties import make_violation

    parties = make_parties()
    make_violation(parties, days_ago=3)  # its weight decays: time alone moves the score
    make_pledge(parties.other_uscc, publish=True)  # it ends: time alone moves the score
    db.session.remove()
    last = db.session.scalar(sa.select(sa.func.max(CurrentRating.next_change)))
    frozen_clock.advance((last - clock.today()).days * 86400)
    stale = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CurrentRating)
        .where(CurrentRating.next_change <= clock.today())
    )
    assert stale >= 2
    calls: list[int] = []
    real = rating_service._sweep
    monkeypatch.setattr(
        rating_service, "_sweep", lambda session, ids: calls.append(len(ids)) or real(session, ids)
    )

    assert rating_service.sweep_stale_ratings(SYSTEM, Steps(chunk=1, pause=0)) >= 1
    assert calls == [1] * stale
    db.session.remove()
    left = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CurrentRating)
        .where(CurrentRating.next_change <= clock.today())
    )
    assert left == 0


def _backlog_elsewhere() -> int:
    """Events the slowest consumer has not delivered, as another connection sees them."""
    with db.engine.connect() as conn:
        return changes.count_after(conn, changes.slowest_position(conn, db.engine), 1000)


@pytest.fixture
def consumers_elsewhere(app_ctx):
    """As a web process beside a worker: commits run no consumer (a test starts one)."""
    engine = db.engine
    changes.run_all(db.session, raise_errors=True)  # the setup's own events
    db.session.remove()
    with without_after_commit_hooks(engine):
        yield


def _deliver_until(app, stop: threading.Event) -> threading.Thread:
    """A worker's consumers, in a thread: deliver whatever is committed, every 20 ms."""

    def loop() -> None:
        with app.app_context():
            while not stop.is_set():
                changes.run_all(db.session)
                db.session.remove()
                stop.wait(0.02)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_a_sweep_giving_way_starts_each_step_once_the_last_is_delivered(
    app_ctx, frozen_clock, monkeypatch, consumers_elsewhere
) -> None:
    """A violation recorded during a long catch-up waits behind about one step of events,
    not behind the whole catch-up: each step starts only once the consumers delivered the
    last one's events."""
    _five_pledges_ended(frozen_clock)
    changes.run_all(db.session, raise_errors=True)
    db.session.remove()
    monkeypatch.setattr(steps_module, "CHUNK", 2)
    monkeypatch.setattr(steps_module, "BACKLOG_LIMIT", 0)
    # (undelivered events when the step began, its rows)
    seen = _observe_steps(monkeypatch, _backlog_elsewhere)
    stop = threading.Event()
    consumer = _deliver_until(app_ctx, stop)
    try:
        assert sweeps.sweep(give_way=True) >= 5
    finally:
        stop.set()
        consumer.join(10)
    assert seen == [(0, 2), (0, 2), (0, 1)]
    assert _expired_elsewhere() == 5


def test_a_sweep_does_not_wait_for_consumers_that_do_not_run(
    app_ctx, frozen_clock, monkeypatch, consumers_elsewhere, caplog
) -> None:
    """No worker delivers (a sweep from cron with nothing else up): once the slowest
    consumer has not moved for STALL_SECONDS, the sweep goes on at full pace and ends."""
    _five_pledges_ended(frozen_clock)
    monkeypatch.setattr(steps_module, "CHUNK", 2)
    monkeypatch.setattr(steps_module, "BACKLOG_LIMIT", 0)
    monkeypatch.setattr(steps_module, "STALL_SECONDS", 0.2)
    with caplog.at_level(logging.INFO, logger="credit.steps"):
        assert sweeps.sweep(give_way=True) >= 5
    assert _expired_elsewhere() == 5
    assert _backlog_elsewhere() > 0  # nobody delivered: the sweep did not wait for it
    assert sum("no consumer has delivered" in r.getMessage() for r in caplog.records) == 1


def test_a_stop_ends_a_sweep_that_waits_for_the_consumers(
    app_ctx, frozen_clock, monkeypatch, consumers_elsewhere
) -> None:
    """The worker shutting down while its sweep waits for the consumers: the sweep
    returns at once with the steps it committed."""
    _five_pledges_ended(frozen_clock)
    monkeypatch.setattr(steps_module, "CHUNK", 2)
    monkeypatch.setattr(steps_module, "BACKLOG_LIMIT", 0)
    monkeypatch.setattr(steps_module, "STALL_SECONDS", 600)  # only the stop can end it
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    try:
        assert sweeps.sweep(stop, give_way=True) == 2
    finally:
        timer.cancel()
    assert _expired_elsewhere() == 2
