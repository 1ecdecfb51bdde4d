"""The time-driven sweeps commit a long catch-up in steps, on the run's database (SQLite or
PostgreSQL with ``--db``): a hundred thousand pledges ending on one day must not hold the
write lock for minutes (other writers would fail with 503 after the busy timeout)."""

from __future__ import annotations

import sqlalchemy as sa

from credit import clock, sweeps
from credit.extensions import db
from credit.pledges import service as pledge_service
from credit.pledges.models import Pledge
from credit.ratings import service as rating_service
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


def test_a_long_catch_up_is_committed_in_steps(app_ctx, frozen_clock, monkeypatch) -> None:
    _five_pledges_ended(frozen_clock)

    steps: list[tuple[int, int]] = []  # (committed before the step, expired by the step)
    real = pledge_service.expire_due_pledges

    def observed(identity, uow, limit=None):
        before = _expired_elsewhere()
        done = real(identity, uow, limit=limit)
        steps.append((before, done))
        return done

    monkeypatch.setattr(sweeps, "CHUNK", 2)
    monkeypatch.setattr(pledge_service, "expire_due_pledges", observed)
    swept: list[int] = []
    real_ratings = rating_service.sweep_stale_ratings
    monkeypatch.setattr(
        rating_service,
        "sweep_stale_ratings",
        lambda identity, chunk, pause, stop: (
            swept.append(chunk) or real_ratings(identity, chunk, pause, stop)
        ),
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
    import threading

    _five_pledges_ended(frozen_clock)
    monkeypatch.setattr(sweeps, "CHUNK", 2)
    stop = threading.Event()
    stop.set()

    assert sweeps.sweep(stop) == 2
    assert _expired_elsewhere() == 2
    assert sweeps.sweep() >= 3  # the next sweep goes on
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

    assert rating_service.sweep_stale_ratings(SYSTEM, chunk=1) >= 1
    assert calls == [1] * stale
    db.session.remove()
    left = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CurrentRating)
        .where(CurrentRating.next_change <= clock.today())
    )
    assert left == 0
