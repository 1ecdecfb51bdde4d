"""The contract every search backend keeps; run on embedded and on Elasticsearch."""

from __future__ import annotations

import pytest

from search.backend import Document, SearchQuery, analyze, query_terms
from search.documents import ENTERPRISES, enterprise_document
from search.queries import search, search_enterprises
from tests.search.conftest import load, transient_enterprise

RECORDS = [
    {
        "uscc": "91320102MA1XXXXXXX",
        "name": "南京苏宁易购电子商务有限公司",
        "former_names": ["南京苏宁电器有限公司"],
        "entity_type": "enterprise",
        "operator_type": "platform",
        "city_code": "320100",
        "district_code": "320102",
        "industry": "general",
        "registration_date": None,
        "status": "active",
        "legal_representative": "张三明",
        "legal_representative_kind": "natural_person",
        "shops": [{"platform": "tmall", "shop_name": "苏宁易购官方旗舰店", "url": None}],
    },
    {
        "uscc": "91320505MA1YYYYYYY",
        "name": "苏州宁远食品有限公司",
        "former_names": [],
        "entity_type": "enterprise",
        "operator_type": "on_platform",
        "city_code": "320500",
        "district_code": "320505",
        "industry": "food",
        "registration_date": None,
        "status": "active",
        "legal_representative": "李四",
        "legal_representative_kind": "natural_person",
        "shops": [{"platform": "jd", "shop_name": "宁远零食铺", "url": None}],
    },
    {
        "uscc": "92320508MA1ZZZZZZZ",
        "name": "苏州市姑苏区王记服装店",
        "former_names": [],
        "entity_type": "individual_business",
        "operator_type": "on_platform",
        "city_code": "320500",
        "district_code": "320508",
        "industry": "apparel",
        "registration_date": None,
        "status": "active",
        "legal_representative": "王五",
        "legal_representative_kind": "natural_person",
        "shops": [{"platform": "taobao", "shop_name": "Wang Ji 3C数码小店", "url": None}],
    },
]


@pytest.fixture
def loaded(backend):
    load(backend, RECORDS)
    return backend


def ids(result) -> list[str]:
    return [h.source["uscc"] for h in result.hits]


def test_analyze_matches_standard_analyzer_shape() -> None:
    assert analyze("苏宁易购 3C数码 ABC-123") == [
        "苏",
        "宁",
        "易",
        "购",
        "3c",
        "数",
        "码",
        "abc",
        "123",
    ]
    assert query_terms("苏宁  食品") == [["苏", "宁"], ["食", "品"]]


def test_two_character_fragment_is_a_phrase(loaded) -> None:
    r = search_enterprises(loaded, "苏宁")
    # 苏宁 appears adjacent in the first name only; 苏州宁远 has 苏 and 宁 apart.
    assert ids(r) == ["91320102MA1XXXXXXX"]
    assert r.total == 1


def test_fragment_in_shop_and_former_names(loaded) -> None:
    assert ids(search_enterprises(loaded, "零食铺")) == ["91320505MA1YYYYYYY"]
    assert ids(search_enterprises(loaded, "苏宁电器")) == ["91320102MA1XXXXXXX"]
    assert ids(search_enterprises(loaded, "3c")) == ["92320508MA1ZZZZZZZ"]
    assert ids(search_enterprises(loaded, "wang ji")) == ["92320508MA1ZZZZZZZ"]


def test_every_term_must_match(loaded) -> None:
    assert ids(search_enterprises(loaded, "苏州 食品")) == ["91320505MA1YYYYYYY"]
    assert search_enterprises(loaded, "苏州 不存在").total == 0


def test_named_fields_match_only_when_named(loaded) -> None:
    """The pinyin fields are indexed like any text field but matched only by a query that
    names them (``SearchQuery.fields``); a plain query never reaches them."""
    pinyin = ("t_pinyin", "t_initials")

    def found(text: str, fields: tuple[str, ...] = ()) -> list[str]:
        query = SearchQuery(index=ENTERPRISES.name, text=text, fields=fields)
        return ids(loaded.search(ENTERPRISES, query))

    assert found("su-ning") == []
    assert found("su-ning", pinyin) == ["91320102MA1XXXXXXX"]
    assert found("s-z-n-y", pinyin) == ["91320505MA1YYYYYYY"]  # 苏州宁远: the initials
    assert found("wang-ji", pinyin) == ["92320508MA1ZZZZZZZ"]  # as said: 苏州王记, no 市 区
    assert found("苏宁", pinyin) == []  # the characters are in other fields
    assert found("苏宁", ("t_name",)) == ["91320102MA1XXXXXXX"]


def test_a_query_typed_in_pinyin_finds_the_firm_when_nothing_matches_as_typed(loaded) -> None:
    result = search_enterprises(loaded, "suzhouningyuan")
    assert ids(result) == ["91320505MA1YYYYYYY"]
    assert ids(search_enterprises(loaded, "szny")) == ["91320505MA1YYYYYYY"]
    # a word that matches as typed is never read as pinyin: Wang Ji 3C is a shop's name
    assert ids(search_enterprises(loaded, "wang ji")) == ["92320508MA1ZZZZZZZ"]


def test_near_misses_lie_at_most_one_token_apart_in_one_value(loaded) -> None:
    """A near miss is one phrase, or two whose matches lie at most one token apart (either
    order) in one value of one field: never across two values of a multi-valued field,
    never in two fields."""

    def found(*near: str) -> list[str]:
        query = SearchQuery(index=ENTERPRISES.name, text="x", near_misses=near)
        return ids(loaded.search(ENTERPRISES, query))

    assert found("苏州宁 食品") == ["91320505MA1YYYYYYY"]  # 远 between them
    assert found("苏州 宁远") == ["91320505MA1YYYYYYY"]  # adjacent
    assert found("宁远 苏州") == ["91320505MA1YYYYYYY"]  # either order
    assert found("苏州 食品") == []  # two tokens apart
    assert found("南京市 玄武") == []  # two values of t_place: 南京市, 玄武区
    assert found("易购 旗舰") == []  # name and shop: two fields
    assert sorted(found("苏州宁 食品", "王记服装")) == ["91320505MA1YYYYYYY", "92320508MA1ZZZZZZZ"]


def test_a_name_one_character_off_finds_the_firm(loaded) -> None:
    """When nothing matches as typed or in another form, the names one character off the
    query (wrong, missing or extra) are found, the closest first."""
    for typed in (
        "南京苏宁易够电子商务有限公司",  # 购 typed as 够
        "苏州宁食品有限公司",  # 远 missing
        "苏州宁远远食品有限公司",  # 远 typed twice
        "芬州宁远食品有限公司",  # the first character wrong
    ):
        found = search(loaded, "enterprise", typed)
        assert found.near_miss and found.searched_as is None, typed
        assert ids(found.result)[:1] == [
            "91320102MA1XXXXXXX" if "苏宁" in typed else "91320505MA1YYYYYYY"
        ], typed
    exact = search(loaded, "enterprise", "苏州宁远食品有限公司")
    assert not exact.near_miss and exact.result.total == 1
    assert search(loaded, "enterprise", "苏宁易够").near_miss  # four characters: the shortest
    assert search(loaded, "enterprise", "苏宁够").result.total == 0  # three: too loose to try
    assert search(loaded, "enterprise", "完全不同的名称").result.total == 0


def test_a_word_also_matches_as_its_other_phrases(loaded) -> None:
    """``also_as``: a query word matches where it or any of its other phrases does; the
    other words of the query must still match."""

    def found(text: str, also_as: dict[str, tuple[str, ...]]) -> list[str]:
        query = SearchQuery(index=ENTERPRISES.name, text=text, also_as=also_as)
        return sorted(ids(loaded.search(ENTERPRISES, query)))

    assert found("宁远", {}) == ["91320505MA1YYYYYYY"]
    assert found("宁远", {"宁远": ("王记",)}) == ["91320505MA1YYYYYYY", "92320508MA1ZZZZZZZ"]
    assert found("苏州 宁远", {"宁远": ("易购",)}) == ["91320505MA1YYYYYYY"]  # 苏州 still
    assert found("姑苏 宁远", {"宁远": ("易购",)}) == []
    assert found("零食", {"零食": ("食品饮料",)}) == ["91320505MA1YYYYYYY"]


def test_an_address_like_query_finds_the_trade_in_the_district(loaded) -> None:
    """City, district and trade words find the firms of that trade there, whatever their
    names say (t_place: the district and the industry's terms)."""
    assert ids(search_enterprises(loaded, "苏州 姑苏 服饰")) == ["92320508MA1ZZZZZZZ"]
    assert ids(search_enterprises(loaded, "南京 玄武 百货")) == ["91320102MA1XXXXXXX"]
    assert ids(search_enterprises(loaded, "苏州 零食")) == ["91320505MA1YYYYYYY"]
    assert search_enterprises(loaded, "苏州 姑苏 食品").total == 0
    assert ids(search_enterprises(loaded, "玄武")) == ["91320102MA1XXXXXXX"]  # no name says it


def test_a_name_that_says_the_trade_ranks_before_a_firm_only_in_that_trade(backend) -> None:
    only_there = {**RECORDS[1], "uscc": "91320505MA1WWWWWWW", "name": "苏州远方商行有限公司"}
    only_there["shops"] = []  # (its 宁远零食铺 says 零食 too)
    says_it = {**RECORDS[0], "uscc": "91320102MA1VVVVVVV", "name": "南京零食小铺有限公司"}
    load(backend, [only_there, says_it])
    assert ids(search_enterprises(backend, "零食")) == [says_it["uscc"], only_there["uscc"]]


def test_uscc_lookup_exact(loaded) -> None:
    assert ids(search_enterprises(loaded, "91320505ma1yyyyyyy")) == ["91320505MA1YYYYYYY"]
    assert search_enterprises(loaded, "91320505MA1YYYYYY0").total == 0


def test_exact_name_ranks_first(loaded) -> None:
    r = search_enterprises(loaded, "苏州宁远食品有限公司")
    assert ids(r)[0] == "91320505MA1YYYYYYY"


def test_filters_and_facets(loaded) -> None:
    r = search_enterprises(loaded, "苏州", city="320500")
    assert sorted(ids(r)) == ["91320505MA1YYYYYYY", "92320508MA1ZZZZZZZ"]
    facets = dict(r.facets["industry"])
    assert facets == {"food": 1, "apparel": 1}
    assert search_enterprises(loaded, "苏州", city="320500", industry="food").total == 1


def test_empty_query_browses_in_stable_order(loaded) -> None:
    r = search_enterprises(loaded, "")
    assert r.total == 3
    assert ids(r) == sorted(ids(r))
    assert dict(r.facets["city_code"]) == {"320500": 2, "320100": 1}


def test_punctuation_only_query_matches_nothing(loaded) -> None:
    assert search_enterprises(loaded, "——！").total == 0


def test_paging(loaded) -> None:
    first = search_enterprises(loaded, "", size=2, page=1)
    second = search_enterprises(loaded, "", size=2, page=2)
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert not set(ids(first)) & set(ids(second))


def test_masked_person_in_index(loaded) -> None:
    doc = loaded.get(ENTERPRISES, transient_enterprise(RECORDS[0]).id)
    assert doc.source["legal_representative"] == "张*明"
    assert "张三明" not in str(doc.source)


def test_versioned_writes_never_regress(backend) -> None:
    e = transient_enterprise(RECORDS[0], version=5)
    current = enterprise_document(e, version=e.version)
    backend.write(ENTERPRISES, [current])
    stale = Document(e.id, 4, {**current.source, "name": "旧名称"})
    result = backend.write(ENTERPRISES, [stale])
    assert result.skipped_stale == 1 and result.written == 0
    backend.refresh(ENTERPRISES)
    doc = backend.get(ENTERPRISES, e.id)
    assert doc.version == 5
    assert doc.source["name"] == RECORDS[0]["name"]
    # Same version again (a replay) is accepted and idempotent.
    assert backend.write(ENTERPRISES, [enterprise_document(e, version=e.version)]).written == 1
    assert backend.count(ENTERPRISES) == 1


def test_delete_and_late_stale_write(backend) -> None:
    e = transient_enterprise(RECORDS[1], version=2)
    backend.write(ENTERPRISES, [enterprise_document(e, version=e.version)])
    backend.delete(ENTERPRISES, [(e.id, 3)])
    backend.refresh(ENTERPRISES)
    assert backend.get(ENTERPRISES, e.id) is None
    assert backend.count(ENTERPRISES) == 0
    late = backend.write(ENTERPRISES, [enterprise_document(e, version=e.version)])  # version 2 < 3
    backend.refresh(ENTERPRISES)
    assert late.skipped_stale == 1
    assert backend.get(ENTERPRISES, e.id) is None
    assert search_enterprises(backend, "宁远").total == 0  # its text is gone too


def test_delete_of_unknown_document_is_fine(backend) -> None:
    backend.delete(ENTERPRISES, [("does-not-exist", 1)])
    assert backend.count(ENTERPRISES) == 0


def test_ensure_index_is_idempotent(backend) -> None:
    backend.ensure_index(ENTERPRISES)
    backend.ensure_index(ENTERPRISES)
    assert backend.ping()


def test_neutral_query_type_defaults() -> None:
    q = SearchQuery(index="enterprises")
    assert q.page == 1 and q.size == 20 and q.filters == {}


def test_a_visible_write_is_searchable_when_it_returns(backend) -> None:
    """What the indexer asks for a request's few changes: no wait for the next refresh."""
    e = transient_enterprise(RECORDS[0], version=7)
    backend.write(ENTERPRISES, [enterprise_document(e, version=e.version)], visible=True)
    hits = search_enterprises(backend, e.uscc).hits
    assert [h.id for h in hits] == [e.id]


def test_a_repeated_search_sees_every_change_in_between(backend) -> None:
    """Elasticsearch answers a repeated search from its shard request cache (the embedded
    backend keeps none); on both, a change in between is never hidden."""
    load(backend, RECORDS[:2])
    query = SearchQuery(index=ENTERPRISES.name, text="苏州", facets=("city_code",))
    first = backend.search(ENTERPRISES, query)
    assert first.total == 1 and backend.search(ENTERPRISES, query) == first
    third = transient_enterprise(RECORDS[2])
    backend.write(ENTERPRISES, [enterprise_document(third)], visible=True)
    assert backend.search(ENTERPRISES, query).total == 2
    backend.delete(ENTERPRISES, [(third.id, 2)])
    backend.refresh(ENTERPRISES)
    again = backend.search(ENTERPRISES, query)
    assert again.total == 1 and again.facets == first.facets
