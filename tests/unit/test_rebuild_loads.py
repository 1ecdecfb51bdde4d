"""A rebuild's loads (``search.indexer._Sender``): how many run at once, and what a
failed one does. The backends' own rebuilds are tested against the real engines in
tests/search and tests/services; this is the bookkeeping between them."""

from __future__ import annotations

import threading
import time

import pytest

from search.documents import ENTERPRISES
from search.indexer import _Sender


class _Loads:
    """Records each load and the most running at once; the load numbered ``fail`` raises."""

    def __init__(self, streams: int, fail: int | None = None) -> None:
        self.load_streams = streams
        self.fail = fail
        self.done: list[int] = []
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def load(self, spec, target, rows: int) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        if rows == self.fail:
            raise RuntimeError(f"load {rows} failed")
        with self.lock:
            self.done.append(rows)
        return 1


@pytest.mark.parametrize("streams", [1, 2, 3])
def test_every_load_runs_and_no_more_than_the_backend_takes_at_once(streams: int) -> None:
    backend = _Loads(streams)
    with _Sender(backend, ENTERPRISES, "target") as send:
        for i in range(10):
            send(i)
    assert sorted(backend.done) == list(range(10))
    assert backend.running == 0  # every load ended before the block did
    assert backend.most == streams


def test_a_failed_load_fails_the_rebuild_after_the_others_end() -> None:
    backend = _Loads(2, fail=3)
    with (
        pytest.raises(RuntimeError, match="load 3 failed"),
        _Sender(backend, ENTERPRISES, "target") as send,
    ):
        for i in range(10):
            send(i)
    assert backend.running == 0
    assert 3 not in backend.done
    assert len(backend.done) < 9  # it stopped sending once the failure was seen


def test_the_rebuilds_own_error_wins() -> None:
    backend = _Loads(2, fail=0)
    with pytest.raises(KeyError), _Sender(backend, ENTERPRISES, "target") as send:
        send(0)
        raise KeyError("builder failed")
    assert backend.running == 0
