"""The Elasticsearch backend (official client), with explicit, versioned mappings.

Only analysis built into the server core is used: text fields use the ``standard`` analyzer,
which makes one token per CJK character, so a query term is a ``match_phrase`` (characters
adjacent, in order); codes and exact names are ``keyword`` fields. The alias
``<prefix>-<name>-v<version>`` points at one physical generation
``<prefix>-<name>-v<version>-g<n>``; a rebuild fills a new generation beside it and swaps the
alias in one atomic request. Writes carry a version with ``version_type=external_gte``: a
late, older write never overwrites a newer document.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch.serializer import OrjsonSerializer

from search.backend import (
    NEAR_MISS_WAIT_SECONDS,
    RANK_LIMIT,
    SORTS,
    BackendUnavailable,
    Document,
    IndexSpec,
    SearchHit,
    SearchQuery,
    SearchResult,
    WriteResult,
    analyze,
    fold,
    looks_like_uscc,
    query_terms,
    uscc_of,
)
from search.cluster import ElasticOptions

#: This backend's mapping layout, part of every alias (like the embedded backend's
#: ``LAYOUT``): a new one starts empty beside the old and ``flask search check`` fills it.
#: 2: text fields index two-token shingles too (``index_phrases``, core Lucene): a
#:    two-character query is one term lookup instead of a positional phrase match.
MAPPING = 2
#: Source fields kept only to be indexed (folded text, exact keys): search hits leave them
#: out, a fifth to a third less to send and parse (a page of 20 violations: 22 -> 16 KB;
#: ``search.backend``: a hit's source may lack them).
INDEX_ONLY = ["t_*", "*_exact"]
#: Warming a new generation before the swap (``ElasticBackend.warm``): at most this many
#: searches, or this many seconds.
WARM_QUERIES = 600
WARM_SECONDS = 30.0

#: A rebuild's new generation while it loads, and once it serves (``begin_rebuild``).
#: Merges unthrottled while loading and merging: the node's auto-throttle, meant to keep
#: merges from starving searches of disk, held a rebuild's merges back while nothing
#: searched the new generation (314 of 496 s of merging throttled in two rebuilds), so the
#: swaps waited on the last force merge with the CPU half idle. ``None`` restores the
#: node's default once the merge is done (``finish_rebuild``).
_LOADING = {
    "refresh_interval": "-1",
    "translog.durability": "async",
    "merge.scheduler.auto_throttle": False,
}
_SERVING = {"refresh_interval": "1s", "translog.durability": "request"}
_MERGED = {"merge.scheduler.auto_throttle": None}
#: A rebuild's bulk request rejected (queue full): tried again this many times.
_LOAD_RETRIES = 3
#: The boosts of an exact-name and a name-prefix match (``build_query``): far above any
#: BM25 score, so a score at or above one tells that tier (``_tier``).
EXACT_BOOST, PREFIX_BOOST = 1000, 100
#: Exact-name matches listed first when there are too many matches to rank (as the
#: embedded engine lists them).
_EXACT_FIRST = 1000
#: Searches a process has seen match more than RANK_LIMIT (``ElasticBackend._broad``).
_BROAD_REMEMBERED = 4096


def load_rows(spec: IndexSpec, docs: list[Document]) -> bytes:
    """A bulk request's body (NDJSON) indexing ``docs`` into the request's index, made
    in a rebuild's builder processes so the writer only sends it (``ElasticBackend.load``)."""
    out = bytearray()
    for d in docs:
        action = {"index": {"_id": d.id, "version": d.version, "version_type": "external_gte"}}
        out += orjson.dumps(action)
        out += b"\n"
        out += orjson.dumps(d.source)
        out += b"\n"
    return bytes(out)


def _server_side(item: dict[str, Any]) -> bool:
    """A bulk item rejected (429, queue full) or met an unavailable shard (5xx): the
    server's state, not the document's, so it may be tried again later (the indexer does,
    from its cursor)."""
    status = item.get("status", 0)
    return status == 429 or status >= 500


def _bulk_failure(what: str, failed: list[dict[str, Any]]) -> Exception:
    """What a bulk or multi-search request with ``failed`` items raises: BackendUnavailable
    when any failed on the server's side, else a RuntimeError (a bug to be seen)."""
    for item in failed:
        if _server_side(item):
            return BackendUnavailable(f"{what} rejected: {item}")
    return RuntimeError(f"{what} failed: {failed[0]}")


def mapping_for(spec: IndexSpec) -> dict[str, Any]:
    props: dict[str, Any] = {
        f: {
            "type": "text",
            "analyzer": "standard",
            "position_increment_gap": 100,
            "index_phrases": True,
        }
        for f in spec.indexed_text_fields
    }
    props.update({f: {"type": "keyword"} for f in spec.keyword_fields})
    if spec.score_field:
        props[spec.score_field] = {"type": "integer"}
    if spec.date_field:
        props[spec.date_field] = {"type": "date", "format": "yyyy-MM-dd"}
    # Other source fields are stored for display but not indexed.
    return {"dynamic": False, "properties": props}


def _facet_aggs(fields: tuple[str, ...]) -> dict[str, Any] | None:
    """Terms aggregations counting each facet field (the 50 largest values, ties by value)."""
    order = [{"_count": "desc"}, {"_key": "asc"}]
    return {f: {"terms": {"field": f, "size": 50, "order": order}} for f in fields} or None


def _starting_request(spec: IndexSpec, field: str, value: str, size: int) -> dict[str, Any]:
    """The request of ``starting_with`` (a suggestion typed so far), which ``warm`` makes
    too."""
    return {
        "size": size,
        "source_excludes": INDEX_ONLY,
        "query": {"prefix": {field: {"value": value}}},
        "sort": [{field: "asc"}, {spec.sort_field: "asc"}],
    }


def _unavailable(exc: Exception) -> BackendUnavailable:
    return BackendUnavailable(str(exc))


def _tier(score: float) -> int:
    """2 for an exact-name match, 1 for a name prefix, else 0 (from the boosts): the first
    of a relevance cursor's values, as the embedded engine's."""
    return 2 if score >= EXACT_BOOST else 1 if score >= PREFIX_BOOST else 0


def _ranks(query: SearchQuery) -> bool:
    """Whether ``query`` is ranked by BM25 (relevance order and a text that is not a code):
    the searches that list the exact names, then code order, past ``RANK_LIMIT`` matches."""
    text = query.text.strip()
    return query.sort == "relevance" and bool(text) and not looks_like_uscc(text)


class _RetryOnOneLine(logging.Filter):
    """The client logs each retry on another node as a warning with the whole traceback
    (some forty lines): with a node of the cluster down, every search would write one.
    Keep the warning and the error on one line; the node pool's own warning already says
    which node failed and for how long it is set aside."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Retrying request"):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


log = logging.getLogger(__name__)
_RETRY_FILTER = _RetryOnOneLine()
logging.getLogger("elastic_transport.transport").addFilter(_RETRY_FILTER)


class ElasticBackend:
    name = "elasticsearch"
    #: A bulk request is indexed by one of the node's write threads: with one in flight,
    #: a rebuild of enterprises kept one core busy and left the other to the builders'
    #: idle moments (``search.indexer.reindex``). The order of loads does not matter
    #: (``external_gte`` versions).
    load_streams = 2

    def __init__(
        self,
        url: str | list[str],
        prefix: str = "credit",
        options: ElasticOptions | None = None,
        **client_kwargs: Any,
    ):
        self.nodes = url.split(",") if isinstance(url, str) else list(url)
        self.url = ",".join(self.nodes)
        self.prefix = prefix
        self.options = options or ElasticOptions()
        # orjson parses a search response (twenty sources) several times faster than the
        # standard library, which is most of this side's cost of a search.
        self.client = Elasticsearch(
            self.nodes,
            serializer=OrjsonSerializer(),
            **{**self.options.client_kwargs(), **client_kwargs},
        )
        #: The merge of each generation a rebuild settled (``settle``), running.
        self._settling: dict[str, concurrent.futures.Future] = {}
        #: Ranked searches that matched more than RANK_LIMIT when last asked (their query,
        #: any page): asked for again, they go straight to ``_too_many_to_rank``, whose
        #: count says whether they still do. Only a route, never an answer.
        self._broad: OrderedDict[bytes, None] = OrderedDict()
        self._broad_lock = threading.Lock()

    def alias(self, spec: IndexSpec) -> str:
        return f"{self.prefix}-{spec.name}-v{spec.version}-m{MAPPING}"

    def ping(self) -> bool:
        """Reachable and at least yellow. (``GET /`` is not served by every distribution,
        so cluster health is the probe.)"""
        try:
            status = self.client.cluster.health(timeout="2s")["status"]
        except Exception:
            return False
        return status in {"green", "yellow"}

    def health(self) -> dict[str, Any] | None:
        """The cluster's health in a few figures (status green/yellow/red, nodes, shards
        not assigned); None when no node answers."""
        try:
            h = self.client.cluster.health(timeout="2s")
        except Exception:
            return None
        return {
            "status": h["status"],
            "nodes": h["number_of_nodes"],
            "unassigned_shards": h["unassigned_shards"],
        }

    def _create(self, spec: IndexSpec, alias: bool) -> str:
        name = f"{self.alias(spec)}-g{time.time_ns() // 1000}"
        self.client.indices.create(
            index=name,
            settings={
                "number_of_shards": self.options.shards,
                "number_of_replicas": self.options.replicas,
                "refresh_interval": "1s",
            },
            mappings=mapping_for(spec),
            aliases={self.alias(spec): {"is_write_index": True}} if alias else None,
        )
        return name

    def _generations(self, spec: IndexSpec) -> list[str]:
        return sorted(
            self.client.indices.get(
                index=f"{self.alias(spec)}-g*", allow_no_indices=True, ignore_unavailable=True
            )
        )

    def ensure_index(self, spec: IndexSpec) -> None:
        try:
            if self.client.indices.exists_alias(name=self.alias(spec)):
                return
            generations = self._generations(spec)
            if generations:  # an index left without its alias: point the alias back
                self.client.indices.put_alias(index=generations[-1], name=self.alias(spec))
            else:
                self._create(spec, alias=True)
        except EsConnectionError as exc:
            raise _unavailable(exc) from exc
        except ApiError as exc:
            if exc.meta.status == 400 and "already exists" in str(exc):
                return  # another process created it first
            if exc.meta.status == 429 or exc.meta.status >= 500:
                raise _unavailable(exc) from exc
            raise

    def begin_rebuild(self, spec: IndexSpec) -> str:
        self.ensure_index(spec)
        target = self._create(spec, alias=False)
        # Nobody searches the new generation until the swap: no refreshes while loading,
        # and the translog synced in the background rather than at each bulk request (a
        # generation lost to a crash is rebuilt; ``finish_rebuild`` restores both).
        self.client.indices.put_settings(index=target, settings=_LOADING)
        return target

    def settle(self, spec: IndexSpec, target: str) -> None:
        """Serving settings, a refresh, and the merge into one segment started as a task:
        a bulk load leaves many segments that merge in the background for minutes, slowing
        searches right after the swap, so they are merged before serving instead. Merging
        is one thread's work (a third of the time of a 1,000,000-firm index's rebuild), so
        a rebuild starts it and loads the next index meanwhile (``finish_rebuild`` waits)."""
        self.client.indices.put_settings(index=target, settings=_SERVING)
        self.client.indices.refresh(index=target)
        merge = functools.partial(
            self.client.options(request_timeout=1800).indices.forcemerge,
            index=target,
            max_num_segments=1,
            wait_for_completion=True,
        )
        # A thread waits for the merge: the node merges one index at a time anyway.
        runner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="es-merge")
        self._settling[target] = runner.submit(merge)
        runner.shutdown(wait=False)

    def finish_rebuild(self, spec: IndexSpec, target: str) -> None:
        if target not in self._settling:
            self.settle(spec, target)
        self._settling.pop(target).result()  # its error, if the merge failed
        self.client.indices.put_settings(index=target, settings=_MERGED)
        warmed = self.warm(spec, target)
        log.info("search: %s warmed before the swap: %s", target, warmed)
        old = [g for g in self._generations(spec) if g != target]
        actions: list[dict[str, Any]] = [
            {"add": {"index": target, "alias": self.alias(spec), "is_write_index": True}}
        ]
        actions += [
            {"remove": {"index": g, "alias": self.alias(spec)}}
            for g in old
            if self.client.indices.exists_alias(index=g, name=self.alias(spec))
        ]
        self.client.indices.update_aliases(actions=actions)  # atomic: no gap in service
        if old:
            self.client.indices.delete(index=",".join(old))

    def warm(
        self,
        spec: IndexSpec,
        target: str,
        queries: int = WARM_QUERIES,
        seconds: float = WARM_SECONDS,
    ) -> dict[str, float]:
        """Search ``target`` the way users will before it serves them, so the first
        minute after a swap (or a node's start: search/warming.py) is as fast as any
        other: every facet counted over every document and every sort run once (doc
        values and global ordinals loaded), then searches made from a sample of its own
        documents in the shapes the site asks for (a two-character fragment, a whole
        name, a fragment filtered by the document's own facet values and sorted by score
        and by date, the code, a name's and a code's start as suggestions typed), at most
        ``queries`` of them or ``seconds``. Nothing goes to the request cache. Returns
        what was done (queries, seconds), for the log."""
        started = time.monotonic()
        aggs = _facet_aggs(spec.facet_fields)
        self.client.search(index=target, size=0, aggs=aggs, request_cache=False)
        for sort in SORTS:
            self.client.search(
                index=target,
                size=20,
                sort=self._sort(spec, SearchQuery(index=spec.name, sort=sort)),
                source=False,
                request_cache=False,
            )
        first = next(iter(spec.text_fields))
        keys = [f for f in (spec.id_field, spec.prefix_field) if f]
        sample = self.client.search(
            index=target,
            size=min(queries, 10_000),
            query={"function_score": {"random_score": {"seed": 11, "field": "_seq_no"}}},
            source_includes=[first, *spec.facet_fields, *keys],
            request_cache=False,
        )["hits"]["hits"]
        done = 0
        for hit in sample:
            for request in self._warm_requests(spec, hit["_source"], first):
                if done >= queries or time.monotonic() - started > seconds:
                    return {"queries": done, "seconds": round(time.monotonic() - started, 2)}
                self.client.search(index=target, request_cache=False, **request)
                done += 1
        return {"queries": done, "seconds": round(time.monotonic() - started, 2)}

    def _warm_requests(self, spec: IndexSpec, source: dict, first: str) -> Iterator[dict]:
        """The requests ``warm`` makes of one sampled document (``source``)."""
        value = source.get(first)
        value = (value[0] if value else "") if isinstance(value, list) else value or ""
        tokens = analyze(value)
        fragment = "".join(tokens[2:4]) if len(tokens) >= 4 else ""
        facets = tuple(spec.facet_fields)
        own = {f: (str(source[f]),) for f in spec.facet_fields[:2] if source.get(f)}
        shapes = [
            SearchQuery(index=spec.name, text=fragment, facets=facets),
            SearchQuery(index=spec.name, text=value, facets=facets),
            SearchQuery(index=spec.name, text=fragment, filters=own, facets=facets, sort="score")
            if spec.score_field
            else None,
            SearchQuery(index=spec.name, filters=dict(list(own.items())[:1]), sort="date")
            if spec.date_field
            else None,
            SearchQuery(index=spec.name, text=str(source.get(spec.id_field) or "")),
        ]
        for query in shapes:
            if query is not None and (query.text or query.filters):
                request = self._request(spec, query)
                if request is not None:
                    yield request
        for field in (spec.prefix_field, spec.id_field):
            start = str(source.get(field) or "")[:3] if field else ""
            if start:
                yield _starting_request(spec, field, start, 8)

    def node_starts(self) -> dict[str, int]:
        """Each node of the cluster and when its process started (ms since the epoch, the
        node's clock): a node that restarted has the same id and a later start."""
        info = self.client.nodes.info(metric="jvm", filter_path="nodes.*.jvm.start_time_in_millis")
        return {
            node: int(about["jvm"]["start_time_in_millis"])
            for node, about in info.get("nodes", {}).items()
        }

    def serving(self, spec: IndexSpec) -> list[str]:
        """The generation(s) the alias of ``spec`` points at: what searches read."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias(spec)))
        except NotFoundError:
            return []  # never built

    def drop(self, spec: IndexSpec) -> None:
        # Wildcard deletes are refused by default (action.destructive_requires_name):
        # resolve the concrete names first.
        names = self._generations(spec)
        if names:
            self.client.indices.delete(index=",".join(names))

    def _bulk(self, actions: list[dict[str, Any]], refresh: bool = False) -> WriteResult:
        written = skipped = 0
        try:
            for ok, item in helpers.streaming_bulk(
                self.client,
                actions,
                raise_on_error=False,
                raise_on_exception=True,
                chunk_size=1000,
                max_retries=3,
                refresh=refresh,
            ):
                info = next(iter(item.values()))
                if ok:
                    written += 1
                elif info.get("status") == 409:
                    skipped += 1  # a newer version is already indexed
                elif info.get("status") == 404 and next(iter(item)) == "delete":
                    written += 1  # deleting what is not there is done
                else:
                    raise _bulk_failure("bulk write", [info])
        except EsConnectionError as exc:
            raise _unavailable(exc) from exc
        return WriteResult(written, skipped)

    def write(
        self,
        spec: IndexSpec,
        docs: list[Document],
        visible: bool = False,
        target: str | None = None,
    ) -> WriteResult:
        index = target or self.alias(spec)
        # refresh=true on a few documents (a request's changes) makes them searchable now
        # instead of within refresh_interval; bulk loads leave it to the interval.
        return self._bulk(
            [
                {
                    "_op_type": "index",
                    "_index": index,
                    "_id": d.id,
                    "version": d.version,
                    "version_type": "external_gte",
                    "_source": d.source,
                }
                for d in docs
            ],
            refresh=visible,
        )

    def load_rows(self) -> Callable[[IndexSpec, list[Document]], bytes]:
        return load_rows

    def load(self, spec: IndexSpec, target: str, rows: bytes) -> int:
        """Send ``load_rows``' body to ``target`` in one bulk request, as it is (no
        documents to turn into actions and serialise here). Only the failures come back
        (``filter_path``); a rejected request (429) is sent again after a pause."""
        if not rows:
            return 0
        for attempt in range(_LOAD_RETRIES + 1):
            try:
                r = self.client.options(request_timeout=300).bulk(
                    index=target,
                    operations=rows,
                    filter_path="errors,items.*.status,items.*.error",
                )
            except EsConnectionError as exc:
                raise _unavailable(exc) from exc
            except ApiError as exc:
                if exc.meta.status != 429 or attempt == _LOAD_RETRIES:
                    raise
                time.sleep(2**attempt)
                continue
            failed = [
                item
                for entry in (r.get("items") or [] if r.get("errors") else [])
                for item in entry.values()
                if item.get("status", 200) >= 300 and item.get("status") != 409
            ]
            if not failed:
                return rows.count(b"\n") // 2
            if any(f.get("status") == 429 for f in failed) and attempt < _LOAD_RETRIES:
                time.sleep(2**attempt)  # external_gte: sending the same again is harmless
                continue
            raise _bulk_failure("bulk load", failed)
        raise AssertionError("unreachable")

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        index = self.alias(spec)
        self._bulk(
            [
                {
                    "_op_type": "delete",
                    "_index": index,
                    "_id": i,
                    "version": v,
                    "version_type": "external_gte",
                }
                for i, v in ids
            ],
            refresh=len(ids) <= 50,
        )

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None:
        try:
            r = self.client.get(index=self.alias(spec), id=doc_id)
        except NotFoundError:
            return None
        except EsConnectionError as exc:
            raise _unavailable(exc) from exc
        return Document(r["_id"], r["_version"], r["_source"])

    def get_many(self, spec: IndexSpec, ids: list[str]) -> dict[str, Document]:
        out: dict[str, Document] = {}
        for i in range(0, len(ids), 1000):
            r = self.client.mget(index=self.alias(spec), ids=ids[i : i + 1000])
            out.update(
                (d["_id"], Document(d["_id"], d["_version"], d["_source"]))
                for d in r["docs"]
                if d.get("found")
            )
        return out

    def starting_with(self, spec: IndexSpec, field: str, value: str, size: int) -> list[SearchHit]:
        try:
            r = self.client.search(
                index=self.alias(spec), **_starting_request(spec, field, value, size)
            )
        except EsConnectionError as exc:
            raise _unavailable(exc) from exc
        return [
            SearchHit(h["_id"], 0.0, h["_source"], tuple(h.get("sort", ())))
            for h in r["hits"]["hits"]
        ]

    def versions(self, spec: IndexSpec) -> dict[str, int]:
        out: dict[str, int] = {}
        after = None
        while True:
            r = self.client.search(
                index=self.alias(spec),
                size=5000,
                source=False,
                version=True,
                sort=[{spec.sort_field: "asc"}],
                search_after=after,
                track_total_hits=False,
            )
            hits = r["hits"]["hits"]
            out.update((h["_id"], h["_version"]) for h in hits)
            if len(hits) < 5000:
                return out
            after = hits[-1]["sort"]

    def count(self, spec: IndexSpec) -> int:
        return int(self.client.count(index=self.alias(spec))["count"])

    def refresh(self, spec: IndexSpec) -> None:
        self.client.indices.refresh(index=self.alias(spec))

    def build_query(self, spec: IndexSpec, query: SearchQuery) -> dict[str, Any] | None:
        """The ES query for a neutral query; None when the text has no searchable token."""
        text = query.text.strip()
        filters: list[dict[str, Any]] = [
            {"terms": {f: list(v)}} for f, v in query.filters.items() if v
        ]
        if spec.date_field and (query.date_from or query.date_to):
            bounds = {k: v for k, v in (("gte", query.date_from), ("lte", query.date_to)) if v}
            filters.append({"range": {spec.date_field: bounds}})
        must: list[dict[str, Any]] = []
        should: list[dict[str, Any]] = []
        if text and looks_like_uscc(text):
            filters.append({"term": {spec.id_field: uscc_of(text)}})
        elif text:
            phrases = query_terms(text)
            if not phrases:
                return None
            if query.near_misses:
                must.append(self._near_misses(spec, query))
            for choices in query.phrase_choices() if not query.near_misses else ():
                must.append(
                    {
                        "bool": {
                            "should": [
                                {"match_phrase": {f: {"query": " ".join(p), "boost": w}}}
                                for p in choices
                                for f, w in query.text_fields_of(spec).items()
                            ],
                            "minimum_should_match": 1,
                        }
                    }
                )
            wanted = fold(text)
            should.append({"term": {spec.exact_field: {"value": wanted, "boost": EXACT_BOOST}}})
            if spec.prefix_field:
                should.append(
                    {"prefix": {spec.prefix_field: {"value": wanted, "boost": PREFIX_BOOST}}}
                )
        return {"bool": {"must": must or [{"match_all": {}}], "should": should, "filter": filters}}

    @staticmethod
    def _near_misses(spec: IndexSpec, query: SearchQuery) -> dict[str, Any]:
        """Any near miss in any text field: one phrase (``match_phrase``), or two within one
        position in either order (``span_near``, slop 1; the values of a field lie 100
        positions apart). Each one matched adds to the score."""
        should: list[dict[str, Any]] = []
        for alt in query.near_misses:
            phrases = query_terms(alt)
            for f, w in query.text_fields_of(spec).items():
                if len(phrases) == 1:
                    should.append(
                        {"match_phrase": {f: {"query": " ".join(phrases[0]), "boost": w}}}
                    )
                    continue
                spans = [
                    {
                        "span_near": {
                            "clauses": [{"span_term": {f: t}} for t in p],
                            "slop": 0,
                            "in_order": True,
                        }
                    }
                    if len(p) > 1
                    else {"span_term": {f: p[0]}}
                    for p in phrases
                ]
                should.append(
                    {"span_near": {"clauses": spans, "slop": 1, "in_order": False, "boost": w}}
                )
        return {"bool": {"should": should, "minimum_should_match": 1}}

    @staticmethod
    def _sort(spec: IndexSpec, query: SearchQuery) -> list[Any]:
        if query.sort == "score" and spec.score_field:
            return [
                {spec.score_field: {"order": "desc", "missing": "_last"}},
                {spec.sort_field: "asc"},
            ]
        if query.sort == "date" and spec.date_field:
            return [
                {spec.date_field: {"order": "desc", "missing": "_last"}},
                {spec.sort_field: "asc"},
            ]
        return ["_score", {spec.sort_field: "asc"}]

    def _request(self, spec: IndexSpec, query: SearchQuery) -> dict[str, Any] | None:
        """The search request for a neutral query (what ``client.search`` takes besides
        the index and the request cache); None when the text has no searchable token."""
        es_query = self.build_query(spec, query)
        if es_query is None:
            return None
        after = list(query.after or ())
        if query.sort == "relevance":
            after = after[1:]  # (tier, score, key): Elasticsearch sorts by score, key
        paging: dict[str, Any] = {"search_after": after} if after else {"from_": query.offset}
        return {
            "query": es_query,
            "track_total_hits": True,
            "size": query.size,
            "sort": self._sort(spec, query),
            "track_scores": query.sort == "relevance",
            "aggs": _facet_aggs(query.facets),
            "source_excludes": INDEX_ONLY,
            # a near-miss search is given up past NEAR_MISS_WAIT_SECONDS: the server's
            # timeout is wall-clock time, which a busy host stretches (search.backend)
            "timeout": f"{int(NEAR_MISS_WAIT_SECONDS * 1000)}ms" if query.near_misses else None,
            **paging,
        }

    def _call(self, send: Callable[[], Any]) -> Any:
        """``send()``'s answer; a node that cannot be reached or fails (5xx) or refuses for
        now (429, its queue full) raises BackendUnavailable."""
        try:
            return send()
        except EsConnectionError as exc:
            raise _unavailable(exc) from exc
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise _unavailable(exc) from exc
            raise

    def _msearch(self, spec: IndexSpec, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers to several searches of one index, in one request."""
        searches: list[dict[str, Any]] = []
        for body in bodies:
            searches += [{"request_cache": True}, body]
        answer = self._call(lambda: self.client.msearch(index=self.alias(spec), searches=searches))
        out = []
        for r in answer["responses"]:
            if "error" in r:
                raise _bulk_failure("search", [r])
            out.append(r)
        return out

    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        request = self._request(spec, query)
        if request is None:
            return SearchResult.nothing(query)
        ranked = _ranks(query)
        if ranked:
            key = orjson.dumps([self.alias(spec), request["query"]])
            if self._seen_broad(key):
                result = self._too_many_to_rank(spec, query, request)
                if result.total > RANK_LIMIT:
                    return result
                self._forget_broad(key)  # fewer matches now: ranked again
            # Past RANK_LIMIT matches the order is another (``_too_many_to_rank``): this
            # search stops collecting there, and says so, rather than rank them all (ranking
            # 有限's 747,785 firms at a million cost 24 ms, counting them 0.2).
            request["terminate_after"] = RANK_LIMIT + 1
        # The shard request cache (Elasticsearch caches only size=0 by default): the
        # same search of an unchanged shard is answered from memory, and a refresh
        # that changed the shard drops its entries, so nothing is stale.
        r = self._call(
            lambda: self.client.search(index=self.alias(spec), request_cache=True, **request)
        )
        if r.get("timed_out") and query.near_misses:
            return SearchResult.nothing(query)
        total = int(r["hits"]["total"]["value"])
        if ranked and (r.get("terminated_early") or total > RANK_LIMIT):
            self._remember_broad(key)
            return self._too_many_to_rank(spec, query, request)
        hits = []
        for h in r["hits"]["hits"]:
            sort = tuple(h.get("sort", ()))
            if query.sort == "relevance":
                sort = (_tier(float(sort[0])), *sort)
            hits.append(SearchHit(h["_id"], float(h["_score"] or 0.0), h["_source"], sort))
        return SearchResult(total, hits, self._facets(r, query))

    def _seen_broad(self, key: bytes) -> bool:
        with self._broad_lock:
            if key in self._broad:
                self._broad.move_to_end(key)
                return True
            return False

    def _forget_broad(self, key: bytes) -> None:
        with self._broad_lock:
            self._broad.pop(key, None)

    def _remember_broad(self, key: bytes) -> None:
        with self._broad_lock:
            self._broad[key] = None
            if len(self._broad) > _BROAD_REMEMBERED:
                self._broad.popitem(last=False)

    @staticmethod
    def _facets(r: dict[str, Any], query: SearchQuery) -> dict[str, list[tuple[str, int]]]:
        return {
            f: [(b["key"], b["doc_count"]) for b in r["aggregations"][f]["buckets"]]
            for f in query.facets
        }

    def _too_many_to_rank(
        self, spec: IndexSpec, query: SearchQuery, request: dict[str, Any]
    ) -> SearchResult:
        """More matches than ``RANK_LIMIT``: the exact-name matches first, the rest in code
        order, as the embedded engine lists them (relevance says little about most of the
        registry, and ranking every match is most of such a search's cost). The count and
        the facets are a search of their own, the same for every page and page size, so
        the shard request cache answers them when the same search is asked for another
        page. One request (``_msearch``); a second only past the first page when there are
        exact-name matches."""
        found = request["query"]["bool"]
        matched = {"bool": {"filter": [*found["must"], *found["filter"]]}}
        exact = {"term": {spec.exact_field: fold(query.text.strip())}}
        by_key: dict[str, Any] = {
            "sort": [{spec.sort_field: "asc"}],
            "_source": {"excludes": INDEX_ONLY},
            "track_total_hits": False,
            **({"timeout": request["timeout"]} if request.get("timeout") else {}),
        }
        counts: dict[str, Any] = {"query": matched, "size": 0, "track_total_hits": True}
        if query.facets:
            counts["aggs"] = _facet_aggs(query.facets)
        if request.get("timeout"):
            counts["timeout"] = request["timeout"]
        offset, size, after = query.offset, query.size, query.after
        tier = None if after is None else after[0]
        first: dict[str, Any] | None = None
        if tier is None:
            limit = min(_EXACT_FIRST, offset + size)
            first = {"query": {"bool": {"filter": [matched, exact]}}, "size": limit}
            first.update({**by_key, "track_total_hits": True})
        elif tier == 2:
            first = {"query": {"bool": {"filter": [matched, exact]}}, "size": size}
            first.update({**by_key, "search_after": [after[2]]})
        rest: dict[str, Any] = {
            "query": {"bool": {"filter": [matched], "must_not": [exact]}},
            "from": offset if tier is None else 0,
            "size": size,
            **by_key,
        }
        if tier == 0:
            rest["search_after"] = [after[2]]
        answers = self._msearch(spec, [counts, rest, *([first] if first else [])])
        if any(a.get("timed_out") for a in answers) and query.near_misses:
            return SearchResult.nothing(query)
        rows: list[tuple[int, dict[str, Any]]] = []
        if first is not None:
            exact_hits = answers[2]["hits"]["hits"]
            if tier is None:
                exact_hits = exact_hits[offset : offset + size]
                # the rest starts after the exact-name matches (the first _EXACT_FIRST)
                ahead = min(_EXACT_FIRST, int(answers[2]["hits"]["total"]["value"]))
                rest_offset = max(0, offset - ahead)
                if rest_offset != rest["from"] and len(exact_hits) < size:
                    rest.update({"from": rest_offset, "size": size - len(exact_hits)})
                    answers[1] = self._msearch(spec, [rest])[0]
            rows += [(2, h) for h in exact_hits]
        rows += [(0, h) for h in answers[1]["hits"]["hits"][: size - len(rows)]]
        hits = [
            SearchHit(h["_id"], 0.0, h["_source"], (t, 0.0, str(h["sort"][0]))) for t, h in rows
        ]
        return SearchResult(
            int(answers[0]["hits"]["total"]["value"]), hits, self._facets(answers[0], query)
        )
