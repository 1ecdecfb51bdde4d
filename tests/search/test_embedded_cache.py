"""The embedded backend's result cache is exact: any committed change to an index, made by
this process or another one (another gunicorn worker, the CLI), is seen by the very next
search, and an unchanged index serves the result it already computed."""

from __future__ import annotations

import pytest

from search.backend import Document, SearchQuery
from search.documents import ENTERPRISES, enterprise_document
from search.embedded import EmbeddedBackend
from tests.search.conftest import transient_enterprise
from tests.search.test_backend_contract import RECORDS

FACETS = ("city_code", "industry")


def _query(text: str, **kw) -> SearchQuery:
    return SearchQuery(index=ENTERPRISES.name, text=text, facets=FACETS, **kw)


def _doc(rec: dict, version: int = 1) -> Document:
    return enterprise_document(transient_enterprise(rec, version))


@pytest.fixture
def pair(tmp_path) -> tuple[EmbeddedBackend, EmbeddedBackend]:
    """Two backends on one file, each with its own connection and cache: two workers."""
    path = str(tmp_path / "search.db")
    reader, writer = EmbeddedBackend(path, "cache"), EmbeddedBackend(path, "cache")
    reader.ensure_index(ENTERPRISES)
    writer.write(ENTERPRISES, [_doc(r) for r in RECORDS])
    return reader, writer


def test_an_unchanged_index_serves_the_result_it_computed(pair) -> None:
    reader, _ = pair
    first = reader.search(ENTERPRISES, _query("苏州"))
    assert first.total == 2 and not first.cached
    again = reader.search(ENTERPRISES, _query("苏州"))
    assert again.cached and again == first and again.hits is first.hits
    assert not reader.search(ENTERPRISES, _query("苏州", sort="score")).cached


def test_without_a_cache_every_search_is_computed(tmp_path) -> None:
    b = EmbeddedBackend(str(tmp_path / "s.db"), "nocache", cache_size=0)
    b.write(ENTERPRISES, [_doc(r) for r in RECORDS])
    first = b.search(ENTERPRISES, _query("苏州"))
    again = b.search(ENTERPRISES, _query("苏州"))
    assert again is not first and again == first


def test_a_write_by_another_worker_is_seen_by_the_next_search(pair) -> None:
    reader, writer = pair
    assert reader.search(ENTERPRISES, _query("宁远")).total == 1
    new = {
        **RECORDS[1],
        "uscc": "91320505MA1WWWWWWW",
        "name": "宁远数码有限公司",
        "city_code": "320100",
        "industry": "apparel",
    }
    writer.write(ENTERPRISES, [_doc(new)])
    after = reader.search(ENTERPRISES, _query("宁远"))
    assert after.total == 2
    assert dict(after.facets["city_code"]) == {"320100": 1, "320500": 1}


def test_an_update_and_a_delete_by_another_worker_are_seen(pair) -> None:
    reader, writer = pair
    assert [h.source["name"] for h in reader.search(ENTERPRISES, _query("王记")).hits] == [
        "苏州市姑苏区王记服装店"
    ]
    writer.write(ENTERPRISES, [_doc({**RECORDS[2], "name": "苏州市姑苏区王记鞋店"}, 2)])
    assert [h.source["name"] for h in reader.search(ENTERPRISES, _query("王记")).hits] == [
        "苏州市姑苏区王记鞋店"
    ]
    writer.delete(ENTERPRISES, [(_doc(RECORDS[2]).id, 3)])
    assert reader.search(ENTERPRISES, _query("王记")).total == 0


def test_a_rebuild_by_another_process_is_seen_at_the_swap(pair) -> None:
    reader, writer = pair
    assert reader.search(ENTERPRISES, _query("苏州")).total == 2
    target = writer.begin_rebuild(ENTERPRISES)
    writer.write(ENTERPRISES, [_doc(RECORDS[0]), _doc(RECORDS[1])], target=target)
    assert reader.search(ENTERPRISES, _query("苏州")).total == 2  # still the live one
    writer.finish_rebuild(ENTERPRISES, target)
    assert reader.search(ENTERPRISES, _query("苏州")).total == 1


def test_a_dropped_and_remade_index_starts_empty(pair) -> None:
    reader, writer = pair
    assert reader.search(ENTERPRISES, _query("苏州")).total == 2
    writer.drop(ENTERPRISES)
    writer.ensure_index(ENTERPRISES)
    assert reader.search(ENTERPRISES, _query("苏州")).total == 0


def test_a_search_one_worker_answered_is_a_hit_in_another(pair) -> None:
    """The workers share their results through a file beside the index."""
    reader, writer = pair
    computed = writer.search(ENTERPRISES, _query("苏州", sort="score"))
    assert not computed.cached
    shared = reader.search(ENTERPRISES, _query("苏州", sort="score"))
    assert shared.cached and shared == computed
    assert [h.sort for h in shared.hits] == [h.sort for h in computed.hits]


def test_an_unreadable_shared_file_is_only_a_miss(tmp_path) -> None:
    path = tmp_path / "search.db"
    (tmp_path / "search.db-results").write_bytes(b"not a database" * 100)
    b = EmbeddedBackend(str(path), "broken")
    b.write(ENTERPRISES, [_doc(r) for r in RECORDS])
    assert b.search(ENTERPRISES, _query("苏州")).total == 2
    assert b.search(ENTERPRISES, _query("苏州")).cached  # the process cache still works
