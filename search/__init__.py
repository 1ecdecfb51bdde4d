"""Search: the backend contract, two backends, public documents, the indexer and queries."""

from __future__ import annotations

from search.backend import SearchBackend


def create_backend(search_url: str, prefix: str, embedded_path: str) -> SearchBackend:
    """Elasticsearch when a URL is configured, otherwise the embedded backend."""
    if search_url:
        from search.elastic import ElasticBackend

        return ElasticBackend(search_url, prefix)
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(embedded_path, prefix)
