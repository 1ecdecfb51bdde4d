"""Both backends agree on the pledge and violation indices too: the documents the indexer
builds from demo pledges and violations (in the app's database) are written to an
embedded and an Elasticsearch index, and a fixed query set (text, filters, date ranges,
sorts, deep pages) must give the same totals, the same hits in the same order and the
same facets on both."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from credit.extensions import db
from credit.pledges.models import Pledge
from credit.violations.models import Violation
from search.documents import PLEDGES, VIOLATIONS
from search.indexer import build_documents
from search.queries import search
from tests.search.conftest import make_backend

QUERIES = [
    ("pledge", "", {}, "date"),
    ("pledge", "", {}, "score"),
    ("pledge", "有限", {}, "relevance"),
    ("pledge", "诚信", {}, "relevance"),
    ("pledge", "", {"category": ("voluntary_public",)}, "date"),
    ("pledge", "", {"city": ("320500",)}, "score"),
    ("pledge", "科技", {}, "date"),
    ("pledge", "", {"grade": ("A", "AA", "BBB")}, "date"),
    ("pledge", "不存在的字样", {}, "relevance"),
    ("violation", "", {}, "date"),
    ("violation", "网络店铺", {}, "relevance"),
    ("violation", "", {"category": ("false_advertising", "pricing")}, "date"),
    ("violation", "", {"severity": ("general", "serious")}, "score"),
    ("violation", "市场监督", {}, "date"),
    ("violation", "经查", {"city": ("320100",)}, "relevance"),
    ("violation", "有限", {}, "score"),
]


@pytest.fixture(scope="module")
def record_pair(app, request: pytest.FixtureRequest, tmp_path_factory):
    from tests.conftest import reset_state

    reset_state(app)
    runner = app.test_cli_runner()
    for args in (
        ["credit", "pledges", "seed-templates"],
        ["credit", "demo", "--enterprises", "2000", "--seed", "5", "--no-index"],
        ["credit", "rescore", "--all", "--workers", "1", "--no-catch-up"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    tmp = tmp_path_factory.mktemp("records-agree")
    pair = (make_backend("embedded", request, tmp), make_backend("elasticsearch", request, tmp))
    with app.app_context():
        for spec, model in ((PLEDGES, Pledge), (VIOLATIONS, Violation)):
            ids = list(db.session.scalars(sa.select(model.id)))
            docs = build_documents(db.session, spec.name, ids, 1)
            assert docs, spec.name
            for backend in pair:
                backend.ensure_index(spec)
                backend.write(spec, docs)
                backend.refresh(spec)
    yield pair
    for backend in pair:
        for spec in (PLEDGES, VIOLATIONS):
            backend.drop(spec)


def _pages(backend, kind: str, q: str, filters: dict, sort: str, pages: int = 3):
    """The first pages (ids in order), then the next ones through the cursor."""
    first = search(backend, kind, q, filters=filters, sort=sort, size=7)
    ids = [h.id for h in first.result.hits]
    after = first.result.hits[-1].sort if first.result.hits else None
    for _ in range(pages):
        if after is None or len(ids) >= first.result.total:
            break
        nxt = search(backend, kind, q, filters=filters, sort=sort, size=7, after=after)
        ids += [h.id for h in nxt.result.hits]
        after = nxt.result.hits[-1].sort if nxt.result.hits else None
    return first.result.total, ids, first.result.facets


@pytest.mark.parametrize(("kind", "q", "filters", "sort"), QUERIES)
def test_pledge_and_violation_searches_agree(record_pair, kind, q, filters, sort):
    embedded, elastic = record_pair
    total_e, ids_e, facets_e = _pages(embedded, kind, q, filters, sort)
    total_s, ids_s, facets_s = _pages(elastic, kind, q, filters, sort)
    assert total_e == total_s
    assert facets_e == facets_s
    if sort != "relevance":  # a field order: the very same sequence
        assert ids_e == ids_s
    else:  # BM25 differs in its decimals; the same set of results comes back
        assert set(ids_e) <= set(_all_ids(elastic, kind, q, filters))
        assert len(ids_e) == len(ids_s)


def _all_ids(backend, kind: str, q: str, filters: dict) -> list[str]:
    out, page = [], 1
    while True:
        r = search(backend, kind, q, filters=filters, size=100, page=page).result
        out += [h.id for h in r.hits]
        if len(r.hits) < 100:
            return out
        page += 1


def test_the_query_set_is_not_trivial(record_pair):
    """Most queries must find something, or agreement would prove little."""
    embedded, _ = record_pair
    found = [search(embedded, kind, q, filters=f, sort=s).result.total for kind, q, f, s in QUERIES]
    assert sum(1 for n in found if n > 0) >= len(QUERIES) - 2
    assert max(found) > 100 and found[QUERIES.index(("violation", "", {}, "date"))] > 10
