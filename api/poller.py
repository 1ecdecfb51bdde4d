"""A background thread that catches the change-feed consumers up at an interval, and runs
the time-driven sweeps (credit/sweeps.py) every few minutes, inside one process.

Deployments run ``flask --app wsgi credit worker`` (credit/worker.py) instead, and web
processes run no consumer at all. This thread (``CREDIT_INDEXER_POLL_SECONDS`` > 0, off
by default) remains for tests and single-process experiments: it takes no lease, so it
must never run beside a worker.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from credit import changes
from credit.errors import Conflict, PreconditionFailed
from credit.extensions import db
from credit.sweeps import sweep

log = logging.getLogger(__name__)


SWEEP_SECONDS = 600


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
    app.extensions["credit.poller_thread"] = thread
    return thread


def stop_poller(app: Flask, timeout: float = 30) -> None:
    """Stop ``app``'s poller and wait for the round in hand to end (its consumers commit
    or roll back first), so nothing of it is still writing when the caller goes on."""
    app.extensions["credit.poller_stop"].set()
    app.extensions["credit.poller_thread"].join(timeout)
