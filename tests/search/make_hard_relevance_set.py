"""Write ``hard_relevance_set.json``: queries as users mistype, transliterate or half
remember a firm, judged by written rules over the demo registry (seed 11, 1,500 firms),
never by either engine.

The kinds, and the rule that makes and judges each (grade 3: the firm the user means;
2: a firm that fits the query as well, such as a homophone):

- ``wrong_char``: a firm's full name with one character of its trade name (字号) replaced
  by another trade character. Judged: that firm 3.
- ``missing_char``: a firm's full name without one character of its trade name (a trade
  name of three characters, so two remain). Judged: that firm 3.
- ``pinyin``: the city and the trade name in toneless pinyin, no spaces (``suqianshunjun``).
  Judged: every firm of that city whose trade name reads the same 2 (homophones count),
  the firm it was made from 3.
- ``pinyin_initials``: the first letters of the pinyin of the city and the trade name
  (``sqsj``). Judged the same way, on the initials.
- ``traditional``: a firm's full name in traditional characters (OpenCC ``s2t``), only where
  that changes it. Judged: that firm 3.
- ``shop_brand``: a brand a firm sells under that appears in none of its names (the set
  adds such a shop to the firm: ``extra_shops``). Judged: that firm 3.
- ``address``: city, district and trade words (``宿迁 沭阳 农业``). Judged: every firm
  registered in that district whose industry is that trade 2.
- ``former_name``: a former name with its city's ``市`` left out or added. Judged: the firm
  that used it 3.
- ``uscc_typo``: a firm's code with one character (not the check character) replaced, as
  a user mistypes it: the check character then fails (GB 32100-2015 detects every single
  substitution). Judged: that firm 3.

Run ``python -m tests.search.make_hard_relevance_set`` to regenerate.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from credit import uscc
from credit.demo import _INDUSTRY_WORDS, _TRADE_CHARS, generate
from credit.regions import DISTRICTS, JIANGSU_CITIES

OUT = Path(__file__).with_name("hard_relevance_set.json")
PER_KIND = 12
#: Brands a firm sells under that are none of its names (the set adds them as shops).
BRANDS = (
    "小熊当家",
    "绿野仙踪",
    "北极星选",
    "橙意满满",
    "云朵好物",
    "麦田守望",
    "森活家",
    "蓝鲸优品",
    "柚见好物",
    "暖阳小铺",
    "青禾集",
    "千岛湖畔",
)
_WORDS = sorted({w for words in _INDUSTRY_WORDS.values() for w in words}, key=len, reverse=True)
#: The trade words an address query names, per industry (the first of its words).
TRADE_WORD = {industry: words[0][:2] for industry, words in _INDUSTRY_WORDS.items()}


def trade_name(r: dict) -> str:
    """The trade name (字号) of a demo firm: its name after the city (and district) up to
    its industry word."""
    rest = r["name"]
    city = JIANGSU_CITIES[r["city_code"]]
    for prefix in (city, city[:-1]):
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
            break
    district = DISTRICTS[r["city_code"]][r["district_code"]]
    if rest.startswith(district):
        rest = rest[len(district) :]
    cut = min((rest.find(w) for w in _WORDS if rest.find(w) > 0), default=-1)
    return rest[:cut] if cut > 0 else ""


def _pinyin(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.NORMAL)


def _city_short(r: dict) -> str:
    return JIANGSU_CITIES[r["city_code"]][:-1]


def spoken(r: dict) -> tuple[str, str]:
    """(full pinyin, initials) of the city and the trade name."""
    syllables = _pinyin(_city_short(r) + trade_name(r))
    return "".join(syllables), "".join(s[0] for s in syllables)


def build() -> dict:
    from opencc import OpenCC

    records = list(generate(1500, seed=11))
    rng = random.Random(2027)
    firms = [r for r in records if trade_name(r)]
    rng.shuffle(firms)
    queries: list[dict] = []
    extra_shops: dict[str, list[str]] = {}

    def add(kind: str, q: str, judged: dict[str, int]) -> bool:
        if (
            judged
            and sum(x["kind"] == kind for x in queries) < PER_KIND
            and all(q != x["q"] for x in queries)
        ):
            queries.append({"kind": kind, "q": q, "judged": judged})
            return True
        return False

    names = {r["name"] for r in records}
    pool = iter(firms)
    for r in pool:  # one trade character replaced by another
        trade = trade_name(r)
        i = rng.randrange(len(trade))
        other = rng.choice([c for c in _TRADE_CHARS if c not in trade])
        typo = r["name"].replace(trade, trade[:i] + other + trade[i + 1 :], 1)
        if typo not in names:
            add("wrong_char", typo, {r["uscc"]: 3})
        if sum(x["kind"] == "wrong_char" for x in queries) == PER_KIND:
            break
    for r in pool:  # one of three trade characters left out
        trade = trade_name(r)
        if len(trade) == 3:
            i = rng.randrange(3)
            short = r["name"].replace(trade, trade[:i] + trade[i + 1 :], 1)
            if short not in names:
                add("missing_char", short, {r["uscc"]: 3})
        if sum(x["kind"] == "missing_char" for x in queries) == PER_KIND:
            break
    for kind, which in (("pinyin", 0), ("pinyin_initials", 1)):
        for r in pool:
            key = spoken(r)[which]
            judged = {
                x["uscc"]: 2
                for x in records
                if x["city_code"] == r["city_code"] and trade_name(x) and spoken(x)[which] == key
            }
            add(kind, key, {**judged, r["uscc"]: 3})
            if sum(x["kind"] == kind for x in queries) == PER_KIND:
                break
    s2t = OpenCC("s2t")
    for r in pool:
        traditional = s2t.convert(r["name"])
        if traditional != r["name"]:
            add("traditional", traditional, {r["uscc"]: 3})
        if sum(x["kind"] == "traditional" for x in queries) == PER_KIND:
            break
    for brand, r in zip(BRANDS, pool, strict=False):
        extra_shops[r["uscc"]] = [f"{brand}{rng.choice(('旗舰店', '专卖店', '官方店'))}"]
        add("shop_brand", brand, {r["uscc"]: 3})
    for r in pool:
        district = DISTRICTS[r["city_code"]][r["district_code"]]
        word = TRADE_WORD[r["industry"]]
        judged = {
            x["uscc"]: 2
            for x in records
            if x["district_code"] == r["district_code"] and x["industry"] == r["industry"]
        }
        add("address", f"{_city_short(r)} {district} {word}", judged)
        if sum(x["kind"] == "address" for x in queries) == PER_KIND:
            break
    for r in records:
        for former in r["former_names"]:
            city = JIANGSU_CITIES[r["city_code"]]
            variant = (
                former.replace(city, city[:-1], 1)
                if former.startswith(city)
                else former.replace(city[:-1], city, 1)
            )
            if variant != former and variant not in names:
                add("former_name", variant, {r["uscc"]: 3})
    codes = {r["uscc"] for r in records}
    for r in pool:
        code = r["uscc"]
        i = rng.randrange(1, 17)  # not the check character, nor the authority digit
        wrong = code[:i] + rng.choice(uscc.CHARSET.replace(code[i], "")) + code[i + 1 :]
        if wrong not in codes and not uscc.is_valid(wrong):
            add("uscc_typo", wrong, {code: 3})
        if sum(x["kind"] == "uscc_typo" for x in queries) == PER_KIND:
            break
    return {"extra_shops": extra_shops, "queries": queries}


if __name__ == "__main__":
    built = build()
    OUT.write_text(json.dumps(built, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for q in built["queries"]:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{len(built['queries'])} queries -> {OUT}: {kinds}")
