"""The embedded search backend on tantivy (the Rust search library, PyPI ``tantivy``): the
backend of a one-command local run and of a one-host deployment, held to the contract
Elasticsearch meets (``search.backend``).

It replaced SQLite FTS5 and its result cache: at a million firms FTS5 read every match of
a broad fragment for the total and the facets (有限: about a second), and tantivy's
posting lists, token pairs and top-k collection answered the cold mix's p99 several times
faster (README, "How search works").

Layout: one directory per logical index (``<root>/<prefix>-<name>-v<version>-t<LAYOUT>``),
holding one tantivy index per generation (``g1``, ``g2`` ...) and ``CURRENT``, the name of
the live one (Elasticsearch's alias; replaced atomically by a rebuild's swap). A counter
file beside it (``SEQ``, 8 bytes, memory-mapped) counts commits and swaps: a search
compares it with what its process last saw, a read of shared memory, and reopens or
reloads only when it changed. So a write by any process is searchable at once, without a
file-system check per search.

Text is indexed pre-analysed (``backend.analyze``: one token per CJK character, lower-cased
alphanumeric words) with the ``whitespace`` tokenizer, values of a multi-valued field two
gap tokens apart, so a query phrase is a tantivy phrase query: the adjacency semantics of
Elasticsearch's ``match_phrase``. Keyword fields are raw, indexed and fast (filters,
facets as terms aggregations). Writes are versioned like ``external_gte``; a delete
leaves a tombstone (``live`` 0) so a late older write loses.

One writer at a time (tantivy locks an index): a write takes the lock for its commit,
waiting while another process holds it.

A near-miss search is given up after ``NEAR_MISS_SECONDS`` of CPU time (it then finds
nothing, as on the other backends). tantivy cannot interrupt a search, so near-miss
searches run on one thread per process, whose CPU clock the request watches: one given up
keeps that thread busy until it ends, and the next waits its turn (at most
``NEAR_MISS_WAIT_SECONDS``), so abandoned work never takes more than one core of a
process. CPU time, not the wall clock: what is found must not depend on how busy the host
is.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import concurrent.futures
import contextlib
import fcntl
import functools
import heapq
import itertools
import mmap
import os
import shutil
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import tantivy

from search.backend import (
    NEAR_MISS_SECONDS,
    NEAR_MISS_WAIT_SECONDS,
    RANK_LIMIT,
    Document,
    IndexSpec,
    SearchHit,
    SearchQuery,
    SearchResult,
    WriteResult,
    fold,
    keyword_values,
    looks_like_uscc,
    query_terms,
    text_tokens,
    uscc_of,
)

#: The on-disk layout; part of each logical directory's name, so a new layout starts empty
#: beside the old one.
#: 2: token pairs beside the tokens; 3: prefixes of the name and code; 4: the score and date
#: orders as numbers only (no text sort fields); 5: the sort key 10 characters a number
LAYOUT = 5
#: A document's sort key (a code, or a record's UUID) as numbers compared one after
#: another: ``_KEY_CHARS`` characters to a number, 6 bits each (tantivy reads no text
#: fast field back, and ordering by one costs a dictionary look-up per document).
SORT_CHUNKS = 4
_KEY_CHARS = 10
#: The characters of codes and UUIDs, in their order: 1 to 63 (0 ends a shorter key).
_KEY_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KEY_RANK = {ch: n for n, ch in enumerate(_KEY_ALPHABET, 1)}
_KEY_SPAN = _KEY_CHARS * SORT_CHUNKS  # 40 characters: ten whole base64 quads
_CHUNK_BITS, _CHUNK_MASK = 6 * _KEY_CHARS, (1 << 6 * _KEY_CHARS) - 1
#: A key's ASCII byte to the base64 digit of its rank (the padding, rank 0, is ``A``);
#: ``*`` for a byte outside the alphabet.
_TO_BASE64 = bytes(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[_KEY_RANK[chr(c)]]
    if chr(c) in _KEY_RANK
    else ord("*")
    for c in range(256)
)
if SORT_CHUNKS != 4:  # ``_chunks`` cuts the number into four
    raise ImportError("_chunks reads four chunks")
_WRITER_HEAP = 32_000_000
#: Counts and facets of searches that matched more than RANK_LIMIT, kept per process for
#: as long as the commit they were counted on is the live one (``_counted``).
_COUNTS_REMEMBERED = 1024
#: A rebuild's writer: two indexing threads of 512 MB each. A thread writes a segment
#: each time its share fills, and the writer merges segments while it loads: with 128 MB
#: each, merging took a fifth of the writer's CPU time (1,000,000 firms: 10 segments, the
#: writer 119 CPU seconds, 8,400 documents/s); with 512 MB, 6 segments and no merge
#: (97 CPU seconds, 9,300 documents/s), for about 800 MB more memory while it runs.
_LOAD_HEAP = 1_024_000_000
_LOCK_WAIT_SECONDS = 30.0
#: A tie on a page's edge is fetched whole up to this many documents and ordered in Python
#: (a day's violations, a score's firms); a larger one is cut again by the next field.
_TIE_FETCH = 1000
#: Hits fetched past a page's end, to see whether the tie on its edge ends there.
_PAST_PAGE = 32
#: Added to the BM25 score of an exact-name match and of a name-prefix match (an exact
#: match has both): far above any BM25 score, so they rank first (Elasticsearch's boosts).
EXACT_BONUS, PREFIX_BONUS = 10_000.0, 1_000.0


#: Counting matches with the aggregation collector: ``search(query, 1, count=True)`` also
#: scores every match for its top-1 collector, which made the count of a broad fragment
#: (有限: 747,785 firms at a million) cost 46 ms against 8 for the count alone.
_TOTAL = "matched_total"
_COUNT_AGG = {"value_count": {"field": "live"}}  # every document has one ``live`` value


def _total_of(result: dict) -> int:
    return int(result[_TOTAL]["value"] or 0)


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many documents ``query`` matches, without scoring them."""
    return _total_of(searcher.aggregate(query, {_TOTAL: _COUNT_AGG}))


def _tier(score: float) -> int:
    """2 for an exact-name match, 1 for a name prefix, else 0 (from the bonuses)."""
    return 2 if score >= EXACT_BONUS else 1 if score >= PREFIX_BONUS else 0


def _kw(field: str) -> str:
    return f"kw_{field}"


_KEY_ORDER = tuple(
    (f"sort_c{i}", tantivy.FieldType.Unsigned, tantivy.Order.Asc) for i in range(SORT_CHUNKS)
)
#: Each order ``_by_key`` sorts by (``SearchQuery.sort``), as the numeric fields compared
#: in turn: the score or the date descending (absent last: -1 and 0), then the sort key.
_ORDERS = {
    "relevance": _KEY_ORDER,
    "score": (("score_num", tantivy.FieldType.Integer, tantivy.Order.Desc), *_KEY_ORDER),
    "date": (("date_num", tantivy.FieldType.Unsigned, tantivy.Order.Desc), *_KEY_ORDER),
}


def _rank(ch: str) -> int:
    """A character's 6-bit rank: its place in ``_KEY_ALPHABET``. Any other character
    (no code or UUID has one) ranks with the nearest one below it, so a key holding one
    is only ordered approximately among the keys it shares that rank with."""
    rank = _KEY_RANK.get(ch)
    return rank if rank is not None else max(1, bisect.bisect_right(_KEY_ALPHABET, ch))


def _chunks(key: str) -> list[int]:
    """``key`` as ``SORT_CHUNKS`` numbers in the order of the strings: the first 10
    characters, the next 10, ... A code's first number (its region and the start of its
    organisation code) is shared by a few firms, where 8 bytes were shared by thousands,
    each tie a further search for a page's order.

    A key of the alphabet (every code and UUID) is read in C: each character becomes the
    base64 digit of its rank, and the 40 digits one number cut into the four chunks (a
    character at a time in Python was a tenth of a rebuild builder's CPU for a pledge)."""
    head = key[:_KEY_SPAN]
    if head.isascii():
        digits = head.encode().translate(_TO_BASE64)
        if b"*" not in digits:
            n = int.from_bytes(binascii.a2b_base64(digits.ljust(_KEY_SPAN, b"A")))
            m = _CHUNK_MASK
            return [n >> 3 * _CHUNK_BITS, n >> 2 * _CHUNK_BITS & m, n >> _CHUNK_BITS & m, n & m]
    return _chunks_of_any(key)


def _chunks_of_any(key: str) -> list[int]:
    """``_chunks`` of a key holding characters outside the alphabet (``_rank``)."""
    out = []
    for start in range(0, _KEY_SPAN, _KEY_CHARS):
        part, n = key[start : start + _KEY_CHARS], 0
        for ch in part:
            n = n << 6 | _rank(ch)
        out.append(n << 6 * (_KEY_CHARS - len(part)))  # a shorter key: 0s, first
    return out


#: Keyword values are indexed by their starts up to this many characters (a name prefix,
#: a code typed so far); a longer start is looked for by a regular expression. A start of
#: a few characters is shared by thousands of names, where the expression would open
#: each one's posting list (苏州: 385 ms at 200,000 firms); past eight characters a start
#: is shared by a few, and the expression costs little. Each start is a term of the
#: index, most of the longer ones a firm's own: at a million firms 40 cost the rebuild's
#: writer about a fifth of its CPU for an enterprise, against 8.
MAX_PREFIX = 8


def _prefixed(spec: IndexSpec) -> list[str]:
    """The keyword fields with a field of starts in the schema: the name prefix tier and
    the code. An index's schema is fixed when it is made (tantivy opens an index only with
    its own), so these stay even where ``_starts_indexed`` leaves them empty."""
    return sorted({f for f in (spec.prefix_field, spec.id_field) if f in spec.keyword_fields})


def _starts_indexed(spec: IndexSpec) -> list[str]:
    """The keyword fields whose starts are written and looked up as terms: the name prefix
    tier and the code where the platform looks it up by its start (``id_by_start``). A
    pledge's or a violation's code is never looked up so: its starts were about 4 µs of a
    rebuild builder's CPU for each of 1.8 million documents, and more of the writer's.
    Their fields of starts stay in the schema (``_prefixed``), empty in new documents."""
    wanted = {spec.prefix_field, spec.id_field if spec.id_by_start else None}
    return sorted(f for f in _prefixed(spec) if f in wanted)


def _pre(field: str) -> str:
    return f"pre_{field}"


def _pairs(field: str) -> str:
    """The field holding ``field``'s token pairs."""
    return f"{field}__2"


def _bigrams(tokens: list[str]) -> list[str]:
    """Each token with the next (``有_限``), at the first one's position: a phrase of n
    tokens is the phrase of its n-1 pairs. A pair never spans the gap between two values
    (the gap's own pairs hold its token)."""
    return list(map("_".join, itertools.pairwise(tokens)))


class _TextMemo:
    """A text field's tokens and pairs (``document_json``) kept for the values a process
    sees again: a firm's place (city, district, industry: about a thousand lists at a
    million firms), a pledge's template title, a violation's authority and legal basis.
    Analysing each again was about 4 µs of a rebuild builder's CPU a document.

    Each field keeps its own; a field whose first ``SIZE`` values were mostly new (a name,
    a decision number) is no longer kept, and one seen again often is emptied when full,
    so a process holds at most ``SIZE`` values a field whatever it indexes."""

    SIZE = 4096

    def __init__(self) -> None:
        self._kept: dict[str, dict[Any, tuple[str, str] | None] | None] = {}
        self._hits: dict[str, int] = {}

    def analysed(self, field: str, value: Any) -> tuple[str, str] | None:
        """(tokens, pairs) of ``value`` as ``document_json`` writes them; None: no token."""
        kept = self._kept.get(field, {})
        if kept is None:
            return _analysed(value)
        if isinstance(value, str):
            key: Any = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            key = tuple(value)
        else:  # absent, or not text (1 and True are one key but not one text)
            return _analysed(value)
        hit = kept.get(key, kept)  # ``kept`` itself: absent
        if hit is not kept:
            self._hits[field] = self._hits.get(field, 0) + 1
            return hit
        out = _analysed(value)
        if len(kept) >= self.SIZE:
            mostly_new = self._hits.get(field, 0) < self.SIZE
            kept = None if mostly_new else {}
            self._hits[field] = 0
        if kept is not None:
            kept[key] = out
        self._kept[field] = kept
        return out


def _analysed(value: Any) -> tuple[str, str] | None:
    tokens = text_tokens(value)
    return (" ".join(tokens), " ".join(_bigrams(tokens))) if tokens else None


_TEXT = _TextMemo()


def schema_for(spec: IndexSpec) -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("version", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("live", indexed=True, fast=True)
    sb.add_bytes_field("source", stored=True)
    for field in spec.indexed_text_fields:
        sb.add_text_field(field, tokenizer_name="whitespace", index_option="position")
        sb.add_text_field(_pairs(field), tokenizer_name="whitespace", index_option="position")
    for field in spec.keyword_fields:
        sb.add_text_field(_kw(field), tokenizer_name="raw", fast=True)
    for field in _prefixed(spec):
        sb.add_text_field(_pre(field), tokenizer_name="raw", index_option="basic")
    sb.add_text_field("sort_key", stored=True, tokenizer_name="raw", fast=True)
    for i in range(SORT_CHUNKS):
        sb.add_unsigned_field(f"sort_c{i}", indexed=True, fast=True)
    # The score and the date as numbers: the orders (``_ORDERS``), cursors and date ranges.
    sb.add_integer_field("score_num", indexed=True, fast=True)
    sb.add_unsigned_field("date_num", indexed=True, fast=True)
    return sb.build()


def document_json(spec: IndexSpec, doc_id: str, version: int, source: dict | None) -> str:
    """The tantivy document of ``source`` as the JSON ``IndexWriter.add_json`` takes (a
    bytes field as base64): one string, parsed in Rust, instead of some sixty calls that
    each cross into it (a rebuild's builder processes make these, so the writer only adds).
    ``source`` None: a tombstone (``live`` 0)."""
    doc: dict[str, Any] = {"id": doc_id, "version": version, "live": 0 if source is None else 1}
    if source is None:
        return orjson.dumps(doc).decode()
    doc["source"] = base64.b64encode(orjson.dumps(source)).decode()
    for field in spec.indexed_text_fields:
        text = _TEXT.analysed(field, source.get(field))
        if text:
            doc[field], doc[_pairs(field)] = text
    for field in spec.keyword_fields:
        values = keyword_values(source.get(field))
        if values:
            doc[_kw(field)] = values
    for field in _starts_indexed(spec):
        starts = {
            v[:n]
            for v in keyword_values(source.get(field))
            for n in range(1, 1 + min(len(v), MAX_PREFIX))
        }
        if starts:
            doc[_pre(field)] = sorted(starts)
    key = str(source.get(spec.sort_field) or "")
    doc["sort_key"] = key
    for i, chunk in enumerate(_chunks(key)):
        doc[f"sort_c{i}"] = chunk
    score = source.get(spec.score_field) if spec.score_field else None
    date = source.get(spec.date_field) if spec.date_field else None
    doc["score_num"] = -1 if score is None else int(score)
    doc["date_num"] = _date_num(date)
    return orjson.dumps(doc).decode()


def load_rows(spec: IndexSpec, docs: list[Document]) -> list[tuple[str, str]]:
    """(id, ``document_json``) of each document: what ``TantivyBackend.load`` adds."""
    return [(d.id, document_json(spec, d.id, d.version, d.source)) for d in docs]


class _Live:
    """A process's view of one logical index: the generation open for search and the
    commit counter value it reflects."""

    def __init__(self, generation: str, index: tantivy.Index, seq: int):
        self.generation = generation
        self.index = index
        self.seq = seq


class TantivyBackend:
    """SearchBackend on tantivy. Thread-safe: searches share the process's readers;
    writes of one process are serialised, and across processes by tantivy's lock."""

    name = "embedded"
    #: One writer indexes with its own threads, and ``load`` relies on ids coming in
    #: ascending order.
    load_streams = 1

    def __init__(self, path: str, prefix: str = "credit"):
        self.root = Path(path)
        self.prefix = prefix
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._live: dict[str, _Live] = {}
        self._seqs: dict[str, mmap.mmap] = {}
        self._schemas: dict[str, tantivy.Schema] = {}
        self._indexes: dict[str, tantivy.Index] = {}
        #: Generations being rebuilt by this process: their open writer.
        self._loading: dict[str, Any] = {}
        #: The highest id each of them was given (``load``).
        self._loaded_upto: dict[str, str] = {}
        self._counts: OrderedDict[tuple, tuple[int, dict[str, list[tuple[str, int]]]]] = (
            OrderedDict()
        )
        self._counts_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------
    def _dir(self, spec: IndexSpec) -> Path:
        return self.root / f"{self.prefix}-{spec.name}-v{spec.version}-t{LAYOUT}"

    def _schema(self, spec: IndexSpec) -> tantivy.Schema:
        key = f"{spec.name}-v{spec.version}"
        if key not in self._schemas:
            self._schemas[key] = schema_for(spec)
        return self._schemas[key]

    def _seq_map(self, spec: IndexSpec) -> mmap.mmap | None:
        key = str(self._dir(spec))
        seq = self._seqs.get(key)
        if seq is None:
            path = self._dir(spec) / "SEQ"
            if not path.exists():
                return None
            with open(path, "r+b") as f:
                seq = mmap.mmap(f.fileno(), 8)
            self._seqs[key] = seq
        return seq

    def _seq(self, spec: IndexSpec) -> int:
        seq = self._seq_map(spec)
        return struct.unpack_from("<Q", seq, 0)[0] if seq is not None else -1

    def _bump(self, spec: IndexSpec) -> None:
        seq = self._seq_map(spec)
        if seq is None:
            return
        # Writers are serialised (tantivy's lock, or the swap's): a plain add suffices.
        struct.pack_into("<Q", seq, 0, struct.unpack_from("<Q", seq, 0)[0] + 1)

    def _current(self, spec: IndexSpec) -> str | None:
        try:
            return (self._dir(spec) / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _set_current(self, spec: IndexSpec, generation: str) -> None:
        path = self._dir(spec) / "CURRENT"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(generation)
        os.replace(tmp, path)

    def _open(self, spec: IndexSpec, generation: str) -> tantivy.Index:
        """The generation's index, opened once per process (readers reload it)."""
        path = str(self._dir(spec) / generation)
        index = self._indexes.get(path)
        if index is None:
            index = tantivy.Index(self._schema(spec), path=path)
            index.config_reader("Manual")
            self._indexes[path] = index
        return index

    def _forget(self, spec: IndexSpec, generation: str | None = None) -> None:
        """Close what this process holds of the index (one generation, or all)."""
        base = str(self._dir(spec))
        with self._lock:
            if generation is None:
                self._live.pop(base, None)
                seq = self._seqs.pop(base, None)
                if seq is not None:
                    seq.close()
            for path in [p for p in self._indexes if p.startswith(base + os.sep)]:
                if generation is None or path.endswith(os.sep + generation):
                    del self._indexes[path]

    def _view(self, spec: IndexSpec) -> _Live | None:
        """The live generation as of the latest commit or swap of any process."""
        key = str(self._dir(spec))
        seq = self._seq(spec)
        live = self._live.get(key)
        if live is not None and live.seq == seq:
            return live
        with self._lock:
            live = self._live.get(key)
            if live is not None and live.seq == seq:
                return live
            generation = self._current(spec)
            if generation is None:
                self._live.pop(key, None)
                return None
            if live is not None and live.generation == generation:
                live.index.reload()
                live.seq = seq
                return live
            if live is not None:  # swapped or dropped elsewhere: let its files go
                self._indexes.pop(str(self._dir(spec) / live.generation), None)
            index = self._open(spec, generation)
            index.reload()  # opened earlier for a write, perhaps: as of now, not then
            live = _Live(generation, index, seq)
            self._live[key] = live
            return live

    def _generations(self, spec: IndexSpec) -> list[str]:
        base = self._dir(spec)
        if not base.exists():
            return []
        return sorted(
            (p.name for p in base.iterdir() if p.is_dir() and p.name.startswith("g")),
            key=lambda g: int(g[1:]) if g[1:].isdigit() else 0,
        )

    # -- contract: lifecycle ----------------------------------------------------------
    def ping(self) -> bool:
        return self.root.is_dir()

    def health(self) -> dict[str, Any] | None:
        return None  # files on one host, no cluster

    @contextlib.contextmanager
    def _lifecycle(self, spec: IndexSpec):
        """Held while an index is created, swapped or dropped: one process at a time."""
        base = self._dir(spec)
        base.mkdir(parents=True, exist_ok=True)
        with open(base / "LOCK", "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield base
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @staticmethod
    def _new_generation() -> str:
        """A name never used before (a dropped index's name is never reused: a process
        that still holds it open would take the new files for the old)."""
        return f"g{time.time_ns() // 1000}"

    def ensure_index(self, spec: IndexSpec) -> None:
        if self._current(spec) is not None:
            return
        with self._lifecycle(spec) as base:
            if self._current(spec) is not None:
                return  # another process made it
            seq = base / "SEQ"
            if not seq.exists():
                tmp = base / f"SEQ.{os.getpid()}.tmp"
                tmp.write_bytes(b"\0" * 8)
                os.replace(tmp, seq)
            generation = self._new_generation()
            (base / generation).mkdir()
            self._open(spec, generation)  # creates the index files
            self._set_current(spec, generation)
            self._bump(spec)

    def begin_rebuild(self, spec: IndexSpec) -> str:
        self.ensure_index(spec)
        generation = self._new_generation()
        (self._dir(spec) / generation).mkdir()
        self._open(spec, generation)
        return generation

    def settle(self, spec: IndexSpec, target: str) -> None:
        """Commit what the rebuild loaded and let its writer go (and its memory)."""
        with self._write_lock:
            writer = self._loading.pop(str(self._dir(spec) / target), None)
            self._loaded_upto.pop(str(self._dir(spec) / target), None)
            if writer is not None:
                writer.commit()
                writer.wait_merging_threads()  # the merges it started: fewer segments

    def finish_rebuild(self, spec: IndexSpec, target: str) -> None:
        self.settle(spec, target)
        with self._lifecycle(spec):
            old = self._current(spec)
            self._set_current(spec, target)
            self._bump(spec)
        if old and old != target:
            self._forget(spec, old)
            shutil.rmtree(self._dir(spec) / old, ignore_errors=True)

    def drop(self, spec: IndexSpec) -> None:
        """Remove every generation. The counter file stays (bumped), so processes that
        had the index open see it go at their next search."""
        if not self._dir(spec).exists():
            return
        with self._lifecycle(spec) as base:
            (base / "CURRENT").unlink(missing_ok=True)
            for generation in self._generations(spec):
                shutil.rmtree(base / generation, ignore_errors=True)
            self._bump(spec)
        self._forget(spec)

    def refresh(self, spec: IndexSpec) -> None:
        """Writes are searchable once committed; nothing to do."""

    # -- contract: writes -------------------------------------------------------------
    def _writer(self, index: tantivy.Index, heap: int = _WRITER_HEAP, threads: int = 1):
        """The index's writer, waiting while another process holds tantivy's lock."""
        deadline = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            try:
                return index.writer(heap, threads)
            except ValueError as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _stored_versions(self, index: tantivy.Index, ids: list[str]) -> dict[str, int]:
        """The versions ``index`` holds for ``ids`` (tombstones included)."""
        if not ids:
            return {}
        searcher = index.searcher()
        query = tantivy.Query.term_set_query(index.schema, "id", ids)
        out = {}
        for _, address in searcher.search(query, len(ids) * 2 + 10, count=False).hits:
            doc = searcher.doc(address)
            out[doc["id"][0]] = doc["version"][0]
        return out

    def _apply(
        self, spec: IndexSpec, generation: str, items: list[tuple[str, int, dict | None]]
    ) -> WriteResult:
        index = self._open(spec, generation)
        written = skipped = 0
        with self._write_lock:
            writer = self._writer(index)
            try:
                index.reload()  # under the lock: the versions as last committed
                stored = self._stored_versions(index, list({i for i, _, _ in items}))
                for doc_id, version, source in items:
                    if stored.get(doc_id, -1) > version:
                        skipped += 1  # external_gte: never regress a newer document
                        continue
                    if doc_id in stored:
                        writer.delete_documents_by_term("id", doc_id)
                    writer.add_json(document_json(spec, doc_id, version, source))
                    stored[doc_id] = version
                    written += 1
                writer.commit()
                # Still holding tantivy's lock: the counter's increments are serialised.
                self._bump(spec)
                index.reload()
                writer.wait_merging_threads()  # merges this commit started (small ones)
            except BaseException:
                with contextlib.suppress(ValueError, RuntimeError):
                    writer.rollback()  # unless already committed or consumed
                raise
            finally:
                del writer
        return WriteResult(written, skipped)

    def write(
        self,
        spec: IndexSpec,
        docs: list[Document],
        visible: bool = False,
        target: str | None = None,
    ) -> WriteResult:
        # A commit is searchable at once here (the counter tells every process).
        if target is not None:
            return WriteResult(self.load(spec, target, load_rows(spec, docs)), 0)
        self.ensure_index(spec)
        generation = self._current(spec)
        return self._apply(spec, generation, [(d.id, d.version, d.source) for d in docs])

    def load_rows(self) -> Callable[[IndexSpec, list[Document]], list[tuple[str, str]]]:
        return load_rows

    def load(self, spec: IndexSpec, target: str, rows: list[tuple[str, str]]) -> int:
        """Add ``load_rows``' rows to a generation being rebuilt, through one writer held
        until ``finish_rebuild`` commits it. A repeated id replaces the first: an id above
        every id added before cannot be a repeat, so a rebuild, which reads ids in
        ascending order, adds without looking anything up (a delete by id cost a third of
        the writer's time); an id out of that order deletes its earlier copy first."""
        key = str(self._dir(spec) / target)
        with self._write_lock:
            writer = self._loading.get(key)
            if writer is None:
                writer = self._loading[key] = self._writer(self._open(spec, target), _LOAD_HEAP, 2)
            last = self._loaded_upto.get(key)
            for doc_id, doc in rows:
                if last is None or doc_id > last:
                    last = doc_id
                else:
                    writer.delete_documents_by_term("id", doc_id)
                writer.add_json(doc)
            self._loaded_upto[key] = last
        return len(rows)

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        self.ensure_index(spec)
        self._apply(spec, self._current(spec), [(i, v, None) for i, v in ids])

    # -- contract: reads --------------------------------------------------------------
    def _searcher(self, spec: IndexSpec) -> tuple[tantivy.Searcher, tantivy.Schema] | None:
        live = self._view(spec)
        if live is None:
            return None
        return live.index.searcher(), live.index.schema

    @staticmethod
    def _live_only(schema: tantivy.Schema, query: tantivy.Query | None = None) -> tantivy.Query:
        """``query``'s matches (with None, every document) that are not tombstones.
        Tombstones are few, so leaving them out is a seek into a short posting list per
        match; requiring ``live`` 1 intersected each match with a posting list of the
        whole index and scored it too (ranking the 64 best of 有限's 75,000 firms at
        100,000: 1.6 ms against 0.5)."""
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query if query is not None else tantivy.Query.all_query()),
                (tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "live", 0)),
            ]
        )

    def _documents(self, searcher: tantivy.Searcher, addresses: list) -> list[Document]:
        out = []
        for address in addresses:
            doc = searcher.doc(address)
            out.append(Document(doc["id"][0], doc["version"][0], orjson.loads(doc["source"][0])))
        return out

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None:
        return self.get_many(spec, [doc_id]).get(doc_id)

    def get_many(self, spec: IndexSpec, ids: list[str]) -> dict[str, Document]:
        view = self._searcher(spec)
        if view is None or not ids:
            return {}
        searcher, schema = view
        out: dict[str, Document] = {}
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            query = self._live_only(schema, tantivy.Query.term_set_query(schema, "id", chunk))
            hits = searcher.search(query, len(chunk) + 1, count=False).hits
            for d in self._documents(searcher, [a for _, a in hits]):
                out[d.id] = d
        return out

    def versions(self, spec: IndexSpec) -> dict[str, int]:
        view = self._searcher(spec)
        if view is None:
            return {}
        searcher, schema = view
        live = self._live_only(schema)
        n = _count(searcher, live)
        out = {}
        for _, address in searcher.search(live, max(1, n), count=False).hits:
            doc = searcher.doc(address)
            out[doc["id"][0]] = doc["version"][0]
        return out

    def count(self, spec: IndexSpec) -> int:
        view = self._searcher(spec)
        if view is None:
            return 0
        searcher, schema = view
        return _count(searcher, self._live_only(schema))

    def starting_with(self, spec: IndexSpec, field: str, value: str, size: int) -> list[SearchHit]:
        view = self._searcher(spec)
        if view is None:
            return []
        searcher, schema = view
        query = self._live_only(schema, self._starting(spec, schema, field, value))
        hits = searcher.search(
            query, size, count=False, order_by_field=_kw(field), order=tantivy.Order.Asc
        ).hits
        # Equal values (two firms of one name) in code order, as the other backends.
        docs = self._documents(searcher, [a for _, a in hits])
        rows = sorted(
            zip([v for v, _ in hits], docs, strict=True),
            key=lambda vd: (vd[0], str(vd[1].source.get(spec.sort_field) or "")),
        )
        return [SearchHit(d.id, 0.0, d.source, (v,)) for v, d in rows]

    @staticmethod
    def _starting(spec: IndexSpec, schema: tantivy.Schema, field: str, value: str) -> tantivy.Query:
        """The keyword ``field`` starts with ``value``: one term of its prefixes where they
        are indexed (a regular expression over the names would open the posting list of
        every name it matches: 苏州 took 385 ms at 200,000 firms), else that expression."""
        if field in _starts_indexed(spec) and len(value) <= MAX_PREFIX:
            return tantivy.Query.term_query(schema, _pre(field), value, index_option="basic")
        return tantivy.Query.regex_query(schema, _kw(field), _regex_escape(value) + "(?s:.*)")

    # -- contract: search -------------------------------------------------------------
    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        if not query.near_misses:
            return self._search(spec, query)
        task = _Timed(functools.partial(self._search, spec, query))
        future = _near_miss_runner().submit(task)
        waited_until = time.monotonic() + NEAR_MISS_WAIT_SECONDS
        while True:
            # The thread's CPU time never runs ahead of the wall clock: waiting out the
            # budget still left can only end early, never overshoot it.
            left = NEAR_MISS_SECONDS - task.cpu_seconds()
            if left <= 0 or time.monotonic() >= waited_until:
                future.cancel()  # one still waiting for the thread never starts
                return SearchResult.nothing(query)
            try:
                return future.result(timeout=max(left, 0.005))
            except concurrent.futures.TimeoutError:
                continue

    def _search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        live = self._view(spec)
        if live is None:
            return SearchResult.nothing(query)
        # The commit counter before the searcher: what is counted on this searcher is
        # never older than the commit it is remembered under (``_counted``).
        counted_at = (spec.name, live.generation, live.seq)
        searcher, schema = live.index.searcher(), live.index.schema
        text = query.text.strip()
        must = self._filters(spec, schema, query)
        text_q = None
        if text and looks_like_uscc(text):
            must.append(tantivy.Query.term_query(schema, _kw(spec.id_field), uscc_of(text)))
        elif text:
            if not query_terms(text):
                return SearchResult.nothing(query)
            text_q = self._text_query(spec, schema, query, scored=False)
            if text_q is None:
                return SearchResult.nothing(query)
        if text_q is not None:
            must.append(text_q)
        matched = self._live_only(schema, self._all(must) if must else None)
        if query.facets:
            total, facets = self._counted(counted_at, searcher, matched, query)
        else:
            total, facets = _count(searcher, matched), {}
        if total == 0:
            return SearchResult(0, [], {f: [] for f in query.facets})
        if query.sort in {"score", "date"} or text_q is None:
            hits = self._by_key(spec, searcher, schema, matched, query)
        elif total <= RANK_LIMIT:
            must[-1] = self._text_query(spec, schema, query)  # the same matches, scored
            scored = self._live_only(schema, self._all(must))
            hits = self._ranked(spec, searcher, schema, scored, query, total)
        else:
            hits = self._exact_then_code(spec, searcher, schema, matched, query)
        return SearchResult(total, hits, facets)

    @staticmethod
    def _all(queries: list) -> tantivy.Query:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])

    @staticmethod
    def _any(queries: list) -> tantivy.Query:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def _filters(self, spec: IndexSpec, schema: tantivy.Schema, query: SearchQuery) -> list:
        out = []
        for field, values in query.filters.items():
            if values:
                out.append(tantivy.Query.term_set_query(schema, _kw(field), list(values)))
        if spec.date_field and (query.date_from or query.date_to):
            out.append(
                _range(
                    schema,
                    "date_num",
                    tantivy.FieldType.Unsigned,
                    max(1, _date_num(query.date_from)),
                    _date_num(query.date_to) if query.date_to else 99_999_999,
                )
            )
        return out

    @staticmethod
    def _phrase(schema: tantivy.Schema, field: str, words: list) -> tantivy.Query:
        """``words`` (tokens, or (position, token) pairs) as a phrase in ``field``. A plain
        phrase of two tokens or more is matched on the field's token pairs: one term for
        two characters (有限, a quarter of the registry, costs a posting list, not
        positions), a phrase of fewer, rarer terms for more."""
        if all(isinstance(w, str) for w in words):
            if len(words) == 1:
                return tantivy.Query.term_query(schema, field, words[0], index_option="freq")
            pairs = _bigrams(words)
            if len(pairs) == 1:
                return tantivy.Query.term_query(
                    schema, _pairs(field), pairs[0], index_option="freq"
                )
            return tantivy.Query.phrase_query(schema, _pairs(field), pairs)
        return tantivy.Query.phrase_query(schema, field, words)

    def _text_query(
        self, spec: IndexSpec, schema: tantivy.Schema, query: SearchQuery, scored: bool = True
    ) -> tantivy.Query | None:
        """The text's phrases in the text fields, boosted by field. Unless ``scored``
        (counting, facets, orders by key), the same matches from fewer clauses: no boosts,
        and a phrase that another choice of its part lies within is left out (服装鞋帽, 服装's
        industry, matches only where 服装 does), which cost a positional match per
        document (a count of 服装 at a million: 8.4 ms with it, 0.8 without)."""
        fields = query.text_fields_of(spec)
        if query.near_misses:
            names = [f for f in fields if not spec.near_miss_fields or f in spec.near_miss_fields]
            should = []
            for alt in query.near_misses:
                parts = query_terms(alt)
                for f in names:
                    for on_pairs, words in _near_words(parts):
                        phrase = (
                            tantivy.Query.phrase_query(schema, _pairs(f), words)
                            if on_pairs
                            else self._phrase(schema, f, words)
                        )
                        should.append(tantivy.Query.boost_query(phrase, fields[f]))
            return self._any(should) if should else None
        groups = []
        for choices in query.phrase_choices():
            if scored:
                clauses = [
                    tantivy.Query.boost_query(self._phrase(schema, f, p), w)
                    for p in choices
                    for f, w in fields.items()
                ]
            else:
                clauses = [self._phrase(schema, f, p) for p in _innermost(choices) for f in fields]
            groups.append(self._any(clauses))
        return self._all(groups) if groups else None

    def _counted(
        self,
        counted_at: tuple[str, str, int],
        searcher: tantivy.Searcher,
        matched: tantivy.Query,
        query: SearchQuery,
    ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """``_count_and_facets``, remembered for a search that matched more than
        RANK_LIMIT: the same for every page, page size and order, and the costliest part
        of such a search (有限: 747,785 firms at a million, about 50 ms), so another page
        of it costs only its page. Under the commit it was counted on: any commit or swap
        moves the counter and the next search counts again, so nothing is stale."""
        key = (*counted_at, repr(replace(query, page=1, size=1, after=None, sort="")))
        with self._counts_lock:
            known = self._counts.get(key)
            if known is not None:
                self._counts.move_to_end(key)
                return known[0], {f: list(b) for f, b in known[1].items()}
        total, facets = self._count_and_facets(searcher, matched, query)
        if total > RANK_LIMIT:
            with self._counts_lock:
                self._counts[key] = (total, facets)
                if len(self._counts) > _COUNTS_REMEMBERED:
                    self._counts.popitem(last=False)
        return total, facets

    @staticmethod
    def _count_and_facets(
        searcher: tantivy.Searcher, matched: tantivy.Query, query: SearchQuery
    ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """The number of matches and the facets, from one pass of the aggregation
        collector (a separate count was a second pass over every match)."""
        aggs = {f: {"terms": {"field": _kw(f), "size": 10_000}} for f in query.facets}
        aggs[_TOTAL] = _COUNT_AGG
        result = searcher.aggregate(matched, aggs)
        out = {}
        for f in query.facets:
            buckets = [(str(b["key"]), int(b["doc_count"])) for b in result[f]["buckets"]]
            out[f] = sorted(buckets, key=lambda vn: (-vn[1], vn[0]))[:50]
        return _total_of(result), out

    def _by_key(
        self,
        spec: IndexSpec,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        matched: tantivy.Query,
        query: SearchQuery,
    ) -> list[SearchHit]:
        """Sorted by score or date (descending, absent last) or, with no text, by code;
        ties by code. The sort values have the shapes ``api.v1.search.CURSOR_SHAPES``
        declares for the embedded backend."""
        order = query.sort if query.sort in ("score", "date") else "relevance"
        offset, size = query.offset, query.size
        if query.after is not None:
            key = str(query.after[-1])
            if order == "relevance":
                beyond = _key_after(schema, key)
            else:
                first = query.after[0]
                if order == "score":
                    num, kind = (
                        (-1 if first in (None, "") else int(first)),
                        tantivy.FieldType.Integer,
                    )
                    name = "score_num"
                else:
                    num, kind, name = _date_num(first), tantivy.FieldType.Unsigned, "date_num"
                lower = -(2**62) if kind == tantivy.FieldType.Integer else 0
                beyond = self._any(
                    [
                        _range(schema, name, kind, lower, num, include_upper=False),
                        self._all([_range(schema, name, kind, num, num), _key_after(schema, key)]),
                    ]
                )
            matched = self._all([matched, beyond])
        addresses = self._page(searcher, schema, matched, _ORDERS[order], offset, size)
        out = []
        for d in self._documents(searcher, addresses):
            key = str(d.source.get(spec.sort_field) or "")
            if order == "score":
                value = d.source.get(spec.score_field)
                sort = (-1 if value is None else value, key)
            elif order == "date":
                sort = (d.source.get(spec.date_field) or "", key)
            else:
                sort = (0, 0.0, key)
            out.append(SearchHit(d.id, 0.0, d.source, sort))
        return out

    def _ranked(
        self,
        spec: IndexSpec,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        matched: tantivy.Query,
        query: SearchQuery,
        total: int,
    ) -> list[SearchHit]:
        """Ordered by tier (exact name, then name prefix, then the rest), BM25 score over
        the boosted phrases, then code. The tiers are constant scores added to BM25, so
        tantivy's top-k collector ranks them together: only the page (and the hits that
        tie with its last one, to order them by code) ever reaches Python."""
        wanted = fold(query.text.strip())
        should = [
            tantivy.Query.const_score_query(
                tantivy.Query.term_query(schema, _kw(spec.exact_field), wanted), EXACT_BONUS
            )
        ]
        if spec.prefix_field:
            should.append(
                tantivy.Query.const_score_query(
                    self._starting(spec, schema, spec.prefix_field, wanted), PREFIX_BONUS
                )
            )
        ranked = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, matched), *((tantivy.Occur.Should, q) for q in should)]
        )
        offset, size = query.offset, query.size
        # Past a cursor: everything down to its score is needed to find where it stands.
        need = total if query.after is not None else min(total, offset + size)
        limit = min(total, max(64, need + 1))
        while True:
            hits = searcher.search(ranked, limit, count=False).hits
            if limit >= total or hits[-1][0] < hits[need - 1][0]:
                break  # every hit that ties with the last one needed is here
            limit = min(total, limit * 4)
        # The hits come best first; only those that can be on the page are ordered by
        # code: down to the last one needed and its tie, or (past a cursor) from the
        # cursor's score on. Keys are compared as tuples in C (heapq, zip): building
        # a Python key per hit cost 27 ms for a tie of 11,000 firms (展专 at a million).
        scores = [-score for score, _ in hits]
        if query.after is None:
            mark = None
            hits = hits[: bisect.bisect_right(scores, scores[need - 1])]
        else:
            mark = (-float(query.after[1]), *_chunks(str(query.after[2])))
            start = bisect.bisect_left(scores, mark[0])
            hits, offset = hits[start:], 0
        addresses = [a for _, a in hits]
        columns = [searcher.fast_field_values(f"sort_c{i}", addresses) for i in range(SORT_CHUNKS)]
        keys = zip([-score for score, _ in hits], *columns, range(len(hits)), strict=True)
        if mark is not None:
            keys = (k for k in keys if k[:-1] > mark)
        page = [hits[k[-1]] for k in heapq.nsmallest(offset + size, keys)[offset:]]
        docs = self._documents(searcher, [a for _, a in page])
        return [
            SearchHit(
                d.id,
                score,
                d.source,
                (_tier(score), score, str(d.source.get(spec.sort_field) or "")),
            )
            for (score, _), d in zip(page, docs, strict=True)
        ]

    def _exact_then_code(
        self,
        spec: IndexSpec,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        matched: tantivy.Query,
        query: SearchQuery,
    ) -> list[SearchHit]:
        """Too many to rank: the exact-name matches first, the rest in code order."""
        wanted = fold(query.text.strip())
        exact_term = tantivy.Query.term_query(schema, _kw(spec.exact_field), wanted)
        exact_hits = searcher.search(
            self._all([matched, exact_term]),
            1000,
            count=False,
            order_by_field="sort_key",
            order=tantivy.Order.Asc,
        ).hits
        first = [(2, key, a) for key, a in exact_hits]
        offset, size = query.offset, query.size
        after = query.after
        if after is None:
            rows = first[offset : offset + size]
            rest_offset = max(0, offset - len(first))
        else:
            rows = [r for r in first if after[0] == 2 and r[1] > after[2]][:size]
            rest_offset = 0
        if len(rows) < size:
            rest = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, matched),
                    (tantivy.Occur.MustNot, exact_term),
                ]
            )
            if after is not None and after[0] == 0:
                rest = self._all([rest, _key_after(schema, str(after[2]))])
            addresses = self._page(
                searcher, schema, rest, _ORDERS["relevance"], rest_offset, size - len(rows)
            )
            rows += [(0, None, a) for a in addresses]
        docs = self._documents(searcher, [r[2] for r in rows])
        return [
            SearchHit(d.id, 0.0, d.source, (r[0], 0.0, str(d.source.get(spec.sort_field) or "")))
            for r, d in zip(rows, docs, strict=True)
        ]

    @classmethod
    def _page(
        cls,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        matched: tantivy.Query,
        order: tuple[tuple[str, tantivy.FieldType, tantivy.Order], ...],
        offset: int,
        size: int,
        at_least: int = 0,
    ) -> list:
        """The addresses at positions ``offset`` to ``offset + size`` of ``matched`` in
        ``order``: numeric fast fields compared one after the other (a value, then the
        sort key's numbers, ``_chunks``). Ordering by a text fast field costs tantivy a
        dictionary look-up per document skipped (page 40 of a violations list: 47 ms);
        numbers cost nothing to compare (0.8 ms). A tie on one field is ordered by the
        next ones: here from their fast field values when the whole tie was fetched; by
        a search among the tied documents only for the tie the fetch cut off. A few
        more than the page are fetched (``_PAST_PAGE``), so a small tie on its edge is
        seen whole: a second search cost as much as the first (page 2 of 茶叶, 132,000
        firms at a million: 30 ms with it, 24 without)."""
        if size <= 0:
            return []
        (name, kind, direction), rest = order[0], order[1:]
        want = offset + size
        fetch = max(want + _PAST_PAGE, at_least)
        hits = searcher.search(
            matched, fetch, count=False, order_by_field=name, order=direction
        ).hits
        complete = len(hits) < fetch  # every match is here
        out: list = []
        start = 0
        while start < min(len(hits), want):
            value = hits[start][0]
            end = start
            while end < len(hits) and hits[end][0] == value:
                end += 1
            first, last = max(start, offset), min(end, want)  # the page's part of this tie
            if first < last:
                tie = [a for _, a in hits[start:end]]
                whole = end < len(hits) or complete
                if not rest or (len(tie) == 1 and whole):
                    out.extend(tie[first - start : last - start])
                elif whole:  # ordered by the next fields' values, without a search
                    out.extend(cls._sorted(searcher, tie, rest)[first - start : last - start])
                else:  # the fetch cut this tie off: fetch it (most ties are small) alone
                    tied = cls._all([matched, _range(schema, name, kind, value, value)])
                    out.extend(
                        cls._page(
                            searcher, schema, tied, rest, first - start, last - first, _TIE_FETCH
                        )
                    )
            start = end
        return out

    @staticmethod
    def _sorted(
        searcher: tantivy.Searcher,
        addresses: list,
        order: tuple[tuple[str, tantivy.FieldType, tantivy.Order], ...],
    ) -> list:
        """``addresses`` in ``order``, by their fast field values: a tie found whole
        costs no further search (one search per tie made a page ten searches)."""
        columns = []
        for name, _, direction in order:
            values = searcher.fast_field_values(name, addresses)
            columns.append([-v for v in values] if direction == tantivy.Order.Desc else values)
        keys = list(zip(*columns, strict=True))
        return [addresses[i] for i in sorted(range(len(addresses)), key=keys.__getitem__)]


class _Timed:
    """A call that measures its own thread's CPU time from when it starts, so the request
    waiting for it can stop at a CPU budget: the same search is given up, or not, on an
    idle and on a loaded host (a wall-clock deadline made relevance depend on the load)."""

    def __init__(self, call: Callable[[], SearchResult]) -> None:
        self._call = call
        self._clock: int | None = None
        self._start = 0.0

    def __call__(self) -> SearchResult:
        clock = time.pthread_getcpuclockid(threading.get_ident())
        self._start = time.clock_gettime(clock)
        self._clock = clock
        return self._call()

    def cpu_seconds(self) -> float:
        """CPU time spent so far (0 before it starts)."""
        clock = self._clock
        return 0.0 if clock is None else time.clock_gettime(clock) - self._start


_near_miss_pool: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None
_near_miss_pool_lock = threading.Lock()


def _near_miss_runner() -> concurrent.futures.ThreadPoolExecutor:
    """This process's one near-miss thread (made after a fork: a thread is not inherited)."""
    global _near_miss_pool
    with _near_miss_pool_lock:
        if _near_miss_pool is None or _near_miss_pool[0] != os.getpid():
            pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="near-miss")
            _near_miss_pool = (os.getpid(), pool)
        return _near_miss_pool[1]


def _innermost(phrases: list[list[str]]) -> list[list[str]]:
    """``phrases`` without those that hold another of them as a run of tokens: where the
    longer one matches, so does the shorter (the first of equal phrases is kept)."""

    def within(inner: list[str], outer: list[str]) -> bool:
        n = len(inner)
        return any(outer[i : i + n] == inner for i in range(len(outer) - n + 1))

    return [
        p
        for i, p in enumerate(phrases)
        if not any(
            within(o, p) and (len(o) < len(p) or j < i) for j, o in enumerate(phrases) if j != i
        )
    ]


def _near_words(parts: list[list[str]]) -> list[tuple[bool, list]]:
    """The positional phrases of a near miss, each with whether it is on the token pairs:
    one phrase as it is, or two at most one token apart in either order (``(position,
    term)`` pairs leave the gap). Two parts of two tokens or more are matched on the pairs
    (a pair at its first token's position), where their terms are rare and quick; a part of
    one token has no pair of its own, so those stay on the tokens."""
    if len(parts) == 1:
        return [(False, parts[0])]
    a, b = parts
    on_pairs = len(a) > 1 and len(b) > 1
    out = []
    for first, second in ((a, b), (b, a)):
        for gap in (0, 1):
            start = len(first) + gap
            if on_pairs:
                words = list(enumerate(_bigrams(first)))
                words += [(start + i, t) for i, t in enumerate(_bigrams(second))]
            else:
                words = list(enumerate(first))
                words += [(start + i, t) for i, t in enumerate(second)]
            out.append((on_pairs, words))
    return out


def _date_num(value: Any) -> int:
    """An ISO date as a number (20260410), 0 when absent."""
    digits = "".join(ch for ch in str(value or "")[:10] if ch.isdigit())
    return int(digits) if len(digits) == 8 else 0


def _range(
    schema: tantivy.Schema,
    field: str,
    kind: tantivy.FieldType,
    lower: int,
    upper: int,
    include_upper: bool = True,
) -> tantivy.Query:
    return tantivy.Query.range_query(
        schema, field, kind, lower, upper, include_lower=True, include_upper=include_upper
    )


def _key_after(schema: tantivy.Schema, key: str) -> tantivy.Query:
    """Documents whose sort key comes after ``key``: compared chunk by chunk."""
    chunks = _chunks(key)
    top = 2**64 - 1
    options = []
    for i, chunk in enumerate(chunks):
        if chunk == top:
            continue
        same = [
            _range(schema, f"sort_c{j}", tantivy.FieldType.Unsigned, c, c)
            for j, c in enumerate(chunks[:i])
        ]
        greater = _range(schema, f"sort_c{i}", tantivy.FieldType.Unsigned, chunk + 1, top)
        options.append(TantivyBackend._all([*same, greater]))
    return TantivyBackend._any(options) if options else tantivy.Query.empty_query()


def _regex_escape(text: str) -> str:
    """``text`` literally in tantivy's regular expressions (Rust ``regex`` syntax)."""
    return "".join(f"\\{ch}" if ch.isascii() and not ch.isalnum() else ch for ch in text)
