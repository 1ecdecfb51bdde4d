"""The time-driven sweeps: changes no request makes, due because time passed.

A pledge's validity ends at midnight, a record's publicity window closes, a key-enterprise
listing period starts or ends, a serious-list listing comes into force or runs out, and a
rating computed before such a moment is stale. The
sweep records the events of each (so the consumers re-rate and re-index) and is idempotent:
the worker that holds the ``sweep`` lease runs it every ``CREDIT_WORKER_SWEEP_SECONDS``
(credit/worker.py), and ``flask credit sweep`` runs it once (cron, without a worker).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from credit.steps import Steps

#: The lease name under which one worker runs the sweeps.
LEASE_NAME = "sweep"


def sweep(
    stop: threading.Event | None = None,
    *,
    give_way: bool = False,
    on_step: Callable[[], None] | None = None,
) -> int:
    """Record the events of pledges whose validity ended, of records whose publicity
    window ended and of key-enterprise listings whose period started or ended, then
    re-rate enterprises whose rating time has changed (idempotent). Returns how many
    things changed. Commits in steps (``credit.steps``): ``stop`` set (the worker is
    shutting down), it returns after the step in hand and the next sweep goes on from
    there. ``give_way`` (the worker's sweep thread and ``flask credit sweep``, where the
    consumers run elsewhere; never where they run in the same thread, as in the web's
    poller): each step waits for the consumers to deliver the last one's events, so a
    change recorded during a long catch-up reaches the rating and search about as fast as
    on a quiet day. ``on_step``: called after each step commits."""
    from credit.extensions import db
    from credit.identity import SYSTEM
    from credit.keyfirms.service import record_due_listings
    from credit.pledges.service import expire_due_pledges
    from credit.ratings.service import sweep_stale_ratings
    from credit.uow import unit_of_work
    from credit.violations.service import end_due_publicity
    from credit.webhooks.moments import record_due_listing_moments

    steps = Steps(stop, give_way=db.engine if give_way else None, on_step=on_step)
    changed = 0
    steps_in_order = (
        expire_due_pledges,
        end_due_publicity,
        record_due_listings,
        record_due_listing_moments,
    )
    for step in steps_in_order:
        while size := steps.size():
            with unit_of_work() as uow:
                done = step(SYSTEM, uow, limit=size)
            steps.took(done)
            changed += done
            if done < size:
                break
    if steps.stopped:
        return changed
    return changed + sweep_stale_ratings(SYSTEM, steps)
