"""The time-driven sweeps: changes no request makes, due because time passed.

A pledge's validity ends at midnight, a record's publicity window closes, a key-enterprise
listing period starts or ends, and a rating computed before such a moment is stale. The
sweep records the events of each (so the consumers re-rate and re-index) and is idempotent:
the worker that holds the ``sweep`` lease runs it every ``CREDIT_WORKER_SWEEP_SECONDS``
(credit/worker.py), and ``flask credit sweep`` runs it once (cron, without a worker).
"""

from __future__ import annotations

#: The lease name under which one worker runs the sweeps.
LEASE_NAME = "sweep"


def sweep() -> int:
    """Record the events of pledges whose validity ended, of records whose publicity
    window ended and of key-enterprise listings whose period started or ended, then
    re-rate enterprises whose rating time has changed (idempotent). Returns how many
    things changed."""
    from credit.identity import SYSTEM
    from credit.keyfirms.service import record_due_listings
    from credit.pledges.service import expire_due_pledges
    from credit.ratings.service import sweep_stale_ratings
    from credit.uow import unit_of_work
    from credit.violations.service import end_due_publicity

    with unit_of_work() as uow:
        changed = expire_due_pledges(SYSTEM, uow) + end_due_publicity(SYSTEM, uow)
        changed += record_due_listings(SYSTEM, uow)
    return changed + sweep_stale_ratings(SYSTEM)
