"""The harder relevance set (``hard_relevance_set.json``: 108 queries as users mistype,
transliterate or half remember a firm, judged by the rules in make_hard_relevance_set.py)
scored with nDCG@10 and recall@10 per kind on both backends.

A kind the search serves has a floor; a kind it does not serve yet is reported with its
figures and no floor (``None``), so the table in the closing note shows where search stands
rather than only what passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.queries import search_enterprises
from tests.search.conftest import loaded_pair
from tests.search.test_relevance import ndcg_at_10

SET = json.loads(Path(__file__).with_name("hard_relevance_set.json").read_text(encoding="utf-8"))
QUERIES = SET["queries"]
#: nDCG@10 floor per kind; None: not served yet (reported only).
MIN_NDCG: dict[str, float | None] = {
    "traditional": 0.95,
    "uscc_typo": 0.95,
    "shop_brand": 0.95,
    "former_name": 0.95,
    "pinyin": 0.9,
    "pinyin_initials": 0.9,
    "wrong_char": 0.95,
    "missing_char": 0.95,
    "address": 0.9,
}


def recall_at_10(ranked: list[str], judged: dict[str, int]) -> float:
    """Of the judged firms (up to ten of them), the share in the first ten results."""
    wanted = min(len(judged), 10)
    return sum(1 for code in ranked[:10] if code in judged) / wanted if wanted else 0.0


@pytest.fixture(scope="module")
def backends(request: pytest.FixtureRequest, tmp_path_factory, demo_records):
    records = [
        {
            **r,
            "shops": [
                *r["shops"],
                *(
                    {"platform": "tmall", "shop_name": s, "url": None}
                    for s in SET["extra_shops"].get(r["uscc"], [])
                ),
            ],
        }
        for r in demo_records
    ]
    yield from loaded_pair(request, tmp_path_factory.mktemp("hard-relevance"), records)


def test_the_set_has_a_hundred_judged_queries_of_every_kind() -> None:
    assert len(QUERIES) >= 100
    assert all(q["judged"] for q in QUERIES)
    assert {q["kind"] for q in QUERIES} == set(MIN_NDCG)


@pytest.mark.parametrize("which", [0, 1], ids=["embedded", "elasticsearch"])
def test_ndcg_and_recall_at_10_per_kind(backends, which: int, capsys) -> None:
    backend = backends[which]
    scores: dict[str, list[tuple[float, float]]] = {}
    for q in QUERIES:
        ranked = [h.source["uscc"] for h in search_enterprises(backend, q["q"], size=10).hits]
        scores.setdefault(q["kind"], []).append(
            (ndcg_at_10(ranked, q["judged"]), recall_at_10(ranked, q["judged"]))
        )
    means = {
        kind: (sum(n for n, _ in v) / len(v), sum(r for _, r in v) / len(v))
        for kind, v in scores.items()
    }
    with capsys.disabled():
        print(f"\nhard relevance set, {backend.name}: kind, nDCG@10, recall@10, served")
        for kind, (ndcg, recall) in means.items():
            served = "yes" if MIN_NDCG[kind] is not None else "not yet"
            print(f"  {kind:<16} {ndcg:.3f}  {recall:.3f}  {served}")
    for kind, floor in MIN_NDCG.items():
        if floor is not None:
            assert means[kind][0] >= floor, (kind, means[kind])
