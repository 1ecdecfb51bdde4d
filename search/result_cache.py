"""The embedded backend's result cache: a per-process LRU in front of a SQLite file that
every worker process shares.

Keys name the exact state of the index a result was computed on (its live generation and
change counter, read in the search's own snapshot) and the whole query, so an entry is
never stale: a change makes new keys, and old entries are just never asked for again (the
shared file drops the oldest past its size). The shared file lets a search one worker has
answered be a hit in the others, as Elasticsearch's node-wide request cache is; it is a
cache only, so any error reading or writing it counts as a miss.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading

import orjson
from cachetools import LRUCache

from search.backend import SearchHit, SearchResult

#: The shared file keeps this many times the per-process size, oldest dropped first.
SHARED_FACTOR = 2
_PRUNE_EVERY = 256  # writes between prunings of the shared file


class ResultCache:
    def __init__(self, shared_path: str | None, size: int):
        self.size = size
        self._lru: LRUCache = LRUCache(size)
        self._lock = threading.Lock()
        self._shared_path = shared_path
        self._local = threading.local()
        self._writes = 0

    def get(self, key: tuple) -> SearchResult | None:
        with self._lock:
            found = self._lru.get(key)
        if found is not None:
            return found
        conn = self._shared()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT value FROM results WHERE key = ?", (_digest(key),)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        found = _decode(row[0])
        with self._lock:
            self._lru[key] = found
        return found

    def put(self, key: tuple, result: SearchResult) -> None:
        with self._lock:
            self._lru[key] = result
            self._writes += 1
            prune = self._writes % _PRUNE_EVERY == 0
        conn = self._shared()
        if conn is None:
            return
        try:
            conn.execute(
                "INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)",
                (_digest(key), _encode(result)),
            )
            if prune:
                conn.execute(
                    "DELETE FROM results WHERE rowid <= (SELECT max(rowid) FROM results) - ?",
                    (self.size * SHARED_FACTOR,),
                )
        except sqlite3.Error:
            pass  # busy or full: the next search computes it again

    def _shared(self) -> sqlite3.Connection | None:
        if self._shared_path is None:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self._shared_path, timeout=0.05, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")  # a cache: losing it loses nothing
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
                )
            except sqlite3.Error:
                return None
            self._local.conn = conn
        return conn


def _digest(key: tuple) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


def _encode(result: SearchResult) -> bytes:
    return orjson.dumps(
        {
            "t": result.total,
            "h": [[h.id, h.score, h.source, list(h.sort)] for h in result.hits],
            "f": result.facets,
        }
    )


def _decode(value: bytes) -> SearchResult:
    raw = orjson.loads(value)
    return SearchResult(
        raw["t"],
        [SearchHit(i, s, src, tuple(sort)) for i, s, src, sort in raw["h"]],
        {f: [tuple(b) for b in buckets] for f, buckets in raw["f"].items()},
    )
