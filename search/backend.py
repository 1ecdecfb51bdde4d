"""The contract both search backends implement, and the neutral query and result types.

``search.elastic`` (Elasticsearch, production) and ``search.embedded`` (SQLite FTS5, the
default for a one-command local run) run the same contract test suite and must agree on
which documents match. Text matching is the same on both: text is analysed into single-CJK
-character and lower-cased alphanumeric tokens (what Elasticsearch's core ``standard``
analyzer does), and every query term must match as a phrase in one of the text fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

_CJK = (r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
        r"\U0002a700-\U0002ebef\U00030000-\U0003134f")
_TOKEN = re.compile(rf"[{_CJK}]|[0-9a-z]+")
_USCC_LIKE = re.compile(r"^[0-9A-Z]{18}$")

MAX_QUERY_LENGTH = 100


def analyze(text: str) -> list[str]:
    """Tokens as Elasticsearch's standard analyzer makes them for our text (CJK + alnum)."""
    return _TOKEN.findall(text.lower())


def query_terms(text: str) -> list[list[str]]:
    """Split a user query on white space; each part becomes one phrase of tokens."""
    phrases = [analyze(part) for part in text.split()]
    return [p for p in phrases if p]


def looks_like_uscc(text: str) -> bool:
    return bool(_USCC_LIKE.match(text.strip().upper()))


@dataclass(frozen=True)
class IndexSpec:
    """One logical index: its text fields (with boosts) and keyword fields."""

    name: str
    text_fields: dict[str, float]
    keyword_fields: tuple[str, ...]
    exact_field: str  # keyword field an exact match of the whole query ranks first
    id_field: str  # keyword field a USCC-like query is looked up in
    sort_field: str  # tie-break for equal scores, so paging is stable
    version: int = 1


@dataclass(frozen=True)
class Document:
    id: str
    version: int
    source: dict[str, Any]


@dataclass(frozen=True)
class SearchQuery:
    index: str
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    page: int = 1
    size: int = 20


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float
    source: dict[str, Any]


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped_stale: int


class BackendUnavailable(Exception):
    """The search service cannot be reached; the caller retries later."""


class SearchBackend(Protocol):
    name: str

    def ensure_index(self, spec: IndexSpec) -> None:
        """Create the index (and alias) if missing. Idempotent."""

    def write(self, spec: IndexSpec, docs: list[Document], visible: bool = False
              ) -> WriteResult:
        """Upsert documents; a write older than the stored version is skipped, not an error.
        ``visible``: searchable when this returns (a few documents after a request), not
        at the next periodic refresh (bulk loads)."""

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        """Delete documents (id, version); a delete older than the stored version is skipped."""

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None: ...

    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult: ...

    def count(self, spec: IndexSpec) -> int: ...

    def refresh(self, spec: IndexSpec) -> None:
        """Make every write so far visible to search (tests; production relies on 1 s)."""

    def ping(self) -> bool: ...

    def drop(self, spec: IndexSpec) -> None:
        """Remove the index and alias (tests and operators)."""
