"""A near-miss search is a last resort, never a way to make search expensive: past
``NEAR_MISS_SECONDS`` it finds nothing and the backend goes on serving (issue 19).
tantivy cannot interrupt a search: the request stops waiting at the deadline and the
search ends on the backend's one near-miss thread."""

from __future__ import annotations

import threading
import time

import pytest

from search import tantivy_index
from search.backend import SearchQuery
from search.documents import ENTERPRISES
from search.queries import search
from search.tantivy_index import TantivyBackend
from search.variants import one_off
from tests.search.conftest import load


def test_a_near_miss_search_past_its_budget_finds_nothing_and_search_goes_on(
    tmp_path, demo_records, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = TantivyBackend(str(tmp_path / "search-index"), "budget")
    backend.ensure_index(ENTERPRISES)
    load(backend, demo_records[:300])
    name = demo_records[0]["name"]
    typo = name[:4] + name[5:]
    query = SearchQuery(index=ENTERPRISES.name, text=typo, near_misses=one_off(typo))
    assert backend.search(ENTERPRISES, query).total >= 1  # within the budget: found

    monkeypatch.setattr(tantivy_index, "NEAR_MISS_SECONDS", 0.0)
    given_up = backend.search(ENTERPRISES, query)
    assert given_up.total == 0 and given_up.hits == []
    found = search(backend, "enterprise", typo)
    assert found.result.total == 0 and not found.near_miss  # as if nothing were near
    # every other search is served as before, and near misses again once time allows
    assert backend.search(ENTERPRISES, SearchQuery(index=ENTERPRISES.name, text=name)).total >= 1
    monkeypatch.setattr(tantivy_index, "NEAR_MISS_SECONDS", 5.0)
    assert backend.search(ENTERPRISES, query).total >= 1


def test_the_budget_is_cpu_time_so_a_busy_host_finds_the_same() -> None:
    """Waiting (for the disk, or for a core another process holds) spends no budget: only
    the search thread's own CPU time does."""
    seen: list[tuple[float, float]] = []

    def sleepy() -> None:
        time.sleep(0.2)  # the wall clock runs, the thread's CPU clock hardly does
        seen.append((timed.cpu_seconds(), time.thread_time()))
        while time.thread_time() - seen[0][1] < 0.05:  # now it works
            pass
        seen.append((timed.cpu_seconds(), time.thread_time()))

    timed = tantivy_index._Timed(sleepy)
    assert timed.cpu_seconds() == 0.0  # not started
    worker = threading.Thread(target=timed)
    worker.start()
    worker.join()
    (slept, cpu0), (worked, cpu1) = seen
    assert slept < 0.05  # 0.2 s of sleep cost (nearly) nothing
    assert abs((worked - slept) - (cpu1 - cpu0)) < 0.01  # the thread's own CPU clock
