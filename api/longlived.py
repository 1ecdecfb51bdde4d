"""Tuning of a long-running server process: the garbage collector and the GIL.

**The collector.** Keep it away from what a long-running process loads at start.

A web worker holds about 200,000 container objects once the application is loaded
(modules, the app, SQLAlchemy's mappers and compiled statements, marshmallow schemas).
Python's oldest generation is collected when enough new objects have survived to reach
it, and each such collection walks every one of them while holding the GIL: measured on
a web worker under the write mix, 100 to 280 ms of every thread of the process stopped,
a few times per thousand requests, which was most of the writes' p99. ``gc.freeze()``
moves everything alive at that moment into a permanent generation the collector never
walks; what requests create is still collected as before.

Called once per process after start-up: in each gunicorn worker (``post_worker_init``
in deploy/gunicorn.conf.py) and in ``credit worker``. Not in tests or one-off commands,
where the objects are not long-lived.

**The GIL's switch interval.** A gunicorn worker runs several request threads, and a
write waits on the database six or seven times. Each time its answer comes back, the
thread must take the GIL back from whichever thread is running Python, which keeps it for
up to ``sys.getswitchinterval()`` (5 ms by default) unless it blocks first. Under load
those waits add up within one request. At 1 ms, measured at 200,000 firms on PostgreSQL
(2 workers x 4 threads, the machine otherwise quiet, runs in a row): 287 and 239 writes/s
closed loop with the default, 328 and 347 at 1 ms; offered 200 a second, p99 48.6 and
118 ms with the default, 26.7 and 55.9 ms at 1 ms. Only the web workers set it.
"""

from __future__ import annotations

import gc
import sys


def freeze_startup_objects() -> int:
    """Collect what start-up left as garbage, then exempt every object still alive from
    later collections. Returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


#: The web workers' GIL switch interval (seconds); GUNICORN_SWITCH_INTERVAL_MS overrides it.
WEB_SWITCH_INTERVAL = 0.001


def set_switch_interval(milliseconds: str | None) -> float:
    """Set the GIL switch interval from a setting in milliseconds (empty: the default
    above). Returns the interval in seconds now in force."""
    seconds = float(milliseconds) / 1000 if milliseconds else WEB_SWITCH_INTERVAL
    if not 0 < seconds <= 1:
        raise ValueError(f"switch interval out of range (0, 1000] ms: {milliseconds!r}")
    sys.setswitchinterval(seconds)
    return sys.getswitchinterval()
