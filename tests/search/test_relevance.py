"""The relevance test set (``relevance_set.json``, 56 judged queries over the demo
registry) scored with nDCG@10 on both backends."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from search.queries import search_enterprises
from tests.search.conftest import loaded_pair

SET = json.loads(Path(__file__).with_name("relevance_set.json").read_text(encoding="utf-8"))
#: The floor each backend must reach; the figures are printed for the closing note.
MIN_NDCG = {
    "exact_name": 0.95,
    "uscc": 1.0,
    "code_as_typed": 1.0,
    "name_prefix": 0.9,
    "fragment": 0.8,
    "shop": 0.8,
    "former_name": 0.8,
    "two_words": 0.8,
}


def ndcg_at_10(ranked: list[str], judged: dict[str, int]) -> float:
    dcg = sum(
        (2 ** judged.get(code, 0) - 1) / math.log2(i + 2) for i, code in enumerate(ranked[:10])
    )
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


@pytest.fixture(scope="module")
def backends(request: pytest.FixtureRequest, tmp_path_factory, demo_records):
    yield from loaded_pair(request, tmp_path_factory.mktemp("relevance"), demo_records)


def test_the_set_is_big_enough_and_judged() -> None:
    assert len(SET) >= 50
    assert all(q["judged"] for q in SET)
    assert set(MIN_NDCG) == {q["kind"] for q in SET}


@pytest.mark.parametrize("which", [0, 1], ids=["embedded", "elasticsearch"])
def test_ndcg_at_10(backends, which: int, capsys) -> None:
    backend = backends[which]
    by_kind: dict[str, list[float]] = {}
    for q in SET:
        ranked = [h.source["uscc"] for h in search_enterprises(backend, q["q"], size=10).hits]
        by_kind.setdefault(q["kind"], []).append(ndcg_at_10(ranked, q["judged"]))
    means = {k: sum(v) / len(v) for k, v in by_kind.items()}
    overall = sum(sum(v) for v in by_kind.values()) / len(SET)
    with capsys.disabled():
        print(
            f"\nnDCG@10 {backend.name}: overall {overall:.3f}; "
            + ", ".join(f"{k} {m:.3f}" for k, m in sorted(means.items()))
        )
    for kind, floor in MIN_NDCG.items():
        assert means[kind] >= floor, (kind, means[kind])
