"""Categories of key enterprises and the coverage states, in Chinese and English.

The categories and the pledge types each requires are data
(``credit/data/key_enterprise_categories.json``): an operator changes them there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "key_enterprise_categories.json"


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    #: Pledge types (credit/pledges/vocab.py PLEDGE_TYPES) any one of which covers the firm.
    required_pledge_types: tuple[str, ...]


@cache
def _document() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def categories() -> dict[str, Category]:
    """code -> Category, in the file's order."""
    return {
        c["code"]: Category(c["code"], c["zh"], c["en"], tuple(c["required_pledge_types"]))
        for c in _document()["categories"]
    }


def expiring_within_days() -> int:
    """A pledge in force ending within this many days counts as ``expiring``."""
    return int(_document()["expiring_within_days"])


#: Coverage states, best first: (Chinese, English, counts as covered?).
COVERAGE_STATES: dict[str, tuple[str, str, bool]] = {
    "in_force": ("承诺有效", "pledge in force", True),
    "expiring": ("承诺即将到期（30 日内）", "pledge expiring within 30 days", True),
    "scheduled": ("承诺已公示，尚未生效", "pledge published, not yet in force", True),
    "breached": ("承诺已违反", "pledge breached", False),
    "expired": ("承诺已过期", "pledge expired", False),
    "withdrawn": ("承诺已撤回", "pledge withdrawn", False),
    "none": ("尚未公示承诺", "no pledge published", False),
}
COVERED = frozenset(s for s, (_, _, ok) in COVERAGE_STATES.items() if ok)

#: History actions: (Chinese, English).
ACTIONS: dict[str, tuple[str, str]] = {
    "added": ("列入", "added"),
    "removed": ("移出", "removed"),
}
