"""Elasticsearch's serving indices are warmed after one of its nodes starts
(search/warming.py), by the worker holding the ``search-warm`` lease (credit/worker.py)."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from credit.extensions import db
from credit.worker import SEARCH_WARM_LEASE, Worker, WorkerSettings
from search.documents import ENTERPRISES, PLEDGES
from search.warming import NodeWarmer, NodeWatch
from tests.helpers import without_after_commit_hooks
from tests.search.conftest import load

NOW = 1_800_000_000.0  # seconds since the epoch


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def test_at_the_first_look_a_node_is_warmed_only_if_it_started_lately() -> None:
    """The day before and the day of the edge: 599 s old is warmed, 600 s is not."""
    starts = {"a": _ms(NOW - 599), "b": _ms(NOW - 600), "c": _ms(NOW - 86_400)}
    assert NodeWatch(young_seconds=600).started(starts, NOW) == ["a"]
    assert NodeWatch(young_seconds=600).started({}, NOW) == []


def test_a_node_is_warmed_when_it_restarts_or_joins_and_not_again() -> None:
    watch = NodeWatch(young_seconds=600)
    old = {"a": _ms(NOW - 3600)}
    assert watch.started(old, NOW) == []
    assert watch.started(old, NOW + 30) == []
    restarted = {"a": _ms(NOW + 40)}  # the same node id, a later start
    assert watch.started(restarted, NOW + 60) == ["a"]
    assert watch.started(restarted, NOW + 90) == []
    joined = {**restarted, "b": _ms(NOW - 7200)}  # its shards will be read cold there
    assert watch.started(joined, NOW + 120) == ["b"]
    assert watch.started(restarted, NOW + 150) == []  # b left
    assert watch.started(joined, NOW + 180) == []  # and came back without restarting
    both_restarted = {"a": _ms(NOW + 200), "b": _ms(NOW + 201)}
    assert watch.started(both_restarted, NOW + 210) == ["a", "b"]


@pytest.fixture
def es_backend(es_url: str, demo_records):
    from search.elastic import ElasticBackend

    backend = ElasticBackend(es_url, f"c{uuid.uuid4().hex[:10]}")
    backend.ensure_index(ENTERPRISES)
    load(backend, demo_records[:300])
    yield backend
    backend.drop(ENTERPRISES)


def _searched(backend, index: str) -> int:
    stats = backend.client.indices.stats(index=index, metric="search")
    return stats["indices"][index]["total"]["search"]["query_total"]


def test_the_serving_indices_are_searched_once_after_a_node_started(es_backend) -> None:
    """The test node's start as the cluster reports it; a watch that counts it as recent
    has every serving index of the prefix searched (facets, sorts, names and fragments
    of its own documents), and nothing more until another node starts. An index never
    built (pledges here) is left alone."""
    starts = es_backend.node_starts()
    health = es_backend.health()
    assert health is not None and len(starts) == health["nodes"]
    assert all(0 < ms <= time.time() * 1000 for ms in starts.values())
    [serving] = es_backend.serving(ENTERPRISES)
    assert es_backend.serving(PLEDGES) == []
    before = _searched(es_backend, serving)
    warmer = NodeWarmer(es_backend, NodeWatch(young_seconds=time.time()), queries=250)
    done = warmer.check()
    assert done is not None and done["nodes"] == sorted(starts)
    assert list(done["indices"]) == [serving]
    assert done["indices"][serving]["queries"] == 250  # the budget, all of it
    assert _searched(es_backend, serving) - before >= 250
    assert warmer.check() is None
    # A node that started long before the first look (a worker restarted alone) is not.
    assert NodeWarmer(es_backend, NodeWatch(young_seconds=0)).check() is None


def test_the_worker_holding_the_lease_warms_after_a_node_started(
    app_ctx, es_backend, caplog: pytest.LogCaptureFixture
) -> None:
    """The worker takes the ``search-warm`` lease, asks the cluster, warms the serving
    indices once and says so in its log; it stops with the others."""
    warmer = NodeWarmer(es_backend, NodeWatch(young_seconds=time.time()), queries=50)
    settings = WorkerSettings(
        lease_seconds=3, poll_seconds=0.05, search_warm=warmer.check, search_warm_seconds=0.2
    )
    engine = db.engine
    with without_after_commit_hooks(engine):
        worker = Worker(engine, settings, context=app_ctx.app_context)
        assert SEARCH_WARM_LEASE in worker.lease_names()

        def run() -> None:
            with app_ctx.app_context():
                worker.run(install_signals=False)

        [serving] = es_backend.serving(ENTERPRISES)
        with caplog.at_level(logging.INFO, logger="credit.worker"):
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            try:
                deadline = time.monotonic() + 30
                while not [r for r in caplog.records if "search warmed" in r.getMessage()]:
                    assert time.monotonic() < deadline, "the worker never warmed"
                    time.sleep(0.1)
                assert worker.holds(SEARCH_WARM_LEASE)
                time.sleep(1.0)  # several more looks: nothing started since
            finally:
                worker.stop.set()
                thread.join(30)
    assert not thread.is_alive()
    said = [r.getMessage() for r in caplog.records if "search warmed" in r.getMessage()]
    assert len(said) == 1 and serving in said[0]


def test_the_worker_warms_only_with_elasticsearch(app_ctx, tmp_path, es_backend) -> None:
    """The CLI's worker gets a warmer for Elasticsearch, none for the embedded engine
    (read in the web processes themselves: nothing of a node to lose)."""
    from api.cli import _search_warmer
    from search.tantivy_index import TantivyBackend

    assert _search_warmer(TantivyBackend(str(tmp_path / "index"), "x")) is None
    check = _search_warmer(es_backend)
    assert check is not None and check.__self__.backend is es_backend
    idle = Worker(db.engine, WorkerSettings(), context=app_ctx.app_context)
    assert SEARCH_WARM_LEASE not in idle.lease_names()
