"""What a query may be typed as, brought to the form the registry is written in.

- Traditional characters (繁体): firm names are registered in simplified characters, so a
  query is converted with OpenCC's ``t2s`` (phrase-aware: 乾隆 stays, 乾燥 becomes 干燥)
  before it is matched. Simplified text comes back unchanged (measured: none of 20,000
  demo names changed).
- A code with one mistyped character: it fails its check character, and the valid codes
  one character away are what the user meant (``credit.uscc.near_misses``).
- A city written with or without its 市: firms are registered as 宿迁市顺俊… or as 宿迁顺俊…
  and users type either. A query that finds nothing is searched again with the city's
  市 added or left out (``city_variant``), and the answer says what was searched.

- A name with one character wrong, missing or extra (南京云河科技 for 南京云海科技): a query
  that finds nothing in any other way is searched as its near misses (``one_off``), each
  the query's characters in two parts that lie at most one character apart.

- A trade word (零食, 女装, 汽配): firms are indexed by their industry's name (食品饮料,
  服装鞋帽, 汽车用品), and a query word that is one of the words consumers search that
  industry by also matches as its name (``trade_words``), so 南京 鼓楼 零食 finds the food
  firms of 鼓楼区 whatever their names say.

All are applied by ``search.queries`` before a backend sees the query, so both backends
serve them alike.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from credit import uscc
from credit.enterprises.vocab import INDUSTRIES, INDUSTRY_TERMS
from credit.regions import JIANGSU_CITIES
from search.backend import _CJK, query_terms, uscc_of

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _t2s():  # an opencc.OpenCC (the package has no type hints)
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional characters converted to simplified (ASCII text as is)."""
    if text.isascii():
        return text
    converter = _t2s()
    with _LOCK:  # one converter per process; its thread safety is not documented
        return converter.convert(text)


def meant_codes(text: str) -> tuple[str, ...]:
    """For a code-like query that fails its check: the code as typed and the valid codes
    one character away (looked up together); else ()."""
    code = uscc_of(text)
    if code is None or uscc.is_valid(code):
        return ()
    near = uscc.near_misses(code)
    return (code, *near) if near else ()


#: Each city's name without its 市 (宿迁), longest first so 连云港 is never read as 连云.
_CITY_SHORT = sorted((name[:-1] for name in JIANGSU_CITIES.values()), key=len, reverse=True)


def city_variant(text: str) -> str | None:
    """``text`` with the first city name's 市 added where it has none, or left out where it
    has one (宿迁顺俊 <-> 宿迁市顺俊); None when it names no city or the city ends it."""
    for short in _CITY_SHORT:
        at = text.find(short)
        if at < 0:
            continue
        end = at + len(short)
        if text[end : end + 1] == "市":
            rest = text[end + 1 :]
            return text[:end] + rest if rest and not rest[0].isspace() else None
        if end < len(text) and not text[end].isspace():
            return text[:end] + "市" + text[end:]
        return None
    return None


#: The shortest and longest query (in characters) searched for its near misses: with
#: fewer than four, one character off leaves two that match nearly anything; past thirty,
#: nobody is typing a name any more and each character adds two alternatives.
ONE_OFF_MIN, ONE_OFF_MAX = 4, 30
_HAN = re.compile(f"[{_CJK}]")


def one_off(text: str) -> tuple[str, ...]:
    """The near misses of a name typed with one character wrong, missing or extra, as
    ``SearchQuery.near_misses`` takes them: texts of one or two parts (space-separated
    phrases) whose parts must lie at most one character apart. For 南京云河科技:
    ``南京 云河科技`` (a character missing between them), ``南京 河科技`` (云 typed wrong or
    extra), ..., and ``京云河科技`` / ``南京云河科`` (the first or last one wrong). () for a
    query that is not one run of 4 to 30 Chinese characters, or that repeats three of
    them."""
    phrases = query_terms(text)
    if len(phrases) != 1:
        return ()
    chars = phrases[0]
    n = len(chars)
    if not ONE_OFF_MIN <= n <= ONE_OFF_MAX or not all(_HAN.fullmatch(c) for c in chars):
        return ()
    # A run of three characters typed twice (有限公司有限公司, 南京市南京市) is no name one
    # character off, and its near misses cost an engine seconds: measured on
    # Elasticsearch at 200,000 firms, 有限公司 four times took 1.5 s even with its timeout.
    triples = ["".join(chars[i : i + 3]) for i in range(n - 2)]
    if len(set(triples)) < len(triples):
        return ()
    split = [f"{''.join(chars[:i])} {''.join(chars[i:])}" for i in range(1, n)]
    dropped = [f"{''.join(chars[:i])} {''.join(chars[i + 1 :])}" for i in range(1, n - 1)]
    ends = ["".join(chars[1:]), "".join(chars[:-1])]
    return tuple(dict.fromkeys([*split, *dropped, *ends]))


#: Each trade word's industry name (INDUSTRY_TERMS: each word names one industry).
_TRADE_NAME = {
    term: INDUSTRIES[industry][0]
    for industry, terms in INDUSTRY_TERMS.items()
    for term in terms
    if term != INDUSTRIES[industry][0]
}


def trade_words(text: str) -> dict[str, tuple[str, ...]]:
    """The words of ``text`` that name a trade, each with its industry's name, as
    ``SearchQuery.also_as`` takes them: ``{"零食": ("食品饮料",)}``."""
    return {w: (_TRADE_NAME[w],) for w in text.split() if w in _TRADE_NAME}
