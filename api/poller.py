"""A background thread that catches the change-feed consumers up at an interval, and runs
the time-driven sweeps (pledge expiry) every few minutes.

After-commit hooks give freshness; this covers what they cannot: writes by other processes
(CLI imports), recovery after the search service was down, and changes no request makes
(a pledge's validity ending at midnight).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from credit import changes
from credit.errors import Conflict, PreconditionFailed
from credit.extensions import db

log = logging.getLogger(__name__)


SWEEP_SECONDS = 600


def sweep() -> int:
    """Record the events of pledges whose validity ended, of records whose publicity
    window ended and of key-enterprise listings whose period started or ended, then
    re-rate enterprises whose rating time has changed (idempotent)."""
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


def start_poller(app: Flask, interval: float) -> threading.Thread:
    stop = threading.Event()

    def loop() -> None:
        last_sweep = float("-inf")  # sweep on the first round
        while not stop.wait(interval):
            with app.app_context():
                try:
                    if time.monotonic() - last_sweep >= SWEEP_SECONDS:
                        try:
                            sweep()
                            last_sweep = time.monotonic()  # only after it worked
                        except (PreconditionFailed, Conflict):
                            # Every worker sweeps at start; the one that lost the race
                            # tries again next round (the sweep is idempotent).
                            log.info("sweep met a concurrent sweep; retrying next round")
                        except Exception:
                            # Never in the way of the consumers below: retried a sweep
                            # interval later.
                            db.session.rollback()
                            last_sweep = time.monotonic()
                            log.exception("sweep failed; retrying in %d s", SWEEP_SECONDS)
                    changes.run_all(db.session)
                except Exception:
                    log.exception("change-feed poll failed")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="change-feed-poller", daemon=True)
    thread.start()
    app.extensions["credit.poller_stop"] = stop
    return thread
