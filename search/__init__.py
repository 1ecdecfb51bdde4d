"""Search: the backend contract, two backends, public documents, the indexer and queries."""

from __future__ import annotations

from typing import Any

from search.backend import SearchBackend


def create_backend(
    search_url: str,
    prefix: str,
    embedded_path: str,
    cache_size: int = 2048,
    elastic: Any = None,
) -> SearchBackend:
    """Elasticsearch when node URLs are configured (comma-separated), otherwise the
    embedded backend (which keeps up to ``cache_size`` results; Elasticsearch has its own
    shard request cache). ``elastic``: a ``search.elastic.ElasticOptions`` (cluster
    layout, retries, authentication, CA)."""
    if search_url:
        from search.elastic import ElasticBackend

        return ElasticBackend(search_url, prefix, elastic)
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(embedded_path, prefix, cache_size=cache_size)
