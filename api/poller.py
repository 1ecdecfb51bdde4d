"""A background thread that catches the change-feed consumers up at an interval.

After-commit hooks give freshness; this covers what they cannot: writes by other processes
(CLI imports) and recovery after the search service was down.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from credit import changes
from credit.extensions import db

log = logging.getLogger(__name__)


def start_poller(app: Flask, interval: float) -> threading.Thread:
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            with app.app_context():
                try:
                    changes.run_all(db.session)
                except Exception:
                    log.exception("change-feed poll failed")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="change-feed-poller", daemon=True)
    thread.start()
    app.extensions["credit.poller_stop"] = stop
    return thread
