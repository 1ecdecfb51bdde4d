"""Which pledge clauses a violation may name as breached: one table, one place.

The table (``credit/data/breach_rules.json``) says, per clause code, which violation
categories can breach it, with the reasoning or citation of each row. It is platform-wide,
not per template: clause codes are stable across template versions, a published template is
immutable, and a rule read by regulators must be the same for every pledge that carries the
clause. A clause the table does not give the category (or a code not in the table) may still
be named when the authority states why (``breach_reason``): the reason is stored and shown.

The named pledge must be the version of its series in force on the day of the conduct
(``credit.pledges.versions``), never a draft or a version superseded or withdrawn by then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from credit.errors import FieldError
from credit.violations.vocab import CATEGORIES

DATA = Path(__file__).resolve().parents[1] / "data" / "breach_rules.json"


@dataclass(frozen=True)
class ClauseRule:
    clause: str
    summary: str
    categories: frozenset[str]
    reason: str
    citation: str


@cache
def table() -> dict[str, ClauseRule]:
    """The rules by clause code; a row naming an unknown category fails at load."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))["clauses"]
    out: dict[str, ClauseRule] = {}
    for row in raw:
        cats = row["categories"]
        if cats == "all":
            categories = frozenset(CATEGORIES)
        else:
            unknown = set(cats) - set(CATEGORIES)
            if unknown:
                raise ValueError(f"breach rule {row['clause']}: unknown categories {unknown}")
            categories = frozenset(cats)
        if row["clause"] in out:
            raise ValueError(f"breach rule {row['clause']} appears twice")
        out[row["clause"]] = ClauseRule(
            row["clause"], row["summary"], categories, row["reason"], row["citation"]
        )
    return out


def may_breach(category: str, clause: str) -> bool:
    """Does the table let a record of ``category`` name ``clause`` without a reason?"""
    rule = table().get(clause)
    return rule is not None and category in rule.categories


def categories_for(clause: str) -> list[str]:
    """The categories that can breach ``clause`` (in vocabulary order)."""
    rule = table().get(clause)
    return [c for c in CATEGORIES if rule is not None and c in rule.categories]


def check_items(
    category: str,
    items: list[dict[str, Any]],
    conduct_date: date,
    enterprise_id: str,
) -> tuple[list[tuple[Any, str, str | None]], list[FieldError]]:
    """Check the breached clauses a record names. Returns the (pledge, clause, reason) links
    that may be recorded and a per-field error (``breached_clauses.N``) for each that may
    not: a pledge that is not the firm's version in force on ``conduct_date``, a clause the
    pledge does not carry, the same clause twice, or a clause the category cannot breach
    without a ``breach_reason``."""
    from credit.extensions import db
    from credit.pledges.models import Pledge
    from credit.pledges.versions import pledge_in_force_on

    links: list[tuple[Any, str, str | None]] = []
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        field = f"breached_clauses.{i}"
        pledge = db.session.get(Pledge, item["pledge_id"])
        reason = (item.get("breach_reason") or "").strip() or None
        if pledge is None or pledge.enterprise_id != enterprise_id:
            errors.append(
                FieldError(
                    field, "不是该经营者的承诺 / not a pledge of this firm", "unknown_pledge"
                )
            )
            continue
        if not pledge_in_force_on(pledge, conduct_date):
            errors.append(
                FieldError(
                    field,
                    f"该承诺版本在违法行为发生之日（{conduct_date}）不在有效期内，或已被替代、撤回、"
                    f"尚未公示 / this pledge version was not the one in force on the conduct "
                    f"date {conduct_date} (superseded, withdrawn, a draft or outside its "
                    "validity)",
                    "not_in_force",
                )
            )
            continue
        if item["clause"] not in pledge.clauses:
            errors.append(
                FieldError(
                    field,
                    f"该承诺不含条款 {item['clause']} / the pledge has no clause {item['clause']}",
                    "invalid_clause",
                )
            )
            continue
        if (pledge.id, item["clause"]) in seen:
            errors.append(
                FieldError(field, "同一条款重复列出 / the same clause twice", "duplicate")
            )
            continue
        seen.add((pledge.id, item["clause"]))
        if not may_breach(category, item["clause"]) and reason is None:
            allowed = ", ".join(categories_for(item["clause"])) or "—"
            errors.append(
                FieldError(
                    field,
                    f"“{CATEGORIES[category][0]}”类违法行为按违诺对照表不违反条款 "
                    f"{item['clause']}（可违反该条款的类别：{allowed}）；确需认定的请填写 "
                    f"breach_reason / a {CATEGORIES[category][1]} record cannot breach clause "
                    f"{item['clause']} by the breach table (categories that can: {allowed}); "
                    "give a breach_reason to name it anyway",
                    "category_cannot_breach",
                )
            )
            continue
        links.append(
            (pledge, item["clause"], None if may_breach(category, item["clause"]) else reason)
        )
    return links, errors
