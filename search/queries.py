"""Public search queries: what a consumer's search turns into, on any backend.

One entry point per use: ``search`` (enterprises, pledges or violations, with filters,
facets, sorting, paging and a search_after cursor for deep pages), ``suggest`` (the search
box: names and USCC prefixes) and ``highlight`` (matched fragments, made here from the
documents so both backends mark exactly the same text).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from credit import uscc
from search import pinyin
from search.backend import (
    _TOKEN,
    MAX_QUERY_LENGTH,
    IndexSpec,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
    fold,
    looks_like_uscc,
    query_terms,
)
from search.documents import ENTERPRISES, PLEDGES, VIOLATIONS
from search.variants import city_variant, meant_codes, one_off, simplified, trade_words

TYPES = {"enterprise": ENTERPRISES, "pledge": PLEDGES, "violation": VIOLATIONS}
#: API facet / filter name -> document field, per type.
FIELDS: dict[str, dict[str, str]] = {
    "enterprise": {
        "city": "city_code",
        "industry": "industry",
        "grade": "grade",
        "tier": "tier",
        "key_category": "key_category",
    },
    "pledge": {
        "city": "city_code",
        "industry": "industry",
        "grade": "grade",
        "tier": "tier",
        "category": "category",
    },
    "violation": {
        "city": "city_code",
        "industry": "industry",
        "grade": "grade",
        "severity": "severity",
        "category": "category",
    },
}
#: Display fields whose matches are highlighted, per type.
HIGHLIGHTED = {
    "enterprise": ("name", "former_names", "shop_names"),
    "pledge": ("enterprise_name", "title", "extra_commitments"),
    "violation": ("enterprise_name", "decision_number", "facts", "legal_basis", "authority"),
}
FRAGMENT = 40  # characters of context around a match in long text


@dataclass(frozen=True)
class Found:
    result: SearchResult
    highlights: list[dict[str, list[str]]]
    #: The text searched instead of the query's, when the query found nothing and a
    #: variant of it did (the city's 市 added or left out, or the query read as pinyin:
    #: ``su qian shun jun``); else None.
    searched_as: str | None = None
    #: The query found nothing as typed or in any variant, and these are the names one
    #: character off it (wrong, missing or extra: search.variants.one_off).
    near_miss: bool = False


def clean(text: str) -> str:
    """The query as matched: white space collapsed, bounded, traditional characters in
    simplified (search.variants)."""
    return simplified(" ".join(text.split())[:MAX_QUERY_LENGTH])


def search(
    backend: SearchBackend,
    kind: str,
    text: str = "",
    *,
    filters: dict[str, tuple[str, ...]] | None = None,
    sort: str = "relevance",
    date_from: str | None = None,
    date_to: str | None = None,
    page: int = 1,
    size: int = 20,
    after: tuple | None = None,
) -> Found:
    spec = TYPES[kind]
    fields = FIELDS[kind]
    text = clean(text)
    keywords = {fields[k]: tuple(v) for k, v in (filters or {}).items() if v}
    if codes := meant_codes(text):  # a mistyped code: the codes it may have meant
        keywords[spec.id_field] = codes
        text = ""
    query = SearchQuery(
        index=spec.name,
        text=text,
        filters=keywords,
        facets=tuple(fields.values()),
        page=page,
        size=size,
        sort=sort,
        date_from=date_from,
        date_to=date_to,
        after=after,
        also_as=trade_words(text),
    )
    result = backend.search(spec, query)
    searched_as, near_miss, marked = None, False, query.text
    for retry in _retries(spec, query) if result.total == 0 and query.text else ():
        again = backend.search(spec, retry)
        if again.total:
            result, near_miss = again, bool(retry.near_misses)
            if near_miss:  # every part of a near miss is marked where it matched
                marked = " ".join(retry.near_misses)
            else:
                marked = retry.text
                searched_as = retry.text.replace("-", " ")
            break
    return Found(result, [highlight(kind, h, marked) for h in result.hits], searched_as, near_miss)


def _retries(spec: IndexSpec, query: SearchQuery) -> list[SearchQuery]:
    """What a query that found nothing is searched as next, in turn: with its city's 市
    added or left out; where the index spells names in pinyin, read as pinyin; last, as
    its near misses (one character wrong, missing or extra)."""
    out = []
    if variant := city_variant(query.text):
        out.append(replace(query, text=variant))
    if spec.named_text_fields:
        fields = tuple(spec.named_text_fields)
        out += [replace(query, text=t, fields=fields) for t in pinyin.query_forms(query.text)]
    if near := one_off(query.text):
        out.append(replace(query, near_misses=near, fields=spec.near_miss_fields))
    return out


def search_enterprises(
    backend: SearchBackend,
    text: str,
    *,
    city: str | None = None,
    industry: str | None = None,
    page: int = 1,
    size: int = 20,
) -> SearchResult:
    """Enterprises by name fragment, former name, shop name or USCC (facets by field)."""
    filters = {"city": (city,) if city else (), "industry": (industry,) if industry else ()}
    return search(backend, "enterprise", text, filters=filters, page=page, size=size).result


def _pattern(text: str) -> list[tuple[str, ...]] | None:
    """The query's phrases (token sequences), longest first."""
    phrases = query_terms(text)
    if not phrases:
        return None
    return sorted({tuple(p) for p in phrases}, key=len, reverse=True)


def _spans(folded: str, phrases: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where the phrases occur in folded, lower-cased text: their tokens one after the
    other, whatever non-token characters lie between (what a phrase match allows);
    leftmost first, longest phrase first, never overlapping."""
    found = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    words = [w for w, _, _ in found]
    spans, i = [], 0
    while i < len(found):
        for phrase in phrases:
            n = len(phrase)
            if tuple(words[i : i + n]) == phrase:
                spans.append((found[i][1], found[i + n - 1][2]))
                i += n
                break
        else:
            i += 1
    return spans


def _mark(value: str, phrases: list[tuple[str, ...]]) -> str | None:
    """The value (or a window around the first match in long text) with matches in
    <em>, HTML-escaped; None without a match."""
    folded = fold(value).lower()
    # Most values of a hit (shop and former names, long facts) hold no phrase at all: a
    # phrase needs each of its tokens somewhere in the text, which is cheap to rule out.
    if not any(all(token in folded for token in p) for p in phrases):
        return None
    spans = _spans(folded, phrases)
    if not spans:
        return None
    start, end = 0, len(value)
    if len(value) > 2 * FRAGMENT + 20:
        start = max(0, spans[0][0] - FRAGMENT)
        end = min(len(value), spans[0][1] + FRAGMENT)
    out, pos = [], start
    for a, b in spans:
        if a < start or b > end:
            continue
        out.append(html.escape(value[pos:a]))
        out.append(f"<em>{html.escape(value[a:b])}</em>")
        pos = b
    out.append(html.escape(value[pos:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(value) else "")


def highlight(kind: str, hit: SearchHit, text: str) -> dict[str, list[str]]:
    """Matched fragments per display field (HTML-escaped, matches in <em>)."""
    if not text or looks_like_uscc(text):
        return {}
    pattern = _pattern(text)
    if pattern is None:
        return {}
    out: dict[str, list[str]] = {}
    for name in HIGHLIGHTED[kind]:
        value = hit.source.get(name)
        values = value if isinstance(value, list) else [value]
        marked = [m for v in values if v for m in [_mark(str(v), pattern)] if m]
        if marked:
            out[name] = marked
    return out


def suggest(backend: SearchBackend, text: str, size: int = 8) -> list[SearchHit]:
    """For the search box: USCC prefixes, then name prefixes, then names containing it."""
    text = clean(text)
    if not text:
        return []
    found: dict[str, SearchHit] = {}
    code = uscc.normalize(text)  # never str.upper(): "ﬀ" must not become "FF"
    if re.fullmatch(r"[0-9A-Z]{2,18}", code):
        for hit in backend.starting_with(ENTERPRISES, "uscc", code, size):
            found.setdefault(hit.id, hit)
    if len(found) < size:
        for hit in backend.starting_with(ENTERPRISES, "name_exact", fold(text), size):
            found.setdefault(hit.id, hit)
    if len(found) < size and query_terms(text):
        for hit in backend.search(
            ENTERPRISES, SearchQuery(index=ENTERPRISES.name, text=text, size=size)
        ).hits:
            found.setdefault(hit.id, hit)
    return list(found.values())[:size]
