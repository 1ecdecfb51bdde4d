"""The pace of a long batch job (a sweep's catch-up) committed in steps.

A catch-up can find a hundred thousand rows due at once (days offline, a bulk load, a
rules revision). Committed in one transaction it would hold the write lock for minutes;
committed in steps as fast as it can, it appends events far faster than the consumers
deliver them, and a regulator's violation recorded meanwhile waits behind the whole
catch-up in the ordered change feed before it reaches the rating and search.

``Steps`` sizes each step and says when it may start. Between steps it pauses (so writers
queued for the lock take it); when it *gives way* it also waits until the consumers have
delivered the previous step's events, and sizes the next step so that its events are
delivered within ``TARGET_SECONDS``: an event recorded during a catch-up then waits behind
about one step, not behind the whole backlog. The catch-up itself takes as long as before:
its pace was always the consumers' pace.

A backlog whose slowest consumer has not moved for ``STALL_SECONDS`` has nobody delivering
it (no worker running, a sweep from cron with nothing else up): the job stops waiting for it and
goes on at full pace, so it never hangs on consumers that are not there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from credit import changes

log = logging.getLogger(__name__)

#: Most rows one step changes.
CHUNK = 500
#: Fewest rows one step changes when giving way (a slow consumer still lets it progress).
MIN_CHUNK = 10
#: When giving way: the first step's rows, before the consumers' pace is known.
FIRST_CHUNK = 50
#: Pause after each step, so writers queued behind it take the lock before the next step.
PAUSE_SECONDS = 0.01
#: When giving way: how long one step's events may take the consumers to deliver.
TARGET_SECONDS = 0.15
#: When giving way: the backlog at or below which the next step may start (the consumers
#: keep up with the web's own writes, so the backlog under load is rarely zero).
BACKLOG_LIMIT = 20
#: When giving way: a slowest consumer that has not moved for this long is not running.
STALL_SECONDS = 3.0
#: How often the backlog is looked at while waiting.
POLL_SECONDS = 0.01


class Steps:
    """Sizes and paces the steps of one job. Use: ``while n := steps.size(): ...commit at
    most n rows...; steps.took(rows)``."""

    def __init__(
        self,
        stop: threading.Event | None = None,
        *,
        chunk: int | None = None,
        pause: float | None = None,
        give_way: Engine | None = None,
        on_step: Callable[[], None] | None = None,
    ) -> None:
        """``stop``: set, the job ends after the step in hand; ``chunk``: the most rows a
        step changes (default ``CHUNK``); ``pause``: after each step (default
        ``PAUSE_SECONDS``); ``give_way``: the database whose consumers the job waits for;
        ``on_step``: called after each step commits (the worker wakes its consumers at
        once rather than at its next poll)."""
        self.stop = stop
        self.chunk = max(1, CHUNK if chunk is None else chunk)
        self.pause = PAUSE_SECONDS if pause is None else pause
        self.engine = give_way
        self.on_step = on_step
        self._size = min(self.chunk, FIRST_CHUNK) if give_way is not None else self.chunk
        self._committed_at: float | None = None
        self._rows = 0

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def size(self) -> int:
        """How many rows the next step may change, after waiting its turn; 0 once the job
        is stopped."""
        if self._committed_at is not None and not self.stopped:
            if self.pause:
                self._sleep(self.pause)
            if self.engine is not None:
                self._give_way()
        return 0 if self.stopped else self._size

    def took(self, rows: int) -> None:
        """A step committed ``rows`` rows (its events are now in the feed)."""
        self._committed_at = time.monotonic()
        self._rows = rows
        if self.on_step is not None:
            self.on_step()

    def _give_way(self) -> None:
        """Wait until the consumers have delivered the last step's events; size the next
        step by how long that took."""
        assert self.engine is not None and self._committed_at is not None
        moved_at, position = time.monotonic(), None
        # One connection for the whole wait (no pool checkout and pre-ping every poll);
        # each look ends its transaction, so SQLite shows the consumers' latest commits.
        with self.engine.connect() as conn:
            while not self.stopped:
                slowest = changes.slowest_position(conn, self.engine)
                backlog = (
                    None
                    if slowest is None
                    else changes.count_after(conn, slowest, BACKLOG_LIMIT + 1)
                )
                conn.rollback()
                now = time.monotonic()
                if backlog is None or backlog <= BACKLOG_LIMIT:
                    took = max(now - self._committed_at, POLL_SECONDS)
                    rate = max(self._rows, 1) / took
                    self._size = min(self.chunk, max(MIN_CHUNK, int(rate * TARGET_SECONDS)))
                    return
                if slowest != position:
                    moved_at, position = now, slowest
                elif now - moved_at > STALL_SECONDS:
                    log.info(
                        "steps: no consumer has delivered for %.0f s; the job goes on "
                        "without waiting for them",
                        STALL_SECONDS,
                    )
                    self.engine = None
                    self._size = self.chunk
                    return
                self._sleep(POLL_SECONDS)

    def _sleep(self, seconds: float) -> None:
        if self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)
