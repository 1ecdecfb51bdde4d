"""Public search queries: the neutral query a consumer's search turns into."""

from __future__ import annotations

from search.backend import MAX_QUERY_LENGTH, SearchBackend, SearchQuery, SearchResult
from search.documents import ENTERPRISES

ENTERPRISE_FACETS = ("city_code", "industry")


def search_enterprises(backend: SearchBackend, text: str, *, city: str | None = None,
                       industry: str | None = None, page: int = 1,
                       size: int = 20) -> SearchResult:
    """Enterprises by name fragment, former name, shop name or USCC, with facets."""
    filters: dict[str, tuple[str, ...]] = {}
    if city:
        filters["city_code"] = (city,)
    if industry:
        filters["industry"] = (industry,)
    query = SearchQuery(index=ENTERPRISES.name, text=" ".join(text.split())[:MAX_QUERY_LENGTH],
                        filters=filters, facets=ENTERPRISE_FACETS, page=page, size=size)
    return backend.search(ENTERPRISES, query)
