"""Pinyin (拼音) for search: names spelled as users type them, and typed pinyin read back.

Users of Chinese search boxes type a firm's name in toneless pinyin (``suqianshunjun``)
or its initials (``sqsj``). An enterprise document carries its name spelled both ways
(``t_pinyin``: ``su qian shun jun …``, ``t_initials``: ``s q s j …``, one token per
character, so the backends' phrase matching needs nothing new), and a query that finds
nothing as typed is read as pinyin (``query_forms``) and matched against those two fields.

Each character is spelled by its first reading in pypinyin's character table (tones
dropped, ü as v): a table lookup per character, about 2 µs a name, where pypinyin's
phrase-aware ``lazy_pinyin`` costs about 180 µs, too much for a rebuild of millions of
documents. The price: a character with several readings is spelled by its most common
one (行 as xing, so 银行 reads yinxing); firm names rarely hinge on that.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

#: A typed word read as pinyin: letters only, and a bound on the work of reading it.
_WORD = re.compile(r"[a-z]{2,40}")
#: The longest syllable (zhuang, chuang, shuang).
_LONGEST = 6


def _toneless(reading: str) -> str:
    bare = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")  # ü, typed as v
    return "".join(ch for ch in bare if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Character -> its first reading, toneless (loaded once per process, ~42,000 entries)."""
    from pypinyin.pinyin_dict import pinyin_dict

    return {chr(code): _toneless(readings.split(",")[0]) for code, readings in pinyin_dict.items()}


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless syllable with a vowel (the interjections m, n, ng, hm are left out, so
    a run of initials is never read as them)."""
    return frozenset(s for s in set(_table().values()) if re.search("[aeiouv]", s))


def spelled(text: str) -> tuple[str, str]:
    """(syllables, initials) of the Chinese characters of ``text``, space-separated;
    other characters are left out."""
    table = _table()
    syllables = [table[ch] for ch in text if ch in table]
    return " ".join(syllables), " ".join(s[0] for s in syllables)


def segmentations(word: str, limit: int = 3) -> list[list[str]]:
    """The ways ``word`` splits into pinyin syllables, fewest syllables first, at most
    ``limit`` (none when it is not pinyin). Typed pinyin has no syllable marks, so
    ``xian`` is 先 or 西安 and ``nanjingan`` 南京安 or 南金干: each is tried in turn."""
    syllables = _syllables()

    @cache
    def rest(start: int) -> tuple[tuple[str, ...], ...]:
        if start == len(word):
            return ((),)
        found = []
        for end in range(start + 1, min(len(word), start + _LONGEST) + 1):
            if word[start:end] in syllables:
                found.extend((word[start:end], *tail) for tail in rest(end))
        return tuple(sorted(found, key=len)[:limit])

    return [list(s) for s in rest(0)]


def query_forms(text: str, limit: int = 4) -> list[str]:
    """A query typed in pinyin as the pinyin fields hold it, each reading in turn (at most
    ``limit``): a word of two or more letters becomes its syllables (``suqian`` ->
    ``su-qian``), or its initials (``sqsj`` -> ``s-q-s-j``) when it is not pinyin; the
    hyphens keep each word one phrase. Empty unless every word is letters only."""
    words = text.lower().split()
    if not words or not all(_WORD.fullmatch(w) for w in words):
        return []
    forms = [""]
    for word in words:
        readings = ["-".join(s) for s in segmentations(word)] or ["-".join(word)]
        forms = [f"{f} {r}".strip() for f in forms for r in readings][:limit]
    return forms
