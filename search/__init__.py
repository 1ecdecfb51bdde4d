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
    engine: str = "fts5",
) -> SearchBackend:
    """Elasticsearch when node URLs are configured (comma-separated), otherwise the
    embedded backend (which keeps up to ``cache_size`` results; Elasticsearch has its own
    shard request cache). ``elastic``: the cluster layout, retries, authentication and
    CA (``CREDIT_SEARCH_*``). ``engine``: the embedded backend's, ``fts5`` or
    ``tantivy`` (``CREDIT_EMBEDDED_SEARCH_ENGINE``)."""
    if search_url:
        from search.elastic import ElasticBackend

        return ElasticBackend(search_url, prefix, elastic)
    if engine == "tantivy":
        from search.tantivy_index import TantivyBackend

        return TantivyBackend(embedded_path, prefix)
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(embedded_path, prefix, cache_size=cache_size)
