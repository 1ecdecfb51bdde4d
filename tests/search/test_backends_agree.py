"""Both backends agree on a fixed query set over demo data, and two-character fragments
find every enterprise whose name contains them."""

from __future__ import annotations

import pytest

from search.backend import SearchBackend
from search.documents import ENTERPRISES, enterprise_document
from search.queries import search, search_enterprises
from tests.search.conftest import load, make_backend, transient_enterprise

FIXED_QUERIES = [
    ("苏州", {}),
    ("南京", {}),
    ("有限", {}),
    ("食品", {}),
    ("服装店", {}),
    ("旗舰店", {}),
    ("专业合作社", {}),
    ("电子 有限公司", {}),
    ("科技", {"city": "320100"}),
    ("商贸", {"industry": "general"}),
    ("", {"city": "321300"}),
    ("华", {}),
    ("江南", {}),
    ("淘宝", {}),
    ("官方商城", {}),
    ("不存在的名字", {}),
]


@pytest.fixture(scope="module")
def pair(request: pytest.FixtureRequest, tmp_path_factory, demo_records: list[dict]):
    tmp = tmp_path_factory.mktemp("agree")
    embedded = make_backend("embedded", request, tmp)
    elastic = make_backend("elasticsearch", request, tmp)
    for b in (embedded, elastic):
        b.ensure_index(ENTERPRISES)
        load(b, demo_records)
    yield embedded, elastic
    for b in (embedded, elastic):
        b.drop(ENTERPRISES)


def _all(backend: SearchBackend, q: str, filters: dict) -> tuple[int, set[str]]:
    found: set[str] = set()
    page = 1
    while True:
        r = search_enterprises(backend, q, page=page, size=100, **filters)
        found |= {h.source["uscc"] for h in r.hits}
        if len(r.hits) < 100:
            return r.total, found
        page += 1


@pytest.mark.parametrize(("q", "filters"), FIXED_QUERIES)
def test_backends_agree(pair, q: str, filters: dict) -> None:
    embedded, elastic = pair
    total_s, hits_s = _all(elastic, q, filters)
    total_e, hits_e = _all(embedded, q, filters)
    assert total_e == total_s
    assert hits_e == hits_s
    assert len(hits_e) == total_e
    r_s = search_enterprises(elastic, q, **filters)
    assert search_enterprises(embedded, q, **filters).facets == r_s.facets


def test_exact_name_first_on_both(pair, demo_records: list[dict]) -> None:
    for rec in demo_records[:20]:
        for backend in pair:
            r = search_enterprises(backend, rec["name"])
            assert r.hits[0].source["uscc"] == rec["uscc"], backend.name


@pytest.mark.parametrize("which", ["embedded", "elasticsearch"])
def test_two_character_fragment_finds_every_match(
    pair, demo_records: list[dict], which: str
) -> None:
    backend = {b.name: b for b in pair}[which]
    # Trade-name fragments: two characters taken from inside real names.
    fragments = sorted({r["name"][3:5] for r in demo_records[:40]})
    for frag in fragments:
        _, found = _all(backend, frag, {})
        expected = {r["uscc"] for r in demo_records if frag in r["name"]}
        assert expected <= found, frag
        # Nothing matches without the fragment somewhere public and searchable: a name,
        # a shop, or where the firm is and what it trades in (太仓 is a district).
        by_code = {r["uscc"]: r for r in demo_records}
        for code in found:
            rec = by_code[code]
            place = enterprise_document(transient_enterprise(rec)).source["t_place"]
            texts = [
                rec["name"],
                *rec["former_names"],
                *(s["shop_name"] for s in rec["shops"]),
                *place,
            ]
            assert any(frag in t for t in texts), (frag, rec["name"])


def _rank_at_most(monkeypatch, limit: int) -> None:
    """Both backends list more than ``limit`` matches exact names first, then by code."""
    import search.elastic
    import search.tantivy_index

    monkeypatch.setattr(search.tantivy_index, "RANK_LIMIT", limit)
    monkeypatch.setattr(search.elastic, "RANK_LIMIT", limit)


def _pages(backend: SearchBackend, q: str, filters: dict, size: int) -> list[str]:
    """Every match's code in the order the pages list them."""
    out: list[str] = []
    page = 1
    while True:
        r = search_enterprises(backend, q, page=page, size=size, **filters)
        out += [h.source["uscc"] for h in r.hits]
        if len(r.hits) < size:
            return out
        page += 1


def _by_cursor(backend: SearchBackend, q: str, size: int) -> list[str]:
    """Every match's code, each page continuing after the last hit's sort values."""
    out: list[str] = []
    after = None
    while True:
        r = search(backend, "enterprise", q, size=size, after=after).result
        out += [h.source["uscc"] for h in r.hits]
        if len(r.hits) < size:
            return out
        after = r.hits[-1].sort


@pytest.mark.parametrize(("q", "filters"), FIXED_QUERIES)
def test_backends_agree_when_results_are_too_many_to_rank(
    pair, q: str, filters: dict, monkeypatch
) -> None:
    """Past RANK_LIMIT matches both backends list the exact names first, then the rest by
    code, instead of scoring them all: the same order page by page (pages of 7 cross
    every boundary), the same total and facets."""
    _rank_at_most(monkeypatch, 5)
    embedded, elastic = pair
    assert _all(embedded, q, filters) == _all(elastic, q, filters)
    order = _pages(elastic, q, filters, 7)
    assert _pages(embedded, q, filters, 7) == order
    if len(order) > 5:  # too many to rank: the exact names, then code order
        exact = [c for c in order if c in _exact_codes(elastic, q)]
        assert order == exact + sorted(c for c in order if c not in exact)
    assert (
        search_enterprises(embedded, q, **filters).facets
        == search_enterprises(elastic, q, **filters).facets
    )


def _exact_codes(backend: SearchBackend, q: str) -> set[str]:
    from search.backend import fold

    wanted = fold(q.strip())
    return {
        h.source["uscc"]
        for h in search_enterprises(backend, q, size=100).hits
        if fold(h.source["name"]) == wanted
    }


@pytest.mark.parametrize("limit", [5, 20_000])
@pytest.mark.parametrize("q", ["有限", "科技", "电子 有限公司", "华"])
def test_a_cursor_walks_the_order_the_pages_list(pair, q: str, limit: int, monkeypatch) -> None:
    """On both backends, ranked or too many to rank, continuing after each page's last
    hit lists every match once, in the order the numbered pages list them."""
    _rank_at_most(monkeypatch, limit)
    for backend in pair:
        order = _pages(backend, q, {}, 6)
        assert len(order) == len(set(order)) > 6
        assert _by_cursor(backend, q, 6) == order, backend.name


def test_exact_name_first_when_results_are_too_many_to_rank(
    pair, demo_records, monkeypatch
) -> None:
    """With every search past the limit, a firm's own name still finds it first, on
    the first page only, and the second page is the same on both backends (Elasticsearch
    asks the rest again there, starting after the exact names)."""
    _rank_at_most(monkeypatch, 0)
    for rec in demo_records[:10]:
        for backend in pair:
            r = search_enterprises(backend, rec["name"])
            assert r.hits[0].source["uscc"] == rec["uscc"], backend.name
        seconds = [
            [h.source["uscc"] for h in search_enterprises(b, rec["name"], page=2, size=1).hits]
            for b in pair
        ]
        assert seconds[0] == seconds[1]
        assert rec["uscc"] not in seconds[0]


def test_a_search_past_the_limit_is_ranked_again_when_it_no_longer_is(pair, monkeypatch) -> None:
    """Elasticsearch remembers which searches matched too many to rank and sends them
    straight to that plan; its count decides, so once the same search is under the limit
    again it is ranked as before (here the limit moves instead of the matches)."""
    elastic = pair[1]
    _rank_at_most(monkeypatch, 20_000)
    ranked = _pages(elastic, "有限", {}, 7)
    _rank_at_most(monkeypatch, 5)
    assert _pages(elastic, "有限", {}, 7) == _pages(pair[0], "有限", {}, 7) != ranked
    _rank_at_most(monkeypatch, 20_000)
    assert _pages(elastic, "有限", {}, 7) == ranked
