"""Publicity windows from the versioned rules table (``credit/data/publicity_rules.json``).

The rule version in force on the decision date applies. ``repairable_from`` is the earliest
date credit repair may be applied for; ``publish_until`` the last day the record is public.
Minor (轻微) records are not published by default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

from credit.scoring.calendar import add_months  # one month arithmetic for windows and decay

DATA = Path(__file__).resolve().parents[1] / "data" / "publicity_rules.json"
TIERS = ("minor", "general", "serious")


@dataclass(frozen=True)
class TierRule:
    published: bool
    min_months: int
    max_months: int


@dataclass(frozen=True)
class RuleVersion:
    code: str
    title: str
    effective_from: date
    effective_to: date | None
    tiers: dict[str, TierRule]

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Window:
    rule_version: str
    published: bool
    repairable_from: date
    publish_until: date


@cache
def versions() -> tuple[RuleVersion, ...]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))["versions"]
    out = []
    for v in raw:
        tiers = {
            t: TierRule(bool(r["published"]), int(r["min_months"]), int(r["max_months"]))
            for t, r in v["tiers"].items()
        }
        if set(tiers) != set(TIERS) or any(r.min_months > r.max_months for r in tiers.values()):
            raise ValueError(f"rule version {v['code']}: bad tiers")
        out.append(
            RuleVersion(
                v["code"],
                v["title"],
                date.fromisoformat(v["effective_from"]),
                date.fromisoformat(v["effective_to"]) if v["effective_to"] else None,
                tiers,
            )
        )
    out.sort(key=lambda v: v.effective_from)
    for a, b in pairwise(out):
        if a.effective_to is None or a.effective_to >= b.effective_from:
            raise ValueError(f"rule versions {a.code} and {b.code} overlap")
    return tuple(out)


def rule_for(decision_date: date) -> RuleVersion:
    for version in versions():
        if version.in_force(decision_date):
            return version
    raise LookupError(f"no publicity rule in force on {decision_date}")


def window(tier: str, decision_date: date) -> Window:
    """The publicity window of a record of ``tier`` decided on ``decision_date``.

    Periods run from the decision date: repair from (decision + min months), public up to
    and including the day before (decision + max months).
    """
    version = rule_for(decision_date)
    rule = version.tiers[tier]
    return Window(
        version.code,
        rule.published,
        add_months(decision_date, rule.min_months),
        add_months(decision_date, rule.max_months) - timedelta(days=1),
    )
