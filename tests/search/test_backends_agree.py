"""Both backends agree on a fixed query set over demo data, and two-character fragments
find every enterprise whose name contains them."""

from __future__ import annotations

import pytest

from search.backend import SearchBackend
from search.documents import ENTERPRISES, enterprise_document
from search.queries import search_enterprises
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


@pytest.mark.parametrize(("q", "filters"), FIXED_QUERIES)
def test_backends_agree_when_results_are_too_many_to_rank(
    pair, q: str, filters: dict, monkeypatch
) -> None:
    """The embedded backend lists very broad matches in code order instead of scoring
    them all; the set, the total and the facets must still be Elasticsearch's."""
    import search.tantivy_index

    monkeypatch.setattr(search.tantivy_index, "RANK_LIMIT", 5)
    embedded, elastic = pair
    assert _all(embedded, q, filters) == _all(elastic, q, filters)
    assert (
        search_enterprises(embedded, q, **filters).facets
        == search_enterprises(elastic, q, **filters).facets
    )


def test_exact_name_first_when_results_are_too_many_to_rank(
    pair, demo_records, monkeypatch
) -> None:
    import search.tantivy_index

    monkeypatch.setattr(search.tantivy_index, "RANK_LIMIT", 0)
    embedded = pair[0]
    for rec in demo_records[:10]:
        r = search_enterprises(embedded, rec["name"])
        assert r.hits[0].source["uscc"] == rec["uscc"]
        second = search_enterprises(embedded, rec["name"], page=2, size=1)
        assert all(h.source["uscc"] != rec["uscc"] for h in second.hits)
