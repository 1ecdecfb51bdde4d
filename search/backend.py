"""The contract both search backends implement, and the neutral query and result types.

``search.elastic`` (Elasticsearch, production) and ``search.tantivy_index`` (tantivy, the
embedded backend of a one-command local run) run the same contract test suite and must
agree on which documents match. Text matching is the same on both: text is analysed into single-CJK
-character and lower-cased alphanumeric tokens (what Elasticsearch's core ``standard``
analyzer does), and every query term must match as a phrase in one of the text fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from credit import uscc

_CJK = (
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
    r"\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_TOKEN = re.compile(rf"[{_CJK}]|[0-9a-z]+")

MAX_QUERY_LENGTH = 100
#: A near-miss search (``SearchQuery.near_misses``) that takes the backend longer than this
#: is given up: it finds nothing. Its alternatives are phrases of common characters
#: (有限公司) that one query of them can make cost seconds; it is a last resort for a
#: query that found nothing, never a way to make a search expensive.
NEAR_MISS_SECONDS = 0.3
#: How long a near-miss search may take by the wall clock, whatever its CPU time. What is
#: found must not depend on how busy the host is, so the budget above is CPU time where the
#: engine lets it be counted (tantivy, in process); this bound only ends a wait that a busy
#: host stretched (the embedded engine's queue) or a search on a server that reports no CPU
#: time (Elasticsearch's ``timeout`` is the shard's wall clock: 300 ms there failed a
#: one-character-off name on an 11-firm index while CI loaded the host).
NEAR_MISS_WAIT_SECONDS = 10 * NEAR_MISS_SECONDS


def fold(text: str) -> str:
    """Full-width and half-width forms alike (NFKC, one character at a time so positions
    are kept for highlighting). Text fields are indexed folded on both backends: the
    server's core analysis has no ICU folding."""
    if unicodedata.is_normalized("NFKC", text):
        return text  # nearly every name: nothing to fold
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def analyze(text: str) -> list[str]:
    """Tokens as Elasticsearch's standard analyzer makes them for folded text (CJK + alnum,
    lower case)."""
    return _TOKEN.findall(fold(text).lower())


#: Between the values of a multi-valued text field in the embedded engines: two tokens, so
#: that neither a phrase nor a near miss (two phrases at most one token apart) spans two
#: values (Elasticsearch's position_increment_gap).
GAP_TOKENS = ("qqgapqq", "qqgapqq")
#: Above this many matches, the embedded engines list the results after the exact-name
#: ones in code order: relevance says little about most of the registry, and ranking every
#: match costs seconds in SQLite.
RANK_LIMIT = 20_000


def text_tokens(value: Any) -> list[str]:
    """The tokens of a text field's value or values, ``GAP_TOKENS`` between values."""
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in values:
        tokens = analyze(str(v)) if v else []
        if tokens:
            if out:
                out += GAP_TOKENS
            out += tokens
    return out


def keyword_values(value: Any) -> list[str]:
    """A keyword field's value or values as text, leaving out the absent ones."""
    if isinstance(value, str):  # nearly every value: a rebuild asks 13 a document
        return [value] if value else []
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and v != ""]


def query_terms(text: str) -> list[list[str]]:
    """Split a user query on white space; each part becomes one phrase of tokens."""
    phrases = [analyze(part) for part in text.split()]
    return [p for p in phrases if p]


def looks_like_uscc(text: str) -> bool:
    """A query that is a code: looked up exactly, not searched as words."""
    return uscc_of(text) is not None


def uscc_of(text: str) -> str | None:
    """The code a code-like query names (``credit.uscc.code_like``: 18 letters or digits
    once folded with NFKC, upper-cased only then, so ``ﬀ`` never counts as two)."""
    return uscc.code_like(text)


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
    prefix_field: str | None = None  # keyword field a name prefix ranks on (after exact)
    score_field: str | None = None  # integer field of sort=score (descending)
    date_field: str | None = None  # ISO date field of sort=date and date_from/date_to
    #: Single-valued keyword fields counted as facets (terms aggregations on both backends).
    facet_fields: tuple[str, ...] = ()
    #: Text fields indexed like ``text_fields`` but matched only by a query that names them
    #: (``SearchQuery.fields``): the pinyin spellings, which a plain query must not match.
    named_text_fields: dict[str, float] = field(default_factory=dict)
    #: The text fields a near-miss search looks in (names, where a typo is worth
    #: forgiving; not long text, where it would cost the most): () for all.
    near_miss_fields: tuple[str, ...] = ()
    #: The platform looks ``id_field`` up by its start (``SearchBackend.starting_with``: a
    #: code typed so far), as it does ``prefix_field``. The embedded engine indexes the
    #: starts of these as terms; another field's start is found by a regular expression
    #: (fast for a long start, slow for a short one shared by thousands).
    id_by_start: bool = False

    @property
    def indexed_text_fields(self) -> dict[str, float]:
        """Every text field the index holds, in the order its columns are made."""
        return {**self.text_fields, **self.named_text_fields}


@dataclass(frozen=True)
class Document:
    id: str
    version: int
    source: dict[str, Any]


SORTS = ("relevance", "score", "date")


@dataclass(frozen=True)
class SearchQuery:
    index: str
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    page: int = 1
    size: int = 20
    sort: str = "relevance"  # relevance | score (desc) | date (desc); ties by sort_field
    date_from: str | None = None  # inclusive ISO dates on the spec's date_field
    date_to: str | None = None
    #: Deep paging: the ``sort`` values of the last hit of the previous page (search_after);
    #: when given, ``page`` is ignored.
    after: tuple | None = None
    #: Match the text in these text fields only (default: the spec's ``text_fields``).
    fields: tuple[str, ...] = ()
    #: A near-miss search (``search.variants.one_off``): the text matches as any of these
    #: instead, each one or two phrases (split on white space) that lie in one field at
    #: most one token apart, in either order; a document ranks higher the more of them it
    #: matches. ``text`` stays the query as typed (its exact-name tier matches nothing).
    #: Given up after ``NEAR_MISS_SECONDS`` (``NEAR_MISS_WAIT_SECONDS`` by the wall clock):
    #: then nothing is found.
    near_misses: tuple[str, ...] = ()
    #: Words of the text that also match as other phrases (a trade word as its industry's
    #: name: 零食 -> 食品饮料, ``search.variants.trade_words``): the word matches where any
    #: of them does. Expanded when searched, so a new word needs no reindex.
    also_as: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def phrase_choices(self) -> list[list[list[str]]]:
        """Each phrase of the text (``query_terms``) with the phrases it also matches as."""
        out = []
        for part in self.text.split():
            if phrase := analyze(part):
                out.append([phrase, *(analyze(a) for a in self.also_as.get(part, ()))])
        return out

    @property
    def offset(self) -> int:
        """How many hits the page skips (0 after a cursor: ``after`` says where to go on)."""
        return 0 if self.after is not None else (self.page - 1) * self.size

    def text_fields_of(self, spec: IndexSpec) -> dict[str, float]:
        """The text fields this query matches in, with their boosts."""
        if not self.fields:
            return spec.text_fields
        every = spec.indexed_text_fields
        return {f: every[f] for f in self.fields}


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float
    #: The document's source; a backend may leave out the fields kept only for indexing
    #: (``t_*`` folded text, ``*_exact`` keys), which are never shown.
    source: dict[str, Any]
    #: The hit's sort values: what ``SearchQuery.after`` takes to continue after it.
    sort: tuple = ()


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @classmethod
    def nothing(cls, query: SearchQuery) -> SearchResult:
        """No match: total 0, no hits, each facet the query asked for empty."""
        return cls(0, [], {f: [] for f in query.facets})


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped_stale: int


class BackendUnavailable(Exception):
    """The search service cannot be reached; the caller retries later."""


class SearchBackend(Protocol):
    name: str
    #: How many ``load`` calls a rebuild keeps running at once (``search.indexer.reindex``):
    #: more than one only where the backend indexes concurrent loads in parallel and their
    #: order does not matter.
    load_streams: int

    def ensure_index(self, spec: IndexSpec) -> None:
        """Create the index (and alias) if missing. Idempotent."""

    def write(
        self,
        spec: IndexSpec,
        docs: list[Document],
        visible: bool = False,
        target: str | None = None,
    ) -> WriteResult:
        """Upsert documents; a write older than the stored version is skipped, not an error.
        ``visible``: searchable when this returns (a few documents after a request), not
        at the next periodic refresh (bulk loads). ``target``: a generation being rebuilt
        (``begin_rebuild``) instead of the live index."""

    def delete(self, spec: IndexSpec, ids: list[tuple[str, int]]) -> None:
        """Delete documents (id, version); a delete older than the stored version is skipped."""

    def get(self, spec: IndexSpec, doc_id: str) -> Document | None: ...

    def search(self, spec: IndexSpec, query: SearchQuery) -> SearchResult: ...

    def count(self, spec: IndexSpec) -> int: ...

    def refresh(self, spec: IndexSpec) -> None:
        """Make every write so far visible to search (tests; production relies on 1 s)."""

    def ping(self) -> bool: ...

    def health(self) -> dict[str, Any] | None:
        """A cluster's health (status green/yellow/red, nodes, unassigned shards), or None
        when there is no cluster to report on (embedded) or no node answers."""

    def drop(self, spec: IndexSpec) -> None:
        """Remove the index and alias (tests and operators)."""

    def begin_rebuild(self, spec: IndexSpec) -> str:
        """Create a new, empty generation of the index beside the live one; returns its
        name for ``write(target=...)``. Searches keep using the live one."""

    def settle(self, spec: IndexSpec, target: str) -> None:
        """``target`` is loaded: start what ``finish_rebuild`` needs before the swap, so
        it runs while a rebuild loads the next index (Elasticsearch: the merge)."""

    def finish_rebuild(self, spec: IndexSpec, target: str) -> None:
        """Make ``target`` the live generation in one step and drop the old one (settling
        it first if ``settle`` was not called)."""

    def load_rows(self) -> Callable[[IndexSpec, list[Document]], Any]:
        """A module-level (so picklable) function that turns a batch of documents into
        what ``load`` adds: a rebuild runs it in its builder processes, so the one writer
        only adds (``search.indexer.reindex``)."""

    def load(self, spec: IndexSpec, target: str, rows: Any) -> int:
        """Add rows made by ``load_rows()`` to ``target`` (``begin_rebuild``); returns
        how many documents they held. ``write(..., target=target)`` is the same for
        documents."""

    def versions(self, spec: IndexSpec) -> dict[str, int]:
        """Every live document's id and version (``search check``)."""

    def get_many(self, spec: IndexSpec, ids: list[str]) -> dict[str, Document]: ...

    def starting_with(self, spec: IndexSpec, field: str, value: str, size: int) -> list[SearchHit]:
        """Documents whose keyword ``field`` starts with ``value``, in value order
        (suggestions as one types)."""
