"""The embedded search backend: SQLite FTS5 in a file of its own, no server to run.

Text is stored pre-analysed (``backend.analyze``: one token per CJK character, lower-cased
alphanumeric words) separated by spaces, so FTS5's ``unicode61`` tokenizer sees exactly the
tokens Elasticsearch's standard analyzer produces, and a query term is an FTS5 phrase: the
same adjacency semantics as ``match_phrase``. Values of a multi-valued field are joined with
a gap token so a phrase never spans two values (Elasticsearch's position_increment_gap).
Keyword fields live in a side table for filters and facets. Writes are versioned like
Elasticsearch's ``external_gte``: an older version never overwrites a newer one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from search.backend import (
    Document,
    IndexSpec,
    SearchHit,
    SearchQuery,
    SearchResult,
    WriteResult,
    analyze,
    looks_like_uscc,
    query_terms,
)

_GAP = "qqgapqq"
#: Above this many matches, results after the exact-name ones are listed in code order.
RANK_LIMIT = 20_000


def _text_value(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    parts = [" ".join(analyze(str(v))) for v in values if v]
    return f" {_GAP} ".join(p for p in parts if p)


def _keyword_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and v != ""]


def _sort_key(spec: IndexSpec, source: dict | None) -> str | None:
    return None if source is None else str(source.get(spec.sort_field) or "")


class EmbeddedBackend:
    """SearchBackend on SQLite FTS5. Thread-safe: one connection per thread."""

    name = "embedded"

    def __init__(self, path: str, prefix: str = "credit"):
        self.path = path
        self.prefix = prefix
        self._local = threading.local()
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    # -- plumbing ---------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # the index is rebuildable from the DB
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _t(self, spec: IndexSpec, kind: str) -> str:
        base = f"{self.prefix}_{spec.name}_v{spec.version}".replace("-", "_")
        return f'"{base}_{kind}"'

    # -- contract ---------------------------------------------------------------------
    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def ensure_index(self, spec: IndexSpec) -> None:
        c = self._conn()
        cols = ", ".join(f'"{f}"' for f in spec.text_fields)
        c.executescript(f"""
            CREATE TABLE IF NOT EXISTS {self._t(spec, 'docs')} (
                rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0, sort_key TEXT, source TEXT);
            CREATE INDEX IF NOT EXISTS {self._t(spec, 'docs_sort')[:-1]}_ix" ON
                {self._t(spec, 'docs')} (deleted, sort_key);
            CREATE VIRTUAL TABLE IF NOT EXISTS {self._t(spec, 'fts')}
                USING fts5({cols}, tokenize='unicode61', detail=full);
            CREATE TABLE IF NOT EXISTS {self._t(spec, 'kw')} (
                doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS {self._t(spec, 'kw_fv')[:-1]}_ix" ON
                {self._t(spec, 'kw')} (field, value, doc);
            CREATE INDEX IF NOT EXISTS {self._t(spec, 'kw_doc')[:-1]}_ix" ON
                {self._t(spec, 'kw')} (doc, field, value);
        """)

    def drop(self, spec: IndexSpec) -> None:
        c = self._conn()
        for kind in ("docs", "fts", "kw"):
            c.execute(f"DROP TABLE IF EXISTS {self._t(spec, kind)}")

    def write(self, spec: IndexSpec, docs: list[Document], visible: bool = False
              ) -> WriteResult:
        # A commit is visible at once here: ``visible`` needs nothing more.
        return self._apply(spec, [(d.id, d.version, d.source) for d in docs])

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        self._apply(spec, [(i, v, None) for i, v in ids])

    def _apply(self, spec: IndexSpec, items: list[tuple[str, int, dict | None]]) -> WriteResult:
        c = self._conn()
        docs, fts, kw = self._t(spec, "docs"), self._t(spec, "fts"), self._t(spec, "kw")
        written = skipped = 0
        c.execute("BEGIN IMMEDIATE")
        try:
            for doc_id, version, source in items:
                row = c.execute(f"SELECT rowid, version FROM {docs} WHERE id = ?",
                                (doc_id,)).fetchone()
                if row is not None and row[1] > version:
                    skipped += 1  # external_gte: never regress a newer document
                    continue
                if row is not None:
                    rowid = row[0]
                    c.execute(f"DELETE FROM {fts} WHERE rowid = ?", (rowid,))
                    c.execute(f"DELETE FROM {kw} WHERE doc = ?", (rowid,))
                    c.execute(f"UPDATE {docs} SET version = ?, deleted = ?, sort_key = ?, "
                              "source = ? WHERE rowid = ?",
                              (version, int(source is None), _sort_key(spec, source),
                               json.dumps(source, ensure_ascii=False) if source else None,
                               rowid))
                else:
                    # A delete is remembered as a tombstone, so a late older upsert loses.
                    rowid = c.execute(
                        f"INSERT INTO {docs} (id, version, deleted, sort_key, source) "
                        "VALUES (?,?,?,?,?)",
                        (doc_id, version, int(source is None), _sort_key(spec, source),
                         json.dumps(source, ensure_ascii=False) if source else None),
                    ).lastrowid
                if source is not None:
                    names = ", ".join(f'"{f}"' for f in spec.text_fields)
                    marks = ", ".join("?" for _ in spec.text_fields)
                    c.execute(f"INSERT INTO {fts} (rowid, {names}) VALUES (?, {marks})",
                              (rowid, *(_text_value(source.get(f)) for f in spec.text_fields)))
                    c.executemany(f"INSERT INTO {kw} (doc, field, value) VALUES (?,?,?)",
                                  [(rowid, f, v) for f in spec.keyword_fields
                                   for v in _keyword_values(source.get(f))])
                written += 1
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return WriteResult(written, skipped)

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None:
        row = self._conn().execute(
            f"SELECT id, version, source FROM {self._t(spec, 'docs')} "
            "WHERE id = ? AND deleted = 0", (doc_id,)).fetchone()
        return Document(row[0], row[1], json.loads(row[2])) if row else None

    def count(self, spec: IndexSpec) -> int:
        return self._conn().execute(
            f"SELECT count(*) FROM {self._t(spec, 'docs')} WHERE deleted = 0").fetchone()[0]

    def refresh(self, spec: IndexSpec) -> None:
        """Writes are visible once committed; nothing to do."""

    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult:
        c = self._conn()
        docs, kw = self._t(spec, "docs"), self._t(spec, "kw")
        text = query.text.strip()
        filters, filter_params = self._filter_sql(kw, query)
        c.execute("BEGIN")  # one snapshot for the count, the page and the facets
        try:
            if text and not looks_like_uscc(text):
                phrases = query_terms(text)
                if not phrases:
                    return SearchResult(0, [], {f: [] for f in query.facets})
                return self._full_text(c, spec, query, phrases, filters, filter_params)
            cond, params = "deleted = 0" + filters, list(filter_params)
            if text:  # a USCC: exact keyword lookup
                cond += f" AND rowid IN (SELECT doc FROM {kw} WHERE field = ? AND value = ?)"
                params += [spec.id_field, text.upper()]
            total = c.execute(f"SELECT count(*) FROM {docs} WHERE {cond}", params).fetchone()[0]
            rows = c.execute(f"SELECT id, source, 0.0 FROM {docs} WHERE {cond} "
                             "ORDER BY sort_key LIMIT ? OFFSET ?",
                             [*params, query.size, (query.page - 1) * query.size]).fetchall()
            scope = f"k.doc IN (SELECT rowid FROM {docs} WHERE {cond})" if params else "1"
            facets = self._facets(c, kw, query, scope, params)
        finally:
            c.execute("ROLLBACK")
        return SearchResult(total, [SearchHit(r[0], r[2], json.loads(r[1])) for r in rows],
                            facets)

    @staticmethod
    def _filter_sql(kw: str, query: SearchQuery) -> tuple[str, list[Any]]:
        sql, params = "", []
        for fname, values in query.filters.items():
            if values:
                marks = ", ".join("?" for _ in values)
                sql += (f" AND rowid IN (SELECT doc FROM {kw} WHERE field = ? "
                        f"AND value IN ({marks}))")
                params += [fname, *values]
        return sql, params

    @staticmethod
    def _facets(c: sqlite3.Connection, kw: str, query: SearchQuery, scope: str,
                params: list[Any]) -> dict[str, list[tuple[str, int]]]:
        facets = {}
        for fname in query.facets:
            rows = c.execute(f"SELECT k.value, count(*) AS n FROM {kw} k WHERE k.field = ? "
                             f"AND {scope} GROUP BY k.value ORDER BY n DESC, k.value LIMIT 50",
                             [fname, *params]).fetchall()
            facets[fname] = [(v, n) for v, n in rows]
        return facets

    def _full_text(self, c: sqlite3.Connection, spec: IndexSpec, query: SearchQuery,
                   phrases: list[list[str]], filters: str,
                   filter_params: list[Any]) -> SearchResult:
        """Exact-name matches first, then the rest by BM25 relevance.

        Up to ``RANK_LIMIT`` matches are materialised once into a temporary table with
        their scores, and the page and the facets are read from it. Beyond that (a two-
        character fragment such as 有限 matches most of the registry) relevance says little
        and scoring every match costs seconds, so the rest are listed in code order, like
        a browse. The set of matches, the total and the facets are the same either way.
        """
        docs, fts, kw = self._t(spec, "docs"), self._t(spec, "fts"), self._t(spec, "kw")
        cols = " ".join(f'"{f}"' for f in spec.text_fields)
        expr = " AND ".join(f'{{{cols}}} : "{" ".join(p)}"' for p in phrases)
        match = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ?{filters}"
        match_params = [expr, *filter_params]
        total = c.execute(f"SELECT count(*) FROM ({match})", match_params).fetchone()[0]
        # Exact-name candidates come from the keyword index (a handful at most); each is
        # kept only if it also matches the text and the filters.
        exact = [doc for (doc,) in c.execute(
            f"SELECT doc FROM {kw} WHERE field = ? AND value = ?",
            (spec.exact_field, query.text.strip())).fetchall()
            if c.execute(f"SELECT 1 FROM {fts} WHERE {fts} MATCH ? AND rowid = ?{filters}",
                         [expr, doc, *filter_params]).fetchone()]
        offset, size = (query.page - 1) * query.size, query.size
        rows: list[tuple] = []
        if offset < len(exact):
            marks = ", ".join("?" for _ in exact)
            rows = c.execute(f"SELECT id, source, 0.0 FROM {docs} WHERE rowid IN ({marks}) "
                             "ORDER BY sort_key", exact).fetchall()[offset:offset + size]
        rest_offset = max(0, offset - len(exact))
        rest_size = size - len(rows)
        not_exact = f" AND d.rowid NOT IN ({', '.join('?' for _ in exact)})" if exact else ""
        if total <= RANK_LIMIT:
            weights = ", ".join(str(w) for w in spec.text_fields.values())
            c.execute("CREATE TEMP TABLE IF NOT EXISTS m (doc INTEGER PRIMARY KEY, score REAL)")
            c.execute("DELETE FROM temp.m")
            c.execute(f"INSERT INTO temp.m SELECT rowid, -bm25({fts}, {weights}) FROM {fts} "
                      f"WHERE {fts} MATCH ?{filters}", match_params)
            if rest_size > 0:
                rows += c.execute(
                    f"SELECT d.id, d.source, m.score FROM temp.m CROSS JOIN {docs} d "
                    f"ON d.rowid = m.doc WHERE 1{not_exact} ORDER BY m.score DESC, d.sort_key "
                    "LIMIT ? OFFSET ?", [*exact, rest_size, rest_offset]).fetchall()
            facets = {}
            for fname in query.facets:
                facets[fname] = [tuple(r) for r in c.execute(
                    f"SELECT k.value, count(*) AS n FROM temp.m CROSS JOIN {kw} k ON k.doc = m.doc "
                    "AND k.field = ? GROUP BY k.value ORDER BY n DESC, k.value LIMIT 50",
                    (fname,)).fetchall()]
        else:
            if rest_size > 0:
                rows += c.execute(
                    f"SELECT d.id, d.source, 0.0 FROM {docs} d WHERE d.deleted = 0 "
                    f"AND d.rowid IN ({match}){not_exact} ORDER BY d.sort_key "
                    "LIMIT ? OFFSET ?",
                    [*match_params, *exact, rest_size, rest_offset]).fetchall()
            c.execute("CREATE TEMP TABLE IF NOT EXISTS mm (doc INTEGER PRIMARY KEY)")
            c.execute("DELETE FROM temp.mm")
            c.execute(f"INSERT INTO temp.mm {match}", match_params)
            facets = {}
            for fname in query.facets:
                facets[fname] = [tuple(r) for r in c.execute(
                    f"SELECT k.value, count(*) AS n FROM temp.mm CROSS JOIN {kw} k "
                    "ON k.doc = mm.doc AND k.field = ? GROUP BY k.value "
                    "ORDER BY n DESC, k.value LIMIT 50", (fname,)).fetchall()]
        return SearchResult(total, [SearchHit(r[0], float(r[2]), json.loads(r[1]))
                                    for r in rows], facets)
