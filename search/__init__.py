"""Search: the backend contract, two backends, public documents, the indexer and queries."""

from __future__ import annotations

from search.backend import SearchBackend
from search.cluster import ElasticOptions


def create_backend(
    search_url: str,
    prefix: str,
    embedded_path: str,
    elastic: ElasticOptions | None = None,
) -> SearchBackend:
    """Elasticsearch when node URLs are configured (comma-separated), otherwise the
    embedded backend (tantivy, in the directory ``embedded_path``). ``elastic``: the
    cluster layout, retries, authentication and CA (``CREDIT_SEARCH_*``)."""
    if search_url:
        from search.elastic import ElasticBackend

        return ElasticBackend(search_url, prefix, elastic)
    from search.tantivy_index import TantivyBackend

    return TantivyBackend(embedded_path, prefix)
