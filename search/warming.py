"""Warming Elasticsearch after one of its nodes starts.

A node that has just started answers searches more slowly for its first minutes: its
code is not yet compiled to the machine's, and the global ordinals behind the facets,
built as each index is first counted, are gone. At a million firms on 2 cores the first
run after a restart served 295 searches/s at p99 78 ms, paced at 300/s p99 268 ms, and
the next run 381/s at p99 61 and 55 ms (Elasticsearch's CPU a search 4.2 ms, then 2.7).
A rebuild warms its new generation before the swap (``ElasticBackend.warm``); this does
the same for the generations serving when a node starts, from the worker holding the
``search-warm`` lease (credit/worker.py), which looks every
``WorkerSettings.search_warm_seconds`` (30 s).
"""

from __future__ import annotations

import time
from typing import Any

from search.documents import SPECS
from search.elastic import ElasticBackend

#: A node-start warm-up's budget for each serving index (``ElasticBackend.warm``): more
#: than before a swap, which meets a node already warm. At a million firms on 2 cores the
#: swap's 600 searches an index after a restart left the next searches as slow as none
#: (p99 237 ms paced at 300/s, Elasticsearch's CPU 3.8 ms a search), and 6,000 searches
#: of two shapes 62 ms (3.1); a node that had served the load before: 49 ms (2.7).
NODE_WARM_QUERIES = 6000
NODE_WARM_SECONDS = 60.0
#: At the worker's first look, a node started less than this long ago is warmed (the
#: worker and the node started together, at a host's boot); an older one is not: a
#: worker's restart alone should not load the cluster with searches.
YOUNG_SECONDS = 600.0


class NodeWatch:
    """Which nodes started since the last look (a new node, or a known one restarted)."""

    def __init__(self, young_seconds: float = YOUNG_SECONDS) -> None:
        self.young_seconds = young_seconds
        self._seen: dict[str, int] | None = None

    def started(self, starts: dict[str, int], now: float) -> list[str]:
        """The nodes of ``starts`` (id -> start, ms since the epoch) that started since
        the last call; at the first, those started less than ``young_seconds`` before
        ``now`` (seconds since the epoch). A node that left and came back without
        restarting is not warmed again."""
        if self._seen is None:
            fresh = [n for n, ms in starts.items() if now - ms / 1000 < self.young_seconds]
        else:
            fresh = [n for n, ms in starts.items() if self._seen.get(n) != ms]
        self._seen = {**(self._seen or {}), **starts}
        return sorted(fresh)


class NodeWarmer:
    """``check``: warm every serving generation when a node has started since the last
    check (what the worker's ``search-warm`` thread calls)."""

    def __init__(
        self,
        backend: ElasticBackend,
        watch: NodeWatch | None = None,
        queries: int = NODE_WARM_QUERIES,
        seconds: float = NODE_WARM_SECONDS,
    ) -> None:
        self.backend = backend
        self.watch = watch or NodeWatch()
        self.queries = queries
        self.seconds = seconds

    def check(self) -> dict[str, Any] | None:
        """None when no node started; else the nodes and what was done to each index
        (``ElasticBackend.warm``'s queries and seconds), for the log."""
        started = self.watch.started(self.backend.node_starts(), time.time())
        if not started:
            return None
        warmed = {
            index: self.backend.warm(spec, index, self.queries, self.seconds)
            for spec in SPECS.values()
            for index in self.backend.serving(spec)
        }
        return {"nodes": started, "indices": warmed}
