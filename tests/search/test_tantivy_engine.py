"""What the tantivy engine adds to the backend contract: processes that share one index
directory see each other's commits, swaps and drops at their next search (the counter file
every process maps), and a rebuild or a second writer never loses a write."""

from __future__ import annotations

import multiprocessing
import random
from dataclasses import replace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from credit import uscc
from credit.enterprises.models import new_id
from search import tantivy_index
from search.backend import Document, SearchQuery
from search.documents import ENTERPRISES, PLEDGES, VIOLATIONS
from search.tantivy_index import TantivyBackend


def _doc(n: int, version: int = 1, name: str = "苏州宁远食品有限公司") -> Document:
    return Document(
        id=f"e{n}",
        version=version,
        source={"uscc": f"9132050{n:011d}", "name_exact": name, "t_name": name},
    )


def _found(backend: TantivyBackend, text: str) -> set[str]:
    result = backend.search(ENTERPRISES, SearchQuery(index="enterprises", text=text, size=50))
    return {h.id for h in result.hits}


def _write_in_another_process(path: str, prefix: str, docs: list[Document]) -> None:
    TantivyBackend(path, prefix).write(ENTERPRISES, docs, visible=True)


def _run(target, *args) -> None:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    process.join(60)
    assert process.exitcode == 0


def test_a_write_by_another_process_is_searched_at_once(tmp_path) -> None:
    path = str(tmp_path / "engine")
    reader = TantivyBackend(path, "p1")
    reader.ensure_index(ENTERPRISES)
    assert _found(reader, "宁远") == set()  # the reader has the index open, empty
    _run(_write_in_another_process, path, "p1", [_doc(1), _doc(2, name="南京苏宁易购")])
    assert _found(reader, "宁远") == {"e1"}
    assert _found(reader, "苏宁") == {"e2"}


def test_a_swap_and_a_drop_elsewhere_are_seen(tmp_path) -> None:
    path = str(tmp_path / "engine")
    reader, writer = TantivyBackend(path, "p2"), TantivyBackend(path, "p2")
    writer.write(ENTERPRISES, [_doc(1)], visible=True)
    assert _found(reader, "宁远") == {"e1"}

    target = writer.begin_rebuild(ENTERPRISES)
    writer.write(ENTERPRISES, [_doc(3, name="无锡宁远服饰")], target=target)
    assert _found(reader, "宁远") == {"e1"}  # the old generation until the swap
    writer.finish_rebuild(ENTERPRISES, target)
    assert _found(reader, "宁远") == {"e3"}

    writer.drop(ENTERPRISES)
    assert _found(reader, "宁远") == set()
    writer.write(ENTERPRISES, [_doc(4)], visible=True)  # made again, under a new name
    assert _found(reader, "宁远") == {"e4"}
    assert reader.count(ENTERPRISES) == 1


def test_two_writers_lose_nothing_and_keep_the_newest_version(tmp_path) -> None:
    path = str(tmp_path / "engine")
    mine = TantivyBackend(path, "p3")
    mine.ensure_index(ENTERPRISES)
    others = [_doc(n, version=2) for n in range(100, 160)]
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_write_in_another_process, args=(path, "p3", others))
    process.start()
    for n in range(100, 160, 2):  # the same firms, older versions, meanwhile
        mine.write(ENTERPRISES, [_doc(n, version=1, name="旧名称")], visible=True)
    process.join(60)
    assert process.exitcode == 0
    versions = mine.versions(ENTERPRISES)
    assert len(versions) == 60
    assert set(versions.values()) == {2}  # an older version never overwrote a newer one
    assert _found(mine, "旧名") == set()


def test_a_rebuild_keeps_one_document_per_id_whatever_the_order(tmp_path) -> None:
    """A rebuild adds without a delete by id while ids rise (they cannot repeat then);
    an id that comes again, in the same batch or a later one, or out of order, still
    replaces the first copy."""
    backend = TantivyBackend(str(tmp_path / "engine"), "p5")
    target = backend.begin_rebuild(ENTERPRISES)
    backend.write(
        ENTERPRISES, [_doc(1), _doc(2), _doc(2, version=2, name="南京苏宁易购")], target=target
    )
    backend.write(ENTERPRISES, [_doc(5), _doc(1, version=3, name="无锡宁远服饰")], target=target)
    backend.write(ENTERPRISES, [_doc(3), _doc(5, version=4, name="常州金坛茶叶")], target=target)
    backend.finish_rebuild(ENTERPRISES, target)
    assert backend.versions(ENTERPRISES) == {"e1": 3, "e2": 2, "e3": 1, "e5": 4}
    assert backend.count(ENTERPRISES) == 4
    assert _found(backend, "苏宁") == {"e2"}
    assert _found(backend, "宁远") == {"e1", "e3"}  # e1 by its new name, e3 by the first
    assert _found(backend, "金坛") == {"e5"}


@pytest.mark.parametrize(("tie_fetch", "past_page"), [(1000, 32), (3, 32), (1, 0), (3, 0)])
def test_pages_in_score_date_and_code_order_agree_with_sorting_the_documents(
    tmp_path, monkeypatch, tie_fetch: int, past_page: int
) -> None:
    """Pages are cut from an order of numbers compared one after another (the value, then
    the code's 8-byte chunks), ties at a page's edges settled by the next number: every
    page, at every depth and size, is the slice of the documents sorted in Python. Codes
    share their first 8 and 16 characters, scores and dates repeat and some are absent,
    and the index has several segments, so every tie path is taken: a tie fetched whole
    (sorted by its values), and, with a small ``_TIE_FETCH``, one cut again and again
    (with no hits fetched past the page, a tie is cut at the page's own edge too)."""
    monkeypatch.setattr(tantivy_index, "_TIE_FETCH", tie_fetch)
    monkeypatch.setattr(tantivy_index, "_PAST_PAGE", past_page)
    rng = random.Random(19)
    docs = []
    for n in range(400):
        uscc = f"91320{rng.choice('15'):s}85{rng.choice('AB')}{rng.choice('CDE')}000{n:04d}XY"[:18]
        score = rng.choice([None, 600, 641, 641, 700, 755])
        date = rng.choice([None, "2020-01-01", "2023-06-30", "2023-06-30", "2024-12-31"])
        source = {"uscc": uscc, "name_exact": f"企业{n}", "t_name": f"企业{n}"}
        if score is not None:
            source["credit_score"] = score
        if date is not None:
            source["registration_date"] = date
        docs.append(Document(id=f"e{n}", version=1, source=source))
    backend = TantivyBackend(str(tmp_path / "engine"), "p6")
    for i in range(0, 400, 100):  # one commit each: several segments
        backend.write(ENTERPRISES, docs[i : i + 100], visible=True)

    def key(d: Document) -> str:
        return d.source["uscc"]

    expected = {
        "relevance": sorted(docs, key=key),
        "score": sorted(docs, key=lambda d: (-d.source.get("credit_score", -1), key(d))),
        "date": sorted(
            docs,
            key=lambda d: (
                -int(d.source.get("registration_date", "0000-00-00").replace("-", "")),
                key(d),
            ),
        ),
    }
    for sort, ordered in expected.items():
        for size in (1, 7, 20, 50):
            for page in range(1, 400 // size + 2):
                result = backend.search(
                    ENTERPRISES, SearchQuery(index="enterprises", sort=sort, size=size, page=page)
                )
                want = [d.id for d in ordered[(page - 1) * size : page * size]]
                assert [h.id for h in result.hits] == want, (sort, size, page)


@given(st.lists(st.text(alphabet=tantivy_index._KEY_ALPHABET, max_size=40), max_size=40))
def test_sort_key_numbers_keep_the_order_of_codes_and_ids(keys: list[str]) -> None:
    """Keys of the key alphabet (codes, UUIDs) up to 40 characters: the numbers order them
    as the strings are ordered, a key before every longer key it starts."""
    assert sorted(keys, key=tantivy_index._chunks) == sorted(keys)


@given(
    st.text(alphabet=tantivy_index._KEY_ALPHABET, max_size=50)
    | st.text(alphabet=tantivy_index._KEY_ALPHABET + "*+/=A中é\x00", max_size=50)
    | st.text(max_size=50)
)
def test_sort_key_numbers_read_in_c_are_the_numbers_of_each_character(key: str) -> None:
    """The numbers read through base64 are those of each character's rank in turn, for a
    key of the alphabet and for any other (a base64 digit, padding or a character outside
    the alphabet is never read as one of it)."""
    assert tantivy_index._chunks(key) == tantivy_index._chunks_of_any(key)


_TEXT_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.sampled_from(["", "苏州 零售", "南京市 鼓楼区", "1", "True", "ａｂ"])
    | st.text(max_size=12)
    | st.lists(st.sampled_from(["苏州", "", "鼓楼区", "1", "a b"]), max_size=3)
    | st.lists(st.none() | st.booleans() | st.integers(0, 1) | st.text(max_size=4), max_size=3)
)


@given(st.lists(st.tuples(st.sampled_from(["t_a", "t_b"]), _TEXT_VALUES), max_size=60))
@example([("t_a", v) for v in (1, True, 1.0, "1", [1], [True], [1.0], ["1"], "x", ["x"])])
def test_kept_tokens_and_pairs_are_those_of_each_value_analysed_again(seen: list) -> None:
    """Whatever a process sees in turn, repeated or not, of text or not (1 and True, a
    value and the list of it), each field's tokens and pairs are those of the value
    analysed afresh; a small ``SIZE`` so fields fill, are emptied and stop being kept."""
    memo = tantivy_index._TextMemo()
    memo.SIZE = 3
    for field, value in seen:
        assert memo.analysed(field, value) == tantivy_index._analysed(value), (field, value)


def test_a_field_of_new_values_stops_being_kept_and_one_seen_again_stays_bounded() -> None:
    """A field whose first ``SIZE`` values were mostly new (names) keeps nothing after
    them; one whose values come again (places) keeps at most ``SIZE`` of them."""
    memo = tantivy_index._TextMemo()
    memo.SIZE = 50
    places = [["苏州市", f"区{n % 40}", "零售业"] for n in range(2000)]
    for n, place in enumerate(places):
        memo.analysed("t_name", f"苏州第{n}商贸有限公司")
        assert memo.analysed("t_place", place) == tantivy_index._analysed(place)
    assert memo._kept["t_name"] is None
    assert 0 < len(memo._kept["t_place"]) <= 40
    for n in range(2000):  # more places than it keeps: emptied when full, never more
        for _ in range(3):
            memo.analysed("t_place", ["南京市", f"区{n}"])
        assert len(memo._kept["t_place"] or {}) <= memo.SIZE
    assert memo._kept["t_place"] is not None


def test_every_sort_key_is_written_in_the_key_alphabet() -> None:
    """The sort keys are codes and the records' UUIDs: characters the numbers rank
    exactly (a key with another character would only be ordered approximately)."""
    allowed = set(tantivy_index._KEY_ALPHABET)
    assert set(uscc.CHARSET) <= allowed
    assert all(set(new_id()) <= allowed for _ in range(100))
    assert {ENTERPRISES.sort_field, PLEDGES.sort_field, VIOLATIONS.sort_field} == {"uscc", "id"}


def _ranked_firms(tmp_path) -> TantivyBackend:
    """300 firms whose names hold 宁远 once, most of them tying on BM25 (the same name
    length), some with a longer or shorter name or 宁远 twice (other scores), one named
    exactly 宁远 and a few starting with it (the exact and prefix tiers); codes in random
    order, in several segments."""
    rng = random.Random(23)
    names = ["宁远"] + [f"宁远{n:03d}商贸" for n in range(5)]
    names += [rng.choice(["苏州宁远食品有限公司", "无锡宁远食品有限公司"]) for _ in range(240)]
    names += [
        rng.choice(["宁远宁远贸易公司", "南京宁远服饰", "常州金坛宁远茶叶有限责任公司"])
        for _ in range(54)
    ]
    codes = rng.sample(range(10**6), len(names))
    docs = [
        Document(
            id=f"e{n}",
            version=1,
            source={"uscc": f"91320{c:013d}", "name_exact": name, "t_name": name},
        )
        for n, (name, c) in enumerate(zip(names, codes, strict=True))
    ]
    backend = TantivyBackend(str(tmp_path / "engine"), "p7")
    for i in range(0, len(docs), 100):
        backend.write(ENTERPRISES, docs[i : i + 100], visible=True)
    return backend


def test_ranked_pages_and_cursors_order_every_tie_by_code(tmp_path) -> None:
    """Ranked by tier and BM25, ties by code: most matches tie on their score, so every
    page's edge cuts a tie of hundreds. Each page, at several sizes, and a walk by cursors
    give the same order, best first and each tie by code, with every match once."""
    backend = _ranked_firms(tmp_path)

    def page(size: int, page: int = 1, after: tuple | None = None):
        q = SearchQuery(index="enterprises", text="宁远", size=size, page=page, after=after)
        return backend.search(ENTERPRISES, q)

    whole = page(300).hits
    assert len(whole) == 300 and page(300).total == 300
    order = [(-h.score, h.source["uscc"]) for h in whole]
    assert order == sorted(order) and len(set(order)) == 300
    assert whole[0].source["name_exact"] == "宁远"  # the exact name, then the prefixes
    starts = [h.source["name_exact"].startswith("宁远") for h in whole[1:]]
    assert starts == sorted(starts, reverse=True) and sum(starts) > 5
    assert len({h.score for h in whole}) < 12  # large ties: the case this is about
    ids = [h.id for h in whole]
    for size in (1, 7, 20, 64):
        for n in range(1, 300 // size + 2):
            assert [h.id for h in page(size, n).hits] == ids[(n - 1) * size : n * size]
        walked, after = [], None
        while True:
            hits = page(size, after=after).hits
            if not hits:
                break
            walked += [h.id for h in hits]
            after = hits[-1].sort
        assert walked == ids, size


def test_counts_facets_and_orders_ignore_phrases_inside_another_choice(tmp_path) -> None:
    """A trade word also matches as its industry's name; when the name holds the word
    (服装 in 服装鞋帽), the count leaves the longer phrase out and finds the same firms."""
    docs = [
        Document(
            id=f"e{n}",
            version=1,
            source={
                "uscc": f"9132050{n:011d}",
                "name_exact": name,
                "t_name": name,
                "t_place": place,
                "city_code": "320500",
            },
        )
        for n, (name, place) in enumerate(
            [
                ("苏州服装店", "服装鞋帽"),
                ("苏州某某公司", "服装鞋帽"),
                ("苏州鞋帽商行", "服装鞋帽"),
                ("苏州服装鞋帽城", "食品饮料"),
                ("苏州食品公司", "食品饮料"),
            ]
        )
    ]
    backend = TantivyBackend(str(tmp_path / "engine"), "p8")
    backend.write(ENTERPRISES, docs, visible=True)
    q = SearchQuery(
        index="enterprises",
        text="服装",
        also_as={"服装": ("服装鞋帽",)},
        facets=("city_code",),
    )
    found = backend.search(ENTERPRISES, q)
    assert found.total == 4 and found.facets["city_code"] == [("320500", 4)]
    assert {h.id for h in found.hits} == {"e0", "e1", "e2", "e3"}
    by_code = backend.search(ENTERPRISES, replace(q, sort="score"))
    assert [h.id for h in by_code.hits] == ["e0", "e1", "e2", "e3"]
    assert tantivy_index._innermost([["服", "装", "鞋", "帽"], ["服", "装"], ["服", "装"]]) == [
        ["服", "装"]
    ]
    assert tantivy_index._innermost([["零", "食"], ["食", "品", "饮", "料"]]) == [
        ["零", "食"],
        ["食", "品", "饮", "料"],
    ]


def test_counts_past_the_limit_are_remembered_until_the_next_commit(tmp_path, monkeypatch) -> None:
    """A search with more matches than RANK_LIMIT keeps its count and facets for its
    other pages, sizes and orders; a commit by any backend on the index (another
    process's, too: the same counter) makes the next search count again."""
    monkeypatch.setattr(tantivy_index, "RANK_LIMIT", 2)
    path = str(tmp_path / "engine")
    reader, writer = TantivyBackend(path, "p9"), TantivyBackend(path, "p9")

    def firm(n: int) -> Document:
        doc = _doc(n)
        return replace(doc, source={**doc.source, "city_code": "320500"})

    writer.write(ENTERPRISES, [firm(n) for n in range(5)], visible=True)
    q = SearchQuery(index="enterprises", text="宁远", size=2, facets=("city_code",))
    first = reader.search(ENTERPRISES, q)
    assert (first.total, first.facets) == (5, {"city_code": [("320500", 5)]})
    assert len(reader._counts) == 1
    for other in (replace(q, page=2), replace(q, size=3), replace(q, sort="score")):
        assert reader.search(ENTERPRISES, other).total == 5
    assert len(reader._counts) == 1  # one search, whatever the page, size or order
    writer.write(ENTERPRISES, [firm(7)], visible=True)
    again = reader.search(ENTERPRISES, replace(q, page=3))
    assert (again.total, again.facets) == (6, {"city_code": [("320500", 6)]})
    assert len(reader._counts) == 2
    assert reader.search(ENTERPRISES, replace(q, text="苏宁")).total == 0
    assert len(reader._counts) == 2  # under the limit: counted every time


def test_starting_with_finds_every_start_either_side_of_the_indexed_prefixes(tmp_path) -> None:
    """A start up to ``MAX_PREFIX`` characters is one indexed term, a longer one a regular
    expression: at every length of a code and of a name, both sides of that edge, the
    firms found are exactly those whose value starts so (brute force over the firms)."""
    rng = random.Random(5)
    stems = ["苏州宁远食品有限公司", "苏州宁远食品贸易有限公司", "苏州宁远(食品)*有限公司"]
    docs = []
    for n in range(60):
        name = rng.choice(stems) + ("" if n % 3 else f"{n}分公司")
        code = f"913205{rng.choice('0A'):s}{n % 4}{rng.randrange(10**8):08d}X"
        docs.append(Document(id=f"e{n}", version=1, source={"uscc": code, "name_exact": name}))
    backend = TantivyBackend(str(tmp_path / "engine"), "p9")
    backend.write(ENTERPRISES, docs, visible=True)
    longest = max(len(d.source[f]) for d in docs for f in ("uscc", "name_exact"))
    assert longest > tantivy_index.MAX_PREFIX
    for field in ("uscc", "name_exact"):
        for d in docs[:12]:
            value = d.source[field]
            for n in range(1, len(value) + 1):
                start = value[:n]
                want = {x.id for x in docs if x.source[field].startswith(start)}
                hits = backend.starting_with(ENTERPRISES, field, start, 100)
                assert {h.id for h in hits} == want, (field, start)


def test_a_pledges_code_is_found_by_every_start_without_indexed_starts(tmp_path) -> None:
    """Only the enterprises' code is looked up by its start through indexed terms
    (``id_by_start``); a pledge's is written without them and still found, by a regular
    expression, at every length (brute force over the pledges)."""
    rng = random.Random(7)
    docs = [
        Document(
            id=f"p{n}",
            version=1,
            source={
                "id": f"p{n}",
                "uscc": f"91320{rng.choice('05')}{n % 3}{rng.randrange(10**10):010d}X",
            },
        )
        for n in range(40)
    ]
    assert tantivy_index._starts_indexed(PLEDGES) == []
    assert tantivy_index._starts_indexed(ENTERPRISES) == ["name_exact", "uscc"]
    backend = TantivyBackend(str(tmp_path / "engine"), "p10")
    backend.write(PLEDGES, docs, visible=True)
    for d in docs[:10]:
        code = d.source["uscc"]
        for n in range(1, len(code) + 1):
            want = {x.id for x in docs if x.source["uscc"].startswith(code[:n])}
            assert {h.id for h in backend.starting_with(PLEDGES, "uscc", code[:n], 100)} == want
