"""A near-miss search is a last resort, never a way to make search expensive: past
``NEAR_MISS_SECONDS`` the embedded backend interrupts it (SQLite's progress handler; on
tantivy the request stops waiting for it) and it finds nothing, and the backend goes on
serving (issue 19)."""

from __future__ import annotations

import pytest

from search import embedded
from search.backend import SearchQuery
from search.documents import ENTERPRISES
from search.embedded import EmbeddedBackend
from search.queries import search
from search.variants import one_off
from tests.search.conftest import load


def test_a_near_miss_search_past_its_budget_finds_nothing_and_search_goes_on(
    tmp_path, demo_records, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = EmbeddedBackend(str(tmp_path / "search.db"), "budget", cache_size=0)
    backend.ensure_index(ENTERPRISES)
    load(backend, demo_records[:300])
    name = demo_records[0]["name"]
    typo = name[:4] + name[5:]
    query = SearchQuery(index=ENTERPRISES.name, text=typo, near_misses=one_off(typo))
    assert backend.search(ENTERPRISES, query).total >= 1  # within the budget: found

    monkeypatch.setattr(embedded, "NEAR_MISS_SECONDS", 0.0)
    monkeypatch.setattr(embedded, "PROGRESS_STEPS", 1)  # a small index is quick
    given_up = backend.search(ENTERPRISES, query)
    assert given_up.total == 0 and given_up.hits == []
    found = search(backend, "enterprise", typo)
    assert found.result.total == 0 and not found.near_miss  # as if nothing were near
    # the connection is usable and serves every other search as before
    assert backend.search(ENTERPRISES, SearchQuery(index=ENTERPRISES.name, text=name)).total >= 1
    monkeypatch.setattr(embedded, "NEAR_MISS_SECONDS", 5.0)
    assert backend.search(ENTERPRISES, query).total >= 1


def test_tantivy_gives_up_a_near_miss_search_at_its_deadline_and_serves_on(
    tmp_path, demo_records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tantivy cannot interrupt a search: the request stops waiting at the deadline (the
    search ends on the backend's one near-miss thread) and finds nothing."""
    from search import tantivy_index
    from search.tantivy_index import TantivyBackend

    backend = TantivyBackend(str(tmp_path / "tantivy"), "budget")
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
