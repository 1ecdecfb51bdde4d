"""The time-driven sweeps: changes no request makes, due because time passed.

A pledge's validity ends at midnight, a record's publicity window closes, a key-enterprise
listing period starts or ends, and a rating computed before such a moment is stale. The
sweep records the events of each (so the consumers re-rate and re-index) and is idempotent:
the worker that holds the ``sweep`` lease runs it every ``CREDIT_WORKER_SWEEP_SECONDS``
(credit/worker.py), and ``flask credit sweep`` runs it once (cron, without a worker).
"""

from __future__ import annotations

import threading
import time

#: The lease name under which one worker runs the sweeps.
LEASE_NAME = "sweep"

#: Most rows one sweep transaction changes. A catch-up (days offline, a bulk load, a
#: rules revision) can find a hundred thousand due at once; committed in steps, it never
#: holds the write lock for long (on SQLite, a write waiting more than
#: ``BUSY_TIMEOUT_SECONDS`` fails with 503), and the consumers deliver as it goes.
CHUNK = 500

#: Pause after each step, so writers queued behind it take the lock before the next step.
PAUSE_SECONDS = 0.01


def sweep(stop: threading.Event | None = None) -> int:
    """Record the events of pledges whose validity ended, of records whose publicity
    window ended and of key-enterprise listings whose period started or ended, then
    re-rate enterprises whose rating time has changed (idempotent). Returns how many
    things changed. ``stop`` set (the worker is shutting down): it returns after the step
    in hand; the next sweep goes on from there."""
    from credit.identity import SYSTEM
    from credit.keyfirms.service import record_due_listings
    from credit.pledges.service import expire_due_pledges
    from credit.ratings.service import sweep_stale_ratings
    from credit.uow import unit_of_work
    from credit.violations.service import end_due_publicity

    changed = 0
    for step in (expire_due_pledges, end_due_publicity, record_due_listings):
        while True:
            with unit_of_work() as uow:
                done = step(SYSTEM, uow, limit=CHUNK)
            changed += done
            if stop is not None and stop.is_set():
                return changed
            if done < CHUNK:
                break
            time.sleep(PAUSE_SECONDS)
    return changed + sweep_stale_ratings(SYSTEM, chunk=CHUNK, pause=PAUSE_SECONDS, stop=stop)
