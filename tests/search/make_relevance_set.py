"""Write ``relevance_set.json``: queries over the demo registry (seed 11, 1,500 firms) with
graded judgments made by explicit rules a person can check, not by either engine.

Grades: 3 = the one result the user means (exact name, USCC, full-width spelling of the
name); 2 = what the query names (the name starts with it, contains the fragment or both
words, owns the shop or former name); 1 = matches elsewhere (a shop or former name contains
the fragment). Run ``python -m tests.search.make_relevance_set`` to regenerate.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from credit.demo import generate

OUT = Path(__file__).with_name("relevance_set.json")
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _texts(r: dict) -> list[str]:
    return [*r["former_names"], *(s["shop_name"] for s in r["shops"])]


def judge_fragment(records: list[dict], frag: str) -> dict[str, int]:
    out = {}
    for r in records:
        if frag in r["name"]:
            out[r["uscc"]] = 2
        elif any(frag in t for t in _texts(r)):
            out[r["uscc"]] = 1
    return out


def build() -> list[dict]:
    records = list(generate(1500, seed=11))
    rng = random.Random(2026)
    sample = rng.sample(records, 200)
    queries: list[dict] = []

    def add(kind: str, q: str, judged: dict[str, int]) -> None:
        if judged and all(q != x["q"] for x in queries):
            queries.append({"kind": kind, "q": q, "judged": judged})

    for r in sample[:12]:  # exact names
        judged = {x["uscc"]: 1 for x in records if r["name"] in x["name"]}
        add("exact_name", r["name"], {**judged, r["uscc"]: 3})
    for r in sample[12:22]:  # name prefixes: the city and the trade name
        prefix = r["name"][:5]
        judged = {
            x["uscc"]: 2 if x["name"].startswith(prefix) else 1
            for x in records
            if prefix in x["name"]
        }
        add("name_prefix", prefix, judged)
    for r in sample[22:32]:  # two characters from inside the trade name
        add("fragment", r["name"][3:5], judge_fragment(records, r["name"][3:5]))
    for r in sample[32:38]:  # codes
        add("uscc", r["uscc"], {r["uscc"]: 3})
    shops = [r for r in sample[38:] if r["shops"]][:6]
    for r in shops:  # a shop name
        name = r["shops"][0]["shop_name"]
        add(
            "shop",
            name,
            {x["uscc"]: 2 for x in records if any(s["shop_name"] == name for s in x["shops"])}
            | {x["uscc"]: 1 for x in records if name in x["name"]},
        )
    formers = [r for r in records if r["former_names"]][:4]
    for r in formers:  # a former name
        add("former_name", r["former_names"][0], {r["uscc"]: 2})
    for r in sample[60:64]:  # two words: the city and two characters of the trade name
        a, b = r["name"][:2], r["name"][3:5]
        add(
            "two_words",
            f"{a} {b}",
            {x["uscc"]: 2 for x in records if a in x["name"] and b in x["name"]},
        )
    for i, r in enumerate(sample[64:68]):  # a code as an IME may type it: full width, or
        typed = (
            "".join(FULL_WIDTH.get(c, c) for c in r["uscc"]) if i % 2 == 0 else r["uscc"].lower()
        )  # in lower case
        add("code_as_typed", typed, {r["uscc"]: 3})
    return queries


if __name__ == "__main__":
    qs = build()
    OUT.write_text(json.dumps(qs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(qs)} queries -> {OUT}")
