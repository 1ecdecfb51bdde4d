"""Search: the backend contract, two backends, public documents, the indexer and queries."""

from __future__ import annotations

from search.backend import SearchBackend
from search.cluster import ElasticOptions


def create_backend(
    search_url: str,
    prefix: str,
    embedded_path: str,
    cache_size: int = 2048,
    elastic: ElasticOptions | None = None,
) -> SearchBackend:
    """Elasticsearch when node URLs are configured (comma-separated), otherwise the
    embedded backend (which keeps up to ``cache_size`` results; Elasticsearch has its own
    shard request cache). ``elastic``: the cluster layout, retries, authentication and
    CA (``CREDIT_SEARCH_*``)."""
    if search_url:
        from search.elastic import ElasticBackend

        return ElasticBackend(search_url, prefix, elastic)
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(embedded_path, prefix, cache_size=cache_size)
