"""The embedded search backend: SQLite FTS5 in a file of its own, no server to run.

Text is stored pre-analysed (``backend.analyze``: one token per CJK character, lower-cased
alphanumeric words) separated by spaces, so FTS5's ``unicode61`` tokenizer sees exactly the
tokens Elasticsearch's standard analyzer produces, and a query term is an FTS5 phrase: the
same adjacency semantics as ``match_phrase``. Values of a multi-valued field are joined with
two gap tokens so neither a phrase nor a near miss's two phrases span two values
(Elasticsearch's position_increment_gap).
Keyword fields live in a side table for filters and facets. Writes are versioned like
Elasticsearch's ``external_gte``: an older version never overwrites a newer one.

Like Elasticsearch's aliases, each logical index points at a physical generation of
tables; a rebuild fills a new generation and swaps the pointer in one transaction.

Results are cached (``search.result_cache``: per process, and in a file beside the index
that the worker processes share), as Elasticsearch's request cache does. Every change to
an index bumps its change counter in the same transaction, and a search reads the counter
in its own snapshot, so a cached result is served only for the exact state of the index
it was computed on: never stale, just not recomputed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from search.backend import (
    NEAR_MISS_SECONDS,
    RANK_LIMIT,
    Document,
    IndexSpec,
    SearchHit,
    SearchQuery,
    SearchResult,
    WriteResult,
    analyze,
    fold,
    keyword_values,
    looks_like_uscc,
    query_terms,
    text_tokens,
    uscc_of,
)
from search.result_cache import ResultCache

#: The table layout; part of every table name, so a new layout starts empty beside the
#: old one and ``flask search check`` (run by ``make run``) fills it.
#: 2: narrow docs rows (keys and the facet tuple), sources in a table of their own.
#: 3: the facet fields as columns of the docs row (f0, f1, ...): filters on them cost
#:    nothing once the row is read, and all facets take one GROUP BY.
#: 4: two gap tokens between values (near misses, see ``backend.GAP_TOKENS``).
LAYOUT = 4
#: How often (in SQLite virtual-machine steps, about a millisecond) a near-miss search
#: checks its time budget.
PROGRESS_STEPS = 20_000
#: A query phrase of this many tokens is scored in the pass that finds its matches.
LONG_PHRASE = 5


def _text_value(value: Any) -> str:
    return " ".join(text_tokens(value))


class EmbeddedBackend:
    """SearchBackend on SQLite FTS5. Thread-safe: one connection per thread."""

    name = "embedded"

    def __init__(self, path: str, prefix: str = "credit", cache_size: int = 2048):
        self.path = path
        self.prefix = prefix
        self._local = threading.local()
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._cache = (
            ResultCache(None if path == ":memory:" else f"{path}-results", cache_size)
            if cache_size
            else None
        )

    # -- plumbing ---------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # the index is rebuildable from the DB
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.prefix}_alias" ('
                "logical TEXT PRIMARY KEY, physical TEXT NOT NULL)"
            )
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.prefix}_changes" ('
                "logical TEXT PRIMARY KEY, seq INTEGER NOT NULL)"
            )
            # A search's matches, once per connection and outside any transaction: made
            # inside one, it would be rolled back with it, and remaking it each search
            # changes the schema, which makes SQLite re-read the whole schema (~1.4 ms).
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS m (doc INTEGER PRIMARY KEY, "
                "tier INTEGER, score REAL)"
            )
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _logical(self, spec: IndexSpec) -> str:
        return f"{self.prefix}_{spec.name}_v{spec.version}_l{LAYOUT}".replace("-", "_")

    def _physical(self, spec: IndexSpec) -> str | None:
        row = (
            self._conn()
            .execute(
                f'SELECT physical FROM "{self.prefix}_alias" WHERE logical = ?',
                (self._logical(spec),),
            )
            .fetchone()
        )
        return row[0] if row else None

    def _bump(self, c: sqlite3.Connection, spec: IndexSpec) -> None:
        """Count a change to the index, inside the transaction making it: cached results
        of the index stop being served when it commits."""
        c.execute(
            f'INSERT INTO "{self.prefix}_changes" VALUES (?, 1) '
            "ON CONFLICT (logical) DO UPDATE SET seq = seq + 1",
            (self._logical(spec),),
        )

    def _state(self, c: sqlite3.Connection, spec: IndexSpec) -> tuple[str | None, int]:
        """The live generation and the change counter, as the current snapshot sees them."""
        row = c.execute(
            f'SELECT a.physical, COALESCE(ch.seq, 0) FROM "{self.prefix}_alias" a '
            f'LEFT JOIN "{self.prefix}_changes" ch ON ch.logical = a.logical '
            "WHERE a.logical = ?",
            (self._logical(spec),),
        ).fetchone()
        return (row[0], row[1]) if row else (None, 0)

    def _tables(self, physical: str) -> tuple[str, str, str, str]:
        """docs: one narrow row per document (id, version, sort keys, the facet tuple);
        fts: its text; kw: its keyword values; src: its source, read only for hits."""
        return (f'"{physical}_docs"', f'"{physical}_fts"', f'"{physical}_kw"', f'"{physical}_src"')

    def _live(self, spec: IndexSpec) -> tuple[str, str, str, str]:
        physical = self._physical(spec)
        if physical is None:
            self.ensure_index(spec)
            physical = self._physical(spec)
        return self._tables(physical)

    def _create(self, spec: IndexSpec, physical: str, indexes: bool = True) -> None:
        docs, fts, kw, src = self._tables(physical)
        cols = ", ".join(f'"{f}"' for f in spec.indexed_text_fields)
        facet_cols = "".join(f", f{i} TEXT" for i in range(len(spec.facet_fields)))
        self._conn().executescript(f"""
            CREATE TABLE IF NOT EXISTS {docs} (
                rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0, sort_key TEXT, score_key INTEGER,
                date_key TEXT{facet_cols});
            CREATE TABLE IF NOT EXISTS {src} (rowid INTEGER PRIMARY KEY, source TEXT NOT NULL);
            CREATE VIRTUAL TABLE IF NOT EXISTS {fts}
                USING fts5({cols}, tokenize='unicode61', detail=full);
            CREATE TABLE IF NOT EXISTS {kw} (
                doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
        """)
        if indexes:
            self._create_indexes(physical)

    def _create_indexes(self, physical: str) -> None:
        """Secondary indexes; a rebuild adds them after loading (much faster than
        maintaining them row by row)."""
        docs, _, kw, _ = self._tables(physical)
        self._conn().executescript(f"""
            CREATE INDEX IF NOT EXISTS "{physical}_docs_sort" ON {docs} (deleted, sort_key);
            CREATE INDEX IF NOT EXISTS "{physical}_docs_score" ON {docs}
                (deleted, score_key DESC, sort_key);
            CREATE INDEX IF NOT EXISTS "{physical}_docs_date" ON {docs}
                (deleted, date_key DESC, sort_key);
            CREATE INDEX IF NOT EXISTS "{physical}_kw_fv" ON {kw} (field, value, doc);
            CREATE INDEX IF NOT EXISTS "{physical}_kw_doc" ON {kw} (doc, field, value);
        """)

    def _drop_tables(self, physical: str) -> None:
        for table in self._tables(physical):
            self._conn().execute(f"DROP TABLE IF EXISTS {table}")

    def _generations(self, spec: IndexSpec) -> list[str]:
        base = self._logical(spec)
        rows = (
            self._conn()
            .execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                (f"{base}_g%_docs",),
            )
            .fetchall()
        )
        return sorted({r[0][: -len("_docs")] for r in rows})

    # -- contract ---------------------------------------------------------------------
    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def health(self) -> dict[str, Any] | None:
        return None  # one file, no cluster

    def ensure_index(self, spec: IndexSpec) -> None:
        if self._physical(spec) is not None:
            return
        physical = f"{self._logical(spec)}_g1"
        self._create(spec, physical)
        self._conn().execute(
            f'INSERT OR IGNORE INTO "{self.prefix}_alias" VALUES (?, ?)',
            (self._logical(spec), physical),
        )

    def begin_rebuild(self, spec: IndexSpec) -> str:
        self.ensure_index(spec)
        numbers = [int(g.rsplit("_g", 1)[1]) for g in self._generations(spec)]
        physical = f"{self._logical(spec)}_g{max(numbers, default=0) + 1}"
        self._create(spec, physical, indexes=False)
        return physical

    def finish_rebuild(self, spec: IndexSpec, target: str) -> None:
        c = self._conn()
        self._create_indexes(target)
        fts = self._tables(target)[1]
        c.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")  # one segment: faster
        c.execute("BEGIN IMMEDIATE")
        old = self._physical(spec)
        c.execute(
            f'UPDATE "{self.prefix}_alias" SET physical = ? WHERE logical = ?',
            (target, self._logical(spec)),
        )
        self._bump(c, spec)
        c.execute("COMMIT")
        if old and old != target:
            self._drop_tables(old)

    def drop(self, spec: IndexSpec) -> None:
        for physical in self._generations(spec):
            self._drop_tables(physical)
        self._conn().execute(
            f'DELETE FROM "{self.prefix}_alias" WHERE logical = ?', (self._logical(spec),)
        )
        self._bump(self._conn(), spec)

    def write(
        self,
        spec: IndexSpec,
        docs: list[Document],
        visible: bool = False,
        target: str | None = None,
    ) -> WriteResult:
        # A commit is visible at once here: ``visible`` needs nothing more.
        if target:
            try:
                return self._load(spec, self._tables(target), docs)
            except sqlite3.IntegrityError:  # an id seen before: take the versioned path
                pass
        tables = self._tables(target) if target else self._live(spec)
        return self._apply(spec, tables, [(d.id, d.version, d.source) for d in docs])

    def _load(
        self, spec: IndexSpec, tables: tuple[str, str, str], docs: list[Document]
    ) -> WriteResult:
        """Bulk insert into a generation being rebuilt, where each id arrives once."""
        c = self._conn()
        table, fts, kw, src_table = tables
        names = ", ".join(f'"{f}"' for f in spec.indexed_text_fields)
        marks = ", ".join("?" for _ in spec.indexed_text_fields)
        c.execute("BEGIN IMMEDIATE")
        try:
            first = c.execute(f"SELECT COALESCE(max(rowid), 0) + 1 FROM {table}").fetchone()[0]
            rows, sources, texts, keywords = [], [], [], []
            for rowid, d in enumerate(docs, start=first):
                src = d.source
                rows.append((rowid, d.id, d.version, *_keys(spec, src)))
                sources.append((rowid, json.dumps(src, ensure_ascii=False)))
                texts.append((rowid, *(_text_value(src.get(f)) for f in spec.indexed_text_fields)))
                keywords.extend(
                    (rowid, f, v) for f in spec.keyword_fields for v in keyword_values(src.get(f))
                )
            c.executemany(
                f"INSERT INTO {table} (rowid, id, version, deleted, sort_key, "
                f"score_key, date_key{_facet_cols(spec)}) VALUES "
                f"(?,?,?,0,?,?,?{_facet_marks(spec)})",
                rows,
            )
            c.executemany(f"INSERT INTO {src_table} (rowid, source) VALUES (?,?)", sources)
            c.executemany(f"INSERT INTO {fts} (rowid, {names}) VALUES (?, {marks})", texts)
            c.executemany(f"INSERT INTO {kw} (doc, field, value) VALUES (?,?,?)", keywords)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return WriteResult(len(docs), 0)

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        self._apply(spec, self._live(spec), [(i, v, None) for i, v in ids])

    def _apply(
        self,
        spec: IndexSpec,
        tables: tuple[str, str, str],
        items: list[tuple[str, int, dict | None]],
    ) -> WriteResult:
        c = self._conn()
        docs, fts, kw, src = tables
        written = skipped = 0
        names = ", ".join(f'"{f}"' for f in spec.indexed_text_fields)
        marks = ", ".join("?" for _ in spec.indexed_text_fields)
        c.execute("BEGIN IMMEDIATE")
        try:
            for doc_id, version, source in items:
                row = c.execute(
                    f"SELECT rowid, version FROM {docs} WHERE id = ?", (doc_id,)
                ).fetchone()
                if row is not None and row[1] > version:
                    skipped += 1  # external_gte: never regress a newer document
                    continue
                keys = (
                    (None,) * (3 + len(spec.facet_fields))
                    if source is None
                    else _keys(spec, source)
                )
                if row is not None:
                    rowid = row[0]
                    c.execute(f"DELETE FROM {fts} WHERE rowid = ?", (rowid,))
                    c.execute(f"DELETE FROM {kw} WHERE doc = ?", (rowid,))
                    c.execute(f"DELETE FROM {src} WHERE rowid = ?", (rowid,))
                    sets = "".join(f", f{i} = ?" for i in range(len(spec.facet_fields)))
                    c.execute(
                        f"UPDATE {docs} SET version = ?, deleted = ?, sort_key = ?, "
                        f"score_key = ?, date_key = ?{sets} WHERE rowid = ?",
                        (version, int(source is None), *keys, rowid),
                    )
                else:
                    # A delete is remembered as a tombstone, so a late older upsert loses.
                    rowid = c.execute(
                        f"INSERT INTO {docs} (id, version, deleted, sort_key, score_key, "
                        f"date_key{_facet_cols(spec)}) VALUES (?,?,?,?,?,?"
                        f"{_facet_marks(spec)})",
                        (doc_id, version, int(source is None), *keys),
                    ).lastrowid
                if source is not None:
                    c.execute(
                        f"INSERT INTO {src} (rowid, source) VALUES (?, ?)",
                        (rowid, json.dumps(source, ensure_ascii=False)),
                    )
                    c.execute(
                        f"INSERT INTO {fts} (rowid, {names}) VALUES (?, {marks})",
                        (rowid, *(_text_value(source.get(f)) for f in spec.indexed_text_fields)),
                    )
                    c.executemany(
                        f"INSERT INTO {kw} (doc, field, value) VALUES (?,?,?)",
                        [
                            (rowid, f, v)
                            for f in spec.keyword_fields
                            for v in keyword_values(source.get(f))
                        ],
                    )
                written += 1
            self._bump(c, spec)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return WriteResult(written, skipped)

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None:
        docs, _, _, src = self._live(spec)
        row = (
            self._conn()
            .execute(
                f"SELECT d.id, d.version, s.source FROM {docs} d CROSS JOIN {src} s "
                "ON s.rowid = d.rowid WHERE d.id = ? AND d.deleted = 0",
                (doc_id,),
            )
            .fetchone()
        )
        return Document(row[0], row[1], json.loads(row[2])) if row else None

    def get_many(self, spec: IndexSpec, ids: list[str]) -> dict[str, Document]:
        docs, _, _, src = self._live(spec)
        out: dict[str, Document] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            for doc_id, version, source in self._conn().execute(
                f"SELECT d.id, d.version, s.source FROM {docs} d CROSS JOIN {src} s "
                f"ON s.rowid = d.rowid WHERE d.deleted = 0 AND d.id IN ({marks})",
                chunk,
            ):
                out[doc_id] = Document(doc_id, version, json.loads(source))
        return out

    def starting_with(self, spec: IndexSpec, field: str, value: str, size: int) -> list[SearchHit]:
        docs, _, kw, src = self._live(spec)
        c = self._conn()
        rows = c.execute(
            f"SELECT d.rowid, d.id, 0.0, k.value FROM {kw} k CROSS JOIN {docs} d "
            "ON d.rowid = k.doc WHERE k.field = ? AND k.value >= ? AND k.value < ? "
            "AND d.deleted = 0 ORDER BY k.value, d.sort_key LIMIT ?",
            (field, value, value + "\U0010ffff", size),
        ).fetchall()
        return self._hits(c, src, rows)

    def versions(self, spec: IndexSpec) -> dict[str, int]:
        docs = self._live(spec)[0]
        return dict(self._conn().execute(f"SELECT id, version FROM {docs} WHERE deleted = 0"))

    def count(self, spec: IndexSpec) -> int:
        docs = self._live(spec)[0]
        return self._conn().execute(f"SELECT count(*) FROM {docs} WHERE deleted = 0").fetchone()[0]

    def refresh(self, spec: IndexSpec) -> None:
        """Writes are visible once committed; nothing to do."""

    # -- search -----------------------------------------------------------------------
    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        c = self._conn()
        c.execute("BEGIN")  # one snapshot for the generation, the count, page and facets
        try:
            physical, seq = self._state(c, spec)
            if physical is None:  # never created (or dropped): nothing indexed
                return SearchResult.nothing(query)
            key = (physical, seq, _query_key(query))
            if self._cache is not None:
                cached = self._cache.get(key)
                if cached is not None:
                    return replace(cached, cached=True)
            result = self._bounded_search(c, spec, self._tables(physical), query)
        finally:
            if c.in_transaction:  # an interrupted statement has rolled it back already
                c.execute("ROLLBACK")
        if self._cache is not None:
            self._cache.put(key, result)
        return result

    def _bounded_search(
        self,
        c: sqlite3.Connection,
        spec: IndexSpec,
        tables: tuple[str, str, str, str],
        query: SearchQuery,
    ) -> SearchResult:
        """``_search``, given up after ``NEAR_MISS_SECONDS`` for a near-miss search (SQLite
        interrupts the statement from its progress handler): then nothing is found."""
        if not query.near_misses:
            return self._search(c, spec, tables, query)
        deadline = time.monotonic() + NEAR_MISS_SECONDS
        c.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            return self._search(c, spec, tables, query)
        except sqlite3.OperationalError as exc:
            if "interrupted" not in str(exc):
                raise
            return SearchResult.nothing(query)
        finally:
            c.set_progress_handler(None, 0)

    def _search(
        self,
        c: sqlite3.Connection,
        spec: IndexSpec,
        tables: tuple[str, str, str, str],
        query: SearchQuery,
    ) -> SearchResult:
        docs, _, kw, src = tables
        text = query.text.strip()
        filters, filter_params = self._filter_sql(spec, kw, query)
        if text and not looks_like_uscc(text):
            phrases = query_terms(text)
            if not phrases:
                return SearchResult.nothing(query)
            return self._full_text(c, spec, tables, query, phrases, filters, filter_params)
        cond, params = "d.deleted = 0" + filters, list(filter_params)
        if text:  # a USCC: exact keyword lookup
            cond += f" AND d.rowid IN (SELECT doc FROM {kw} WHERE field = ? AND value = ?)"
            params += [spec.id_field, uscc_of(text)]
        drive = self._driver(spec, query, text)
        if drive is None and not params:  # everything: walk the sort index
            order, key, after_sql, after_params = self._order(query, None, None)
            rows = c.execute(
                f"SELECT d.rowid, d.id, 0.0, {key} FROM {docs} d WHERE {cond}{after_sql} "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                [*after_params, query.size, query.offset],
            ).fetchall()
            total = c.execute(f"SELECT count(*) FROM {docs} d WHERE {cond}").fetchone()[0]
            facets = self._facets(c, kw, query, "1", [])
        else:
            # A keyword condition (a code or a filter) finds the matches through the
            # keyword index; the page, the count and the facets come from them.
            self._reset_matches(c)
            if drive is None:  # a date range only
                c.execute(
                    f"INSERT INTO temp.m SELECT d.rowid, 0, 0.0 FROM {docs} d WHERE {cond}", params
                )
            else:
                field, values = drive
                marks = ", ".join("?" for _ in values)
                c.execute(
                    f"INSERT OR IGNORE INTO temp.m SELECT d.rowid, 0, 0.0 FROM {kw} k "
                    f"CROSS JOIN {docs} d ON d.rowid = k.doc WHERE k.field = ? "
                    f"AND k.value IN ({marks}) AND {cond}",
                    [field, *values, *params],
                )
            total = c.execute("SELECT count(*) FROM temp.m").fetchone()[0]
            order, key, after_sql, after_params = self._order(query, None, None)
            rows = c.execute(
                f"SELECT d.rowid, d.id, 0.0, {key} FROM temp.m CROSS JOIN {docs} d "
                f"ON d.rowid = m.doc WHERE 1{after_sql} ORDER BY {order} LIMIT ? OFFSET ?",
                [*after_params, query.size, query.offset],
            ).fetchall()
            facets = self._match_facets(c, spec, docs, kw, query)
        hits = self._hits(c, src, rows)
        return SearchResult(total, hits, facets)

    @staticmethod
    def _driver(
        spec: IndexSpec, query: SearchQuery, text: str
    ) -> tuple[str, tuple[str, ...]] | None:
        """The keyword condition to find a search's matches by (without text): the code
        looked up, else the filter with the fewest values; None without either."""
        if text:
            return spec.id_field, (uscc_of(text) or "",)
        filters = [(f, tuple(v)) for f, v in query.filters.items() if v]
        return min(filters, key=lambda fv: len(fv[1])) if filters else None

    @staticmethod
    def _hits(c: sqlite3.Connection, src: str, rows: list[tuple]) -> list[SearchHit]:
        """Rows of (rowid, id, score, *sort key) in order; their sources are read here,
        for the page only."""
        if not rows:
            return []
        marks = ", ".join("?" for _ in rows)
        sources = dict(
            c.execute(
                f"SELECT rowid, source FROM {src} WHERE rowid IN ({marks})", [r[0] for r in rows]
            )
        )
        return [
            SearchHit(doc_id, float(score), json.loads(sources[rowid]), tuple(key))
            for rowid, doc_id, score, *key in rows
        ]

    @staticmethod
    def _reset_matches(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM temp.m")

    @staticmethod
    def _score_near_misses(
        c: sqlite3.Connection, spec: IndexSpec, fts: str, query: SearchQuery
    ) -> None:
        """Score the matches of a near-miss search in ``temp.m``: per field, its weight for
        each near miss found in it (what Elasticsearch's sum of clause scores amounts to),
        so the name that matches the most of them, the closest, comes first; then the one
        that holds more of the characters typed.

        FTS5's bm25 would count every phrase's documents over the whole index first, some
        forty phrases of common characters (有限公司) per search: measured at 200,000 firms,
        260-590 ms against 110-190 ms for the matches alone. Matches are few; their text
        is read back and checked here instead."""
        fields = query.text_fields_of(spec)
        alternatives = [query_terms(alt) for alt in query.near_misses]
        typed = set(analyze(query.text))
        cols = ", ".join(f'f."{name}"' for name in fields)
        scores = []
        for doc, *texts in c.execute(
            f"SELECT m.doc, {cols} FROM temp.m m CROSS JOIN {fts} f ON f.rowid = m.doc"
        ).fetchall():
            score = 0.0
            for weight, text in zip(fields.values(), texts, strict=True):
                tokens = (text or "").split()
                found = sum(_near_in(tokens, alt) for alt in alternatives)
                # Among names as many near misses away, the one holding more of the
                # characters typed (a character left out rather than one mistyped, as
                # BM25's rarer-term weight would have it) first; never more than one.
                if found:
                    share = len(typed.intersection(tokens)) / max(1, len(typed))
                    score += weight * (found + 0.5 * share)
            scores.append((score, doc))
        c.executemany("UPDATE temp.m SET score = ? WHERE doc = ?", scores)

    @staticmethod
    def _order(
        query: SearchQuery, tier: str | None, score: str | None
    ) -> tuple[str, str, str, list]:
        """ORDER BY, the sort-key columns of a hit, and the search_after condition.
        ``tier``/``score`` None: constant (0), left out of the ORDER BY."""
        after = query.after
        if query.sort in {"score", "date"}:
            col = (
                "COALESCE(d.score_key, -1)" if query.sort == "score" else "COALESCE(d.date_key, '')"
            )
            cond = f"({col} < ? OR ({col} = ? AND d.sort_key > ?))"
            params = [after[0], after[0], after[1]] if after else []
            return (
                f"{col} DESC, d.sort_key",
                f"{col}, d.sort_key",
                (f" AND {cond}" if after else ""),
                params,
            )
        key = f"{tier or 0}, {score or '0.0'}, d.sort_key"
        if tier is None and score is None:
            return (
                "d.sort_key",
                key,
                (" AND d.sort_key > ?" if after else ""),
                ([after[2]] if after else []),
            )
        cond = f"({tier} < ? OR ({tier} = ? AND ({score} < ? OR ({score} = ? AND d.sort_key > ?))))"
        params = [after[0], after[0], after[1], after[1], after[2]] if after else []
        return (
            f"{tier} DESC, {score} DESC, d.sort_key",
            key,
            (f" AND {cond}" if after else ""),
            params,
        )

    @staticmethod
    def _filter_sql(spec: IndexSpec, kw: str, query: SearchQuery) -> tuple[str, list[Any]]:
        sql, params = "", []
        for fname, values in query.filters.items():
            if values:
                marks = ", ".join("?" for _ in values)
                if fname in spec.facet_fields:  # a column of the row being read
                    sql += f" AND d.f{spec.facet_fields.index(fname)} IN ({marks})"
                    params += list(values)
                    continue
                sql += (
                    f" AND d.rowid IN (SELECT doc FROM {kw} WHERE field = ? AND value IN ({marks}))"
                )
                params += [fname, *values]
        if spec.date_field and query.date_from:
            sql += " AND d.date_key >= ?"
            params.append(query.date_from)
        if spec.date_field and query.date_to:
            sql += " AND d.date_key <= ?"
            params.append(query.date_to)
        return sql, params

    @staticmethod
    def _facets(
        c: sqlite3.Connection, kw: str, query: SearchQuery, scope: str, params: list[Any]
    ) -> dict[str, list[tuple[str, int]]]:
        facets = {}
        for fname in query.facets:
            rows = c.execute(
                f"SELECT k.value, count(*) AS n FROM {kw} k WHERE k.field = ? "
                f"AND {scope} GROUP BY k.value ORDER BY n DESC, k.value LIMIT 50",
                [fname, *params],
            ).fetchall()
            facets[fname] = [(v, n) for v, n in rows]
        return facets

    @staticmethod
    def _match_facets(
        c: sqlite3.Connection, spec: IndexSpec, docs: str, kw: str, query: SearchQuery
    ) -> dict[str, list[tuple[str, int]]]:
        """Facet counts over the matches in ``temp.m``.

        The facet fields are columns of a document's narrow row, so the counts of every
        facet come from one pass over the matches, grouped by their combination (a few
        thousand distinct ones), then added up here per field. Other fields are counted
        from the keyword table."""
        wanted = [f for f in query.facets if f in spec.facet_fields]
        facets: dict[str, list[tuple[str, int]]] = {}
        if wanted:
            counts: dict[str, dict[str, int]] = {f: {} for f in wanted}
            cols = ", ".join(f"d.f{spec.facet_fields.index(f)}" for f in wanted)
            for *values, n in c.execute(
                f"SELECT {cols}, count(*) FROM temp.m CROSS JOIN "
                f"{docs} d ON d.rowid = m.doc GROUP BY {cols}"
            ):
                for f, v in zip(wanted, values, strict=True):
                    if v is not None and v != "":
                        counts[f][v] = counts[f].get(v, 0) + n
            for f in wanted:
                facets[f] = sorted(counts[f].items(), key=lambda vn: (-vn[1], vn[0]))[:50]
        for fname in query.facets:
            if fname not in facets:
                facets[fname] = [
                    tuple(r)
                    for r in c.execute(
                        f"SELECT k.value, count(*) AS n FROM temp.m CROSS JOIN {kw} k "
                        "ON k.doc = m.doc AND k.field = ? GROUP BY k.value "
                        "ORDER BY n DESC, k.value LIMIT 50",
                        (fname,),
                    ).fetchall()
                ]
        return {f: facets[f] for f in query.facets}

    def _full_text(
        self,
        c: sqlite3.Connection,
        spec: IndexSpec,
        tables: tuple[str, str, str, str],
        query: SearchQuery,
        phrases: list[list[str]],
        filters: str,
        filter_params: list[Any],
    ) -> SearchResult:
        """Exact name first, then name prefix, then the rest by BM25 relevance.

        The matches are read once into a temporary table, which gives the total, the
        facets and the page. Up to ``RANK_LIMIT`` of them are ranked: read again with their
        BM25 score, and raised a tier for a name prefix and another for the exact name.
        Beyond that (a two-character fragment such as 有限 matches most of the registry)
        relevance says little and scoring every match costs seconds, so after the
        exact-name ones they are listed in code order, like a browse. The set of matches,
        the total and the facets are the same either way.
        """
        docs, fts, kw, src = tables
        cols = " ".join(f'"{f}"' for f in query.text_fields_of(spec))
        expr = (
            " OR ".join(f"{{{cols}}} : {_near(alt)}" for alt in query.near_misses)
            if query.near_misses
            else " AND ".join(
                "(" + " OR ".join(f'{{{cols}}} : "{" ".join(p)}"' for p in choices) + ")"
                for choices in query.phrase_choices()
            )
        )
        match_params = [expr, *filter_params]
        wanted = fold(query.text.strip())
        exact = {
            doc
            for (doc,) in c.execute(
                f"SELECT doc FROM {kw} WHERE field = ? AND value = ?", (spec.exact_field, wanted)
            )
        }
        offset, size = query.offset, query.size
        weights = ", ".join(str(w) for w in spec.indexed_text_fields.values())
        # The text table holds live documents only (a delete removes the text and keeps
        # the tombstone row), so without filters the matches need no look at their rows.
        matches = (
            (
                f"{fts} CROSS JOIN {docs} d ON d.rowid = {fts}.rowid WHERE {fts} MATCH ? "
                f"AND d.deleted = 0{filters}"
            )
            if filters
            else f"{fts} WHERE {fts} MATCH ?"
        )
        scored = f"INSERT INTO temp.m SELECT {fts}.rowid, 0, -bm25({fts}, {weights}) FROM {matches}"
        self._reset_matches(c)
        ranked = False
        if max(len(p) for p in phrases) >= LONG_PHRASE and not query.near_misses:
            # A long phrase (a whole name, typically) rarely matches more than can be
            # ranked: read the matches with their scores at once, not counted first and
            # read again; only past the limit is it counted as below.
            total = c.execute(f"{scored} LIMIT ?", [*match_params, RANK_LIMIT + 1]).rowcount
            ranked = total <= RANK_LIMIT
            if not ranked:
                c.execute("DELETE FROM temp.m")
        if not ranked:
            total = c.execute(
                f"INSERT INTO temp.m SELECT {fts}.rowid, 0, 0.0 FROM {matches}", match_params
            ).rowcount
        facets = self._match_facets(c, spec, docs, kw, query)
        if total <= RANK_LIMIT:
            if query.near_misses:
                self._score_near_misses(c, spec, fts, query)
            elif not ranked:
                c.execute("DELETE FROM temp.m")
                c.execute(scored, match_params)
            if spec.prefix_field:
                c.execute(
                    f"UPDATE temp.m SET tier = 1 WHERE doc IN (SELECT doc FROM {kw} "
                    "WHERE field = ? AND value >= ? AND value < ?)",
                    (spec.prefix_field, wanted, wanted + "\U0010ffff"),
                )
            if exact:
                marks = ", ".join("?" for _ in exact)
                c.execute(f"UPDATE temp.m SET tier = 2 WHERE doc IN ({marks})", list(exact))
            order, key, after_sql, after_params = self._order(query, "m.tier", "m.score")
            rows = c.execute(
                f"SELECT d.rowid, d.id, m.score, {key} FROM temp.m CROSS JOIN {docs} d "
                f"ON d.rowid = m.doc WHERE 1{after_sql} ORDER BY {order} LIMIT ? OFFSET ?",
                [*after_params, size, offset],
            ).fetchall()
            return SearchResult(total, self._hits(c, src, rows), facets)
        # Too many to rank: exact-name matches first, the rest in code order.
        in_m = "d.rowid IN (SELECT doc FROM temp.m)"
        marks = ", ".join("?" for _ in exact)
        rows = []
        first = (
            []
            if not exact
            else c.execute(
                f"SELECT d.rowid, d.id, 0.0, 2, 0.0, d.sort_key FROM {docs} d WHERE {in_m} "
                f"AND d.rowid IN ({marks}) ORDER BY d.sort_key",
                list(exact),
            ).fetchall()
        )
        after = query.after
        if after is None:
            rows = first[offset : offset + size]
        elif after[0] == 2:
            rows = [r for r in first if r[5] > after[2]][:size]
        rest_offset = max(0, offset - len(first)) if after is None else 0
        if len(rows) < size and query.sort == "relevance":
            skip = f" AND d.rowid NOT IN ({marks})" if exact else ""
            cursor = " AND d.sort_key > ?" if after is not None and after[0] == 0 else ""
            rows += c.execute(
                f"SELECT d.rowid, d.id, 0.0, 0, 0.0, d.sort_key FROM {docs} d "
                f"WHERE d.deleted = 0 AND {in_m}{skip}{cursor} ORDER BY d.sort_key "
                "LIMIT ? OFFSET ?",
                [*exact, *([after[2]] if cursor else []), size - len(rows), rest_offset],
            ).fetchall()
        elif query.sort != "relevance":
            order, key, after_sql, after_params = self._order(query, None, None)
            rows = c.execute(
                f"SELECT d.rowid, d.id, 0.0, {key} FROM {docs} d WHERE d.deleted = 0 "
                f"AND {in_m}{after_sql} ORDER BY {order} LIMIT ? OFFSET ?",
                [*after_params, size, offset],
            ).fetchall()
        return SearchResult(total, self._hits(c, src, rows), facets)


def _keys(spec: IndexSpec, source: dict[str, Any]) -> tuple[Any, ...]:
    """A document's narrow-row columns: sort, score and date keys, then its facet fields
    (as keyword values: text, None when absent)."""
    return (
        str(source.get(spec.sort_field) or ""),
        source.get(spec.score_field) if spec.score_field else None,
        source.get(spec.date_field) if spec.date_field else None,
        *(next(iter(keyword_values(source.get(f))), None) for f in spec.facet_fields),
    )


def _near(text: str) -> str:
    """A near-miss alternative as an FTS5 expression: its phrases at most one token apart
    (the values of a multi-valued field lie two tokens apart: ``backend.GAP_TOKENS``)."""
    phrases = [f'"{" ".join(p)}"' for p in query_terms(text)]
    return f"NEAR({' '.join(phrases)}, 1)" if len(phrases) > 1 else phrases[0]


def _near_in(tokens: list[str], phrases: list[list[str]]) -> bool:
    """Whether a near miss (one phrase, or two at most one token apart in either order)
    is in one field's tokens, as ``_near`` matches it (the gap tokens between values are
    tokens here too, so two values are never near)."""
    n = len(tokens)

    def at(phrase: list[str]) -> list[int]:
        k = len(phrase)
        return [i for i in range(n - k + 1) if tokens[i : i + k] == phrase]

    if len(phrases) == 1:
        return bool(at(phrases[0]))
    a, b = phrases
    starts_a, starts_b = at(a), at(b)
    return any(
        0 <= j - (i + len(a)) <= 1 or 0 <= i - (j + len(b)) <= 1 for i in starts_a for j in starts_b
    )


def _query_key(query: SearchQuery) -> tuple:
    """A hashable form of everything in a query that shapes its result."""
    return (
        query.index,
        query.text,
        tuple(sorted((f, tuple(v)) for f, v in query.filters.items())),
        query.facets,
        query.page,
        query.size,
        query.sort,
        query.date_from,
        query.date_to,
        query.after,
        query.fields,
        query.near_misses,
        tuple(sorted(query.also_as.items())),
    )


def _facet_cols(spec: IndexSpec) -> str:
    return "".join(f", f{i}" for i in range(len(spec.facet_fields)))


def _facet_marks(spec: IndexSpec) -> str:
    return ",?" * len(spec.facet_fields)
