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


def _text_value(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    parts = [" ".join(analyze(str(v))) for v in values if v]
    return f" {_GAP} ".join(p for p in parts if p)


def _keyword_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and v != ""]


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
                deleted INTEGER NOT NULL DEFAULT 0, source TEXT);
            CREATE VIRTUAL TABLE IF NOT EXISTS {self._t(spec, 'fts')}
                USING fts5({cols}, tokenize='unicode61', detail=full);
            CREATE TABLE IF NOT EXISTS {self._t(spec, 'kw')} (
                doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS {self._t(spec, 'kw_fv')[:-1]}_ix" ON
                {self._t(spec, 'kw')} (field, value, doc);
            CREATE INDEX IF NOT EXISTS {self._t(spec, 'kw_doc')[:-1]}_ix" ON
                {self._t(spec, 'kw')} (doc);
        """)

    def drop(self, spec: IndexSpec) -> None:
        c = self._conn()
        for kind in ("docs", "fts", "kw"):
            c.execute(f"DROP TABLE IF EXISTS {self._t(spec, kind)}")

    def write(self, spec: IndexSpec, docs: list[Document]) -> WriteResult:
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
                    c.execute(f"UPDATE {docs} SET version = ?, deleted = ?, source = ? "
                              "WHERE rowid = ?",
                              (version, int(source is None),
                               json.dumps(source, ensure_ascii=False) if source else None,
                               rowid))
                else:
                    # A delete is remembered as a tombstone, so a late older upsert loses.
                    rowid = c.execute(
                        f"INSERT INTO {docs} (id, version, deleted, source) VALUES (?,?,?,?)",
                        (doc_id, version, int(source is None),
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
        docs, fts, kw = self._t(spec, "docs"), self._t(spec, "fts"), self._t(spec, "kw")
        where: list[str] = ["d.deleted = 0"]
        params: list[Any] = []
        text = query.text.strip()
        use_fts = False
        exact_sql, exact_params = "0", []
        if text and looks_like_uscc(text):
            where.append(f"d.rowid IN (SELECT doc FROM {kw} WHERE field = ? AND value = ?)")
            params += [spec.id_field, text.upper()]
        elif text:
            phrases = query_terms(text)
            if not phrases:
                return SearchResult(0, [], {f: [] for f in query.facets})
            cols = " ".join(f'"{f}"' for f in spec.text_fields)
            expr = " AND ".join(f'{{{cols}}} : "{" ".join(p)}"' for p in phrases)
            where.append(f"d.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)")
            params.append(expr)
            use_fts = True
            exact_sql = (f"EXISTS (SELECT 1 FROM {kw} k WHERE k.doc = d.rowid "
                         "AND k.field = ? AND k.value = ?)")
            exact_params = [spec.exact_field, text]
        for fname, values in query.filters.items():
            if not values:
                continue
            marks = ", ".join("?" for _ in values)
            where.append(f"d.rowid IN (SELECT doc FROM {kw} WHERE field = ? "
                         f"AND value IN ({marks}))")
            params += [fname, *values]
        cond = " AND ".join(where)
        total = c.execute(f"SELECT count(*) FROM {docs} d WHERE {cond}", params).fetchone()[0]

        if use_fts:
            weights = ", ".join(str(w) for w in spec.text_fields.values())
            sql = (f"SELECT d.id, d.source, -bm25({fts}, {weights}) AS score, "
                   f"{exact_sql} AS exact FROM {fts} JOIN {docs} d ON d.rowid = {fts}.rowid "
                   f"WHERE {fts} MATCH ? AND {cond} ")
            # bind order: the exact-match flag, the join's MATCH, then the conditions
            run_params = [*exact_params, expr, *params]
            sql += "ORDER BY exact DESC, score DESC, json_extract(d.source, ?) LIMIT ? OFFSET ?"
        else:
            sql = (f"SELECT d.id, d.source, 0.0 AS score, 0 AS exact FROM {docs} d "
                   f"WHERE {cond} ORDER BY json_extract(d.source, ?) LIMIT ? OFFSET ?")
            run_params = list(params)
        run_params += [f"$.{spec.sort_field}", query.size, (query.page - 1) * query.size]
        hits = [SearchHit(r[0], float(r[2]), json.loads(r[1]))
                for r in c.execute(sql, run_params).fetchall()]

        facets: dict[str, list[tuple[str, int]]] = {}
        for fname in query.facets:
            rows = c.execute(
                f"SELECT k.value, count(*) AS n FROM {kw} k JOIN {docs} d ON d.rowid = k.doc "
                f"WHERE k.field = ? AND {cond} GROUP BY k.value ORDER BY n DESC, k.value "
                "LIMIT 50", [fname, *params]).fetchall()
            facets[fname] = [(r[0], r[1]) for r in rows]
        return SearchResult(total, hits, facets)
