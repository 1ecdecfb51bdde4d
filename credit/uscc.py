"""Unified social credit code (统一社会信用代码) validation per GB 32100-2015 and GB 11714.

Pure functions, no I/O. ``check(raw)`` takes what a person typed or a file held and explains
every fault it finds, position by position, so the public USCC utility can tell a person
*why* a code is wrong, not just that it is. Every entry point (API paths, batch check, the
pages, the search box, the CSV import, the consoles, input schemas) goes through it, so a
code is read the same way everywhere.

Reading input (``fold`` then ``check``):

1. NFKC, one character at a time: full-width ``９１３２`` and ``Ｆ`` become ``9132`` and
   ``F``; a character whose NFKC form is more than one character (the ligature ``ﬀ``, ``ǅ``)
   is kept as it is, so it can never turn into two valid characters.
2. Surrounding white space is removed (also the ideographic space U+3000).
3. The length and the character set are checked on that text, *before* any change of case.
4. Only then are ASCII letters upper-cased (``str.upper`` is never used: ``"ß".upper()`` is
   ``"SS"``), so the code that is checked is exactly as long as the text that was typed.

The tables behind positions 1-8 (registration authority, entity category, province) are
data, ``credit/data/uscc_tables.json``, with their sources.
"""

from __future__ import annotations

import json
import string
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from credit.regions import JIANGSU_CITIES, PROVINCE_CODE, city_code_of

#: The 31-character alphabet of GB 32100 (no I, O, Z, S, V).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
#: Longer input is not read character by character (a path or a form can be long).
MAX_INPUT = 100
DATA = Path(__file__).resolve().parent / "data" / "uscc_tables.json"

_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS_18 = [pow(3, i, 31) for i in range(17)]
_WEIGHTS_17 = [3, 7, 9, 10, 5, 8, 4, 2]
#: What may be typed before the case change: the set above and its ASCII lower case.
_TYPED = frozenset(CHARSET + CHARSET.lower())
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)

#: Position 1 (registration authority) + position 2 (entity type) for market regulation.
ENTITY_TYPES = {
    "91": "enterprise",
    "92": "individual_business",
    "93": "farmer_cooperative",
}
ENTITY_TYPE_LABELS = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "farmer_cooperative": "农民专业合作社",
    "other": "其他组织",
}


@dataclass(frozen=True)
class Fault:
    """One reason a code is invalid (or, as a note, one thing worth knowing about it): a
    stable code, the position(s) it concerns ("3-8", "5,9"; None for the whole code) and
    Chinese and English text that names the position."""

    code: str
    message: str
    message_en: str
    position: str | None = None

    @property
    def text(self) -> str:
        """Both languages in one string, for a per-field error message."""
        return f"{self.message} ({self.message_en})"


@dataclass(frozen=True)
class Category:
    """Position 2: the entity category under one registration authority."""

    code: str
    name: str
    name_en: str
    entity_type: str | None = None  # the platform's entity type, for market regulation


@dataclass(frozen=True)
class Authority:
    """Position 1: a registration authority and the categories it may write in position 2."""

    code: str
    name: str
    name_en: str
    unverified: bool
    categories: dict[str, Category]


@dataclass(frozen=True)
class Tables:
    authorities: dict[str, Authority]
    provinces: dict[str, str]
    national_division: str


@dataclass(frozen=True)
class UsccCheck:
    """The outcome of checking one code."""

    code: str
    valid: bool
    faults: list[Fault] = field(default_factory=list)
    entity_type: str | None = None
    division_code: str | None = None
    city_code: str | None = None
    in_jiangsu: bool = False
    authority: Authority | None = None
    category: Category | None = None
    province_code: str | None = None
    province_name: str | None = None
    #: Things worth knowing about a code that are not faults ("valid, but not Jiangsu").
    notes: list[Fault] = field(default_factory=list)


@cache
def tables() -> Tables:
    """The authority, category and province tables (read once)."""
    raw = json.loads(DATA.read_text("utf-8"))
    authorities = {}
    for code, a in raw["authorities"].items():
        if code.startswith("_"):
            continue
        categories = {
            c: Category(c, v["name"], v["name_en"], v.get("entity_type"))
            for c, v in a["categories"].items()
        }
        authorities[code] = Authority(
            code, a["name"], a["name_en"], bool(a.get("unverified")), categories
        )
    divisions = raw["divisions"]
    return Tables(authorities, dict(divisions["provinces"]), divisions["national"]["code"])


# -- reading input -------------------------------------------------------------------------
def fold(raw: str) -> str:
    """NFKC one character at a time (full-width forms to ASCII), surrounding white space
    removed. A character whose NFKC form has more than one character (``ﬀ`` -> ``ff``) is
    kept unchanged, so folding never makes a text longer."""
    text = raw.strip()
    if text.isascii():
        return text
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out).strip()


def normalize(raw: str) -> str:
    """The code as a person meant it: folded, ASCII letters upper-cased. Never longer than
    the input (only surrounding white space is removed); it is not checked here."""
    return fold(raw).translate(_ASCII_UPPER)


def code_like(raw: str) -> str | None:
    """The normalised code if ``raw`` is 18 ASCII letters or digits once folded (the search
    box's "is this a code?"), else None. It may still fail ``check``."""
    folded = fold(raw[: MAX_INPUT + 1])
    if len(folded) == LENGTH and all(ch in _ASCII_ALNUM for ch in folded):
        return folded.translate(_ASCII_UPPER)
    return None


def looks_like_an_attempt(raw: str) -> bool:
    """Whether ``raw`` is probably meant as a code even if it is not 18 clean characters
    (a ligature, a letter too many, a stray symbol): one word of 16-20 characters, nearly
    all ASCII letters or digits, with at least six digits (positions 3-8 are digits). The
    search page then shows which rule fails."""
    folded = fold(raw[: MAX_INPUT + 1])
    if not 16 <= len(folded) <= 20 or any(ch.isspace() for ch in folded):
        return False
    alnum = sum(ch in _ASCII_ALNUM for ch in folded)
    return alnum >= len(folded) - 2 and sum(ch.isdigit() and ch.isascii() for ch in folded) >= 6


# -- the check -------------------------------------------------------------------------------
def _spans(positions: list[int]) -> str:
    """1-based positions as "3-8" or "5,9,11-12"."""
    out: list[str] = []
    start = prev = positions[0]
    for p in [*positions[1:], None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ",".join(out)


def _shown(ch: str) -> str:
    """A character as an error message shows it: itself and its code point."""
    point = f"U+{ord(ch):04X}"
    return f"“{ch}”({point})" if ch.isprintable() and not ch.isspace() else point


def _form_faults(text: str) -> list[Fault]:
    """Length and character set, on the folded text before any change of case."""
    faults = []
    if len(text) != LENGTH:
        faults.append(
            Fault(
                "length",
                f"长度应为 18 位，实际为 {len(text)} 位",
                f"must be 18 characters, got {len(text)}",
            )
        )
    bad = [(i + 1, ch) for i, ch in enumerate(text) if ch not in _TYPED]
    if bad:
        listed = "、".join(f"第 {p} 位 {_shown(ch)}" for p, ch in bad[:5])
        listed_en = ", ".join(f"{_shown(ch)} at position {p}" for p, ch in bad[:5])
        more = f" 等 {len(bad)} 处" if len(bad) > 5 else ""
        more_en = f" ({len(bad)} in all)" if len(bad) > 5 else ""
        faults.append(
            Fault(
                "charset",
                f"含有不允许的字符：{listed}{more}（只能用数字和除 I、O、Z、S、V 外的大写字母）",
                f"contains characters outside the GB 32100 set: {listed_en}{more_en} "
                "(digits and capital letters except I, O, Z, S, V)",
                _spans([p for p, _ in bad]),
            )
        )
    return faults


def _authority_faults(
    code: str, t: Tables
) -> tuple[list[Fault], Authority | None, Category | None]:
    authority = t.authorities.get(code[0])
    if authority is None:
        known = "、".join(t.authorities)
        return (
            [
                Fault(
                    "authority",
                    f"第 1 位（登记管理部门代码）“{code[0]}”不在 GB 32100 的代码表中"
                    f"（应为 {known} 之一）",
                    f"position 1 (registration authority) '{code[0]}' is not in the GB 32100 "
                    f"table (one of {', '.join(t.authorities)})",
                    "1",
                )
            ],
            None,
            None,
        )
    category = authority.categories.get(code[1])
    if category is None:
        known = "、".join(authority.categories)
        return (
            [
                Fault(
                    "category",
                    f"第 2 位（机构类别代码）“{code[1]}”不适用于登记管理部门 {authority.code}"
                    f"（{authority.name}），应为 {known} 之一",
                    f"position 2 (entity category) '{code[1]}' is not a category of "
                    f"registration authority {authority.code} ({authority.name_en}); "
                    f"expected one of {', '.join(authority.categories)}",
                    "2",
                )
            ],
            authority,
            None,
        )
    return [], authority, category


def _division_faults(division: str, t: Tables) -> list[Fault]:
    letters = [i + 3 for i, ch in enumerate(division) if not ch.isdigit()]
    if letters:
        where = _spans(letters)
        return [
            Fault(
                "division",
                f"第 3-8 位（登记管理机关行政区划码，GB/T 2260）应为 6 位数字，"
                f"第 {where} 位不是数字",
                f"positions 3-8 (the registration authority's GB/T 2260 division) must be "
                f"six digits; position {where} is not a digit",
                "3-8",
            )
        ]
    if division == t.national_division:
        return []
    if division[:2] not in t.provinces:
        return [
            Fault(
                "division",
                f"第 3-4 位“{division[:2]}”不是 GB/T 2260 的省级行政区划代码",
                f"positions 3-4 '{division[:2]}' are not a GB/T 2260 province-level code",
                "3-4",
            )
        ]
    in_jiangsu = division[:2] == PROVINCE_CODE[:2]
    if in_jiangsu and division[2:4] != "00" and city_code_of(division) not in JIANGSU_CITIES:
        return [
            Fault(
                "division",
                f"第 5-6 位“{division[2:4]}”不是江苏省的地市代码（应为 01-13）",
                f"positions 5-6 '{division[2:4]}' are not a Jiangsu city (01-13)",
                "5-6",
            )
        ]
    return []


def _division_notes(division: str, t: Tables) -> list[Fault]:
    """What a valid division says about where the code was issued."""
    if division == t.national_division:
        return [
            Fault(
                "national",
                "第 3-8 位为 100000：国家级登记管理机关赋码，不是江苏省的地市",
                "positions 3-8 are 100000: issued by a national authority, not a Jiangsu city",
                "3-8",
            )
        ]
    province = t.provinces[division[:2]]
    if division[:2] != PROVINCE_CODE[:2]:
        return [
            Fault(
                "not_jiangsu",
                f"代码有效，但登记管理机关在{province}（{division}），不在江苏省",
                f"a valid code, but its registration authority is in {province} ({division}), "
                "not in Jiangsu",
                "3-8",
            )
        ]
    if division[2:4] == "00":
        return [
            Fault(
                "province_level",
                f"第 3-8 位为江苏省省级登记管理机关（{division}）：本平台按地市登记经营者",
                f"positions 3-8 name a Jiangsu province-level authority ({division}); the "
                "platform files firms by city",
                "3-8",
            )
        ]
    return []


def _check_faults(code: str) -> list[Fault]:
    faults = []
    if gb11714_check_char(code[8:16]) != code[16]:
        faults.append(
            Fault(
                "check_17",
                "第 17 位（主体标识码即组织机构代码的校验码，GB 11714）不正确",
                "position 17 (GB 11714 organisation-code check) is wrong",
                "17",
            )
        )
    if gb32100_check_char(code[:17]) != code[17]:
        faults.append(
            Fault(
                "check_18",
                "第 18 位（校验码）不正确",
                "position 18 (GB 32100 check character) is wrong",
                "18",
            )
        )
    return faults


def check(raw: str) -> UsccCheck:
    """Check a code against GB 32100 and GB 11714 and describe every fault found.

    Never raises. The length and the character set are judged on the folded input before
    any case change; positions 1-8 are judged where their characters are allowed ones; the
    check characters (17, 18) only when every character is allowed.
    """
    text = raw.strip()
    if len(text) > MAX_INPUT:
        fault = Fault(
            "length",
            f"长度应为 18 位，实际为 {len(text)} 位",
            f"must be 18 characters, got {len(text)}",
        )
        return UsccCheck(code=text[:MAX_INPUT], valid=False, faults=[fault])
    folded = fold(text)
    faults = _form_faults(folded)
    code = folded.translate(_ASCII_UPPER)
    if len(code) != LENGTH:
        return UsccCheck(code=code, valid=False, faults=faults)
    t = tables()
    allowed = [ch in _VALUE for ch in code]
    authority = category = None
    if allowed[0] and allowed[1]:
        found, authority, category = _authority_faults(code, t)
        faults += found
    division = code[2:8]
    division_ok = all(allowed[2:8])
    if division_ok:
        found = _division_faults(division, t)
        faults += found
        division_ok = not found
    if all(allowed):
        faults += _check_faults(code)
    faults.sort(key=_order)
    notes = _division_notes(division, t) if division_ok else []
    city = city_code_of(division) if division_ok else None
    province = division[:2] if division_ok and division != t.national_division else None
    entity_type = None
    if category is not None:
        entity_type = category.entity_type or "other"
    return UsccCheck(
        code=code,
        valid=not faults,
        faults=faults,
        entity_type=entity_type,
        division_code=division if division_ok else None,
        city_code=city,
        in_jiangsu=city in JIANGSU_CITIES,
        authority=authority,
        category=category,
        province_code=province + "0000" if province else None,
        province_name=t.provinces.get(province) if province else None,
        notes=notes,
    )


_ORDER = ("length", "charset", "authority", "category", "division", "check_17", "check_18")


def _order(f: Fault) -> int:
    return _ORDER.index(f.code)


def is_valid(code: str) -> bool:
    return check(code).valid


def canonical(raw: str) -> str | None:
    """The code as stored if ``raw`` is a valid code (in any width or case), else None."""
    result = check(raw)
    return result.code if result.valid else None


# -- check characters ------------------------------------------------------------------------
def gb11714_check_char(body: str) -> str:
    """Check character (position 17) for the 8-character organisation-code body.

    Values are digits and the full Latin alphabet (A=10 ... Z=35), unlike GB 32100.
    """
    total = 0
    for ch, w in zip(body, _WEIGHTS_17, strict=True):
        total += (int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10) * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def gb32100_check_char(first17: str) -> str:
    """Check character (position 18) over the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS_18, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def near_misses(code: str) -> list[str]:
    """The valid codes that differ from ``code`` (18 characters of ``CHARSET``, upper case)
    in exactly one character: what a user meant who mistyped one. A single substitution
    always breaks the GB 32100 check character (its weights are non-zero modulo the prime
    31), so a valid code has none; an invalid one has about seventeen, fewer once the
    organisation-code check and the division are checked too."""
    if len(code) != LENGTH or any(ch not in _VALUE for ch in code):
        return []
    found = []
    for i in range(LENGTH):
        for ch in CHARSET:
            if ch == code[i]:
                continue
            candidate = code[:i] + ch + code[i + 1 :]
            if gb32100_check_char(candidate[:17]) == candidate[17] and is_valid(candidate):
                found.append(candidate)
    return found


def complete(first16: str) -> str:
    """Append both check characters to a 16-character prefix (used by the demo generator)."""
    with_17 = first16 + gb11714_check_char(first16[8:16])
    return with_17 + gb32100_check_char(with_17)


def describe(result: UsccCheck) -> dict[str, Any]:
    """What a code says, as plain data (the API and the pages show the same)."""
    a, c = result.authority, result.category
    return {
        "authority": (
            {"code": a.code, "name": a.name, "name_en": a.name_en, "unverified": a.unverified}
            if a
            else None
        ),
        "category": {"code": c.code, "name": c.name, "name_en": c.name_en} if c else None,
        "province_code": result.province_code,
        "province_name": result.province_name,
    }
