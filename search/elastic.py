"""The Elasticsearch backend (official client), with explicit, versioned mappings.

Only analysis built into the server core is used: text fields use the ``standard`` analyzer,
which makes one token per CJK character, so a query term is a ``match_phrase`` (characters
adjacent, in order); codes and exact names are ``keyword`` fields. Each physical index is
``<prefix>-<name>-v<version>`` behind the alias ``<prefix>-<name>``, so a new mapping is
built beside the old one and the alias swapped. Writes carry the row version with
``version_type=external_gte``: a late, older write never overwrites a newer document.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers
from elasticsearch import ConnectionError as EsConnectionError

from search.backend import (
    BackendUnavailable,
    Document,
    IndexSpec,
    SearchHit,
    SearchQuery,
    SearchResult,
    WriteResult,
    looks_like_uscc,
    query_terms,
)


def mapping_for(spec: IndexSpec) -> dict[str, Any]:
    props: dict[str, Any] = {f: {"type": "text", "analyzer": "standard",
                                 "position_increment_gap": 100}
                             for f in spec.text_fields}
    props.update({f: {"type": "keyword"} for f in spec.keyword_fields})
    # Other source fields are stored for display but not indexed.
    return {"dynamic": False, "properties": props}


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, url: str, prefix: str = "credit", **client_kwargs: Any):
        self.url = url
        self.prefix = prefix
        self.client = Elasticsearch(url, request_timeout=30, retry_on_timeout=True,
                                    max_retries=2, **client_kwargs)

    def alias(self, spec: IndexSpec) -> str:
        return f"{self.prefix}-{spec.name}"

    def physical(self, spec: IndexSpec) -> str:
        return f"{self.prefix}-{spec.name}-v{spec.version}"

    def ping(self) -> bool:
        """Reachable and at least yellow. (``GET /`` is not served by every distribution,
        so cluster health is the probe.)"""
        try:
            status = self.client.cluster.health(timeout="2s")["status"]
        except Exception:
            return False
        return status in {"green", "yellow"}

    def ensure_index(self, spec: IndexSpec) -> None:
        try:
            if self.client.indices.exists_alias(name=self.alias(spec)):
                return
            if not self.client.indices.exists(index=self.physical(spec)):
                self.client.indices.create(
                    index=self.physical(spec),
                    settings={"number_of_shards": 1, "number_of_replicas": 0,
                              "refresh_interval": "1s"},
                    mappings=mapping_for(spec),
                    aliases={self.alias(spec): {"is_write_index": True}},
                )
            else:
                self.client.indices.put_alias(index=self.physical(spec), name=self.alias(spec))
        except EsConnectionError as exc:
            raise BackendUnavailable(str(exc)) from exc

    def drop(self, spec: IndexSpec) -> None:
        # Wildcard deletes are refused by default (action.destructive_requires_name):
        # resolve the concrete names first.
        names = list(self.client.indices.get(index=f"{self.prefix}-{spec.name}-v*",
                                             allow_no_indices=True, ignore_unavailable=True))
        if names:
            self.client.indices.delete(index=",".join(names))

    def _bulk(self, actions: list[dict[str, Any]], refresh: bool = False) -> WriteResult:
        written = skipped = 0
        try:
            for ok, item in helpers.streaming_bulk(
                self.client, actions, raise_on_error=False, raise_on_exception=True,
                chunk_size=1000, max_retries=3, refresh=refresh,
            ):
                info = next(iter(item.values()))
                if ok:
                    written += 1
                elif info.get("status") == 409:
                    skipped += 1  # a newer version is already indexed
                elif info.get("status") == 404 and next(iter(item)) == "delete":
                    written += 1  # deleting what is not there is done
                else:
                    raise RuntimeError(f"bulk write failed: {info}")
        except EsConnectionError as exc:
            raise BackendUnavailable(str(exc)) from exc
        return WriteResult(written, skipped)

    def write(self, spec: IndexSpec, docs: list[Document], visible: bool = False
              ) -> WriteResult:
        index = self.alias(spec)
        # refresh=true on a few documents (a request's changes) makes them searchable now
        # instead of within refresh_interval; bulk loads leave it to the interval.
        return self._bulk([{"_op_type": "index", "_index": index, "_id": d.id,
                            "version": d.version, "version_type": "external_gte",
                            "_source": d.source} for d in docs], refresh=visible)

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        index = self.alias(spec)
        self._bulk([{"_op_type": "delete", "_index": index, "_id": i, "version": v,
                     "version_type": "external_gte"} for i, v in ids])

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None:
        try:
            r = self.client.get(index=self.alias(spec), id=doc_id)
        except NotFoundError:
            return None
        return Document(r["_id"], r["_version"], r["_source"])

    def count(self, spec: IndexSpec) -> int:
        return int(self.client.count(index=self.alias(spec))["count"])

    def refresh(self, spec: IndexSpec) -> None:
        self.client.indices.refresh(index=self.alias(spec))

    def build_query(self, spec: IndexSpec, query: SearchQuery) -> dict[str, Any] | None:
        """The ES query for a neutral query; None when the text has no searchable token."""
        text = query.text.strip()
        filters: list[dict[str, Any]] = [{"terms": {f: list(v)}}
                                         for f, v in query.filters.items() if v]
        must: list[dict[str, Any]] = []
        should: list[dict[str, Any]] = []
        if text and looks_like_uscc(text):
            filters.append({"term": {spec.id_field: text.upper()}})
        elif text:
            phrases = query_terms(text)
            if not phrases:
                return None
            for phrase in phrases:
                must.append({"bool": {"should": [
                    {"match_phrase": {f: {"query": " ".join(phrase), "boost": w}}}
                    for f, w in spec.text_fields.items()], "minimum_should_match": 1}})
            should.append({"term": {spec.exact_field: {"value": text, "boost": 1000}}})
        return {"bool": {"must": must or [{"match_all": {}}], "should": should,
                         "filter": filters}}

    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        es_query = self.build_query(spec, query)
        if es_query is None:
            return SearchResult(0, [], {f: [] for f in query.facets})
        aggs = {f: {"terms": {"field": f, "size": 50,
                              "order": [{"_count": "desc"}, {"_key": "asc"}]}}
                for f in query.facets}
        try:
            r = self.client.search(
                index=self.alias(spec), query=es_query, track_total_hits=True,
                from_=(query.page - 1) * query.size, size=query.size,
                sort=["_score", {spec.sort_field: "asc"}], aggs=aggs or None,
            )
        except EsConnectionError as exc:
            raise BackendUnavailable(str(exc)) from exc
        except ApiError as exc:
            if exc.meta.status >= 500:
                raise BackendUnavailable(str(exc)) from exc
            raise
        hits = [SearchHit(h["_id"], float(h["_score"] or 0.0), h["_source"])
                for h in r["hits"]["hits"]]
        facets = {f: [(b["key"], b["doc_count"]) for b in r["aggregations"][f]["buckets"]]
                  for f in query.facets}
        return SearchResult(int(r["hits"]["total"]["value"]), hits, facets)
