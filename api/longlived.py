"""Keep the garbage collector away from what a long-running process loads at start.

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
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect what start-up left as garbage, then exempt every object still alive from
    later collections. Returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
