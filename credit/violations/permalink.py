"""One public violation record, as its permalink page shows it.

Only a record that is public today is shown: one that is not (not published, not yet
public, revoked, repaired or past its window) is not found, exactly like an unknown id, for
everyone (a signed-in firm or regulator sees its records in its console, not here). The
rule is ``credit.publicity.is_public``, the one the profile and the search index use.

The publicity window is explained with the rows of ``credit/data/publicity_rules.json`` it
follows (the rule version in force on the decision date, the severity row, and the rows of
the authority's regime that applied), each with its document and article, so a reader can
check the dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from credit import clock, publicity
from credit.errors import NotFound
from credit.extensions import db
from credit.identity import Identity
from credit.pledges.models import Pledge
from credit.violations import rules
from credit.violations import service as violations
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES, STATUSES

NOT_FOUND = "未找到该违法失信信息 (no such public record)"

#: Correctable fields in words.
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "facts": ("违法事实", "facts"),
    "legal_basis": ("法律依据", "legal basis"),
    "penalty_type": ("处罚种类", "penalty"),
    "penalty_amount": ("罚款金额", "amount"),
    "category": ("违法类别", "category"),
}
#: Values of those fields that are codes, shown in words.
_CODED = {"penalty_type": PENALTY_TYPES, "category": CATEGORIES}


def _pair(table: dict[str, tuple[str, str]], key: str | None) -> list[str]:
    value = table.get(key or "", (key or "", key or ""))
    return [value[0], value[1]]


def _cite(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A citation row of the rules file as the page shows it: the document, its article
    (None where it could not be verified), what it says, and whether it was checked."""
    if not raw:
        return None
    source = rules.table()["sources"].get(raw["source"], {})
    return {
        "document": source.get("title", raw["source"]),
        "number": source.get("number"),
        "article": raw.get("article"),
        "says": raw.get("says", ""),
        "unverified": bool(raw.get("unverified")) or not raw.get("article"),
    }


def _window_basis(v: Any) -> list[dict[str, Any]]:
    """The rule rows this record's window follows, in words with their citations."""
    table = rules.table()
    version = next((r for r in table["versions"] if r["code"] == v.rule_version), None)
    out: list[dict[str, Any]] = []
    if version is not None:
        out.append(
            {
                "rule": [
                    f"公示期限（决定日适用的规则版本 {version['code']}）",
                    f"the period (rule version {version['code']}, in force on the decision date)",
                ],
                "cite": _cite(version["severities"][v.severity].get("cite")),
            }
        )
        if not table["regimes"].get(v.regime, {}).get("start"):
            out.append(
                {
                    "rule": ["公示期起算", "when the period starts"],
                    "cite": _cite(version["start"].get("cite")),
                }
            )
    regime = table["regimes"].get(v.regime, {})
    try:
        basis = violations.window_of(v, v.regime).basis
    except (LookupError, ValueError):  # rules older than the record's facts: dates as stored
        basis = ()
    rows = {
        "short": ("short", ["较短公示期", "shorter period"]),
        "max": ("max_months", ["最长公示期", "longest period"]),
        "repair-excluded": (
            "repair_excluded_penalties",
            ["不得提前停止公示", "may not end early"],
        ),
    }
    if regime.get("start") == "publication":
        out.append(
            {
                "rule": ["公示期自公示之日起算", "periods run from publication"],
                "cite": _cite(regime.get("start_cite")),
            }
        )
    for item in basis:
        head, _, tail = item.partition("/")
        if head == v.regime and tail in rows:
            key, words = rows[tail]
            out.append({"rule": words, "cite": _cite((regime.get(key) or {}).get("cite"))})
        elif version is not None and head == version["code"]:
            for exc in version.get("exceptions", ()):
                if exc["code"] == tail:
                    out.append(
                        {"rule": ["较长的最短公示期", "longer minimum"], "cite": _cite(exc["cite"])}
                    )
    return [row for row in out if row["cite"]]


def _breaches(v: Any) -> list[dict[str, Any]]:
    return _breach_rows(
        (db.session.get(Pledge, x.pledge_id), x.pledge_id, x.clause_code, x.breach_reason)
        for x in v.clauses
    )


def _breach_rows(
    links: Iterable[tuple[Pledge | None, str, str, str | None]],
) -> list[dict[str, Any]]:
    """(pledge, pledge id, clause code, reason) in words."""
    out = []
    for pledge, pledge_id, code, reason in links:
        texts = {c["code"]: c for c in pledge.template.clauses} if pledge else {}
        clause = texts.get(code, {})
        out.append(
            {
                "pledge_id": pledge_id,
                "pledge_title": [pledge.template.title, pledge.template.title_en]
                if pledge
                else ["", ""],
                "clause": code,
                "text": [
                    clause.get("text", code),
                    clause.get("text_en") or clause.get("text", code),
                ],
                "reason": reason,
            }
        )
    return out


def breached_clauses(v: Any) -> list[dict[str, Any]]:
    """The clauses a record breaches, each with its words (zh, en) and its pledge's title:
    the consoles show these, never the clause codes. ``v`` was read by a service that
    checked the reader may see it."""
    return _breaches(v)


def _value(field: str, value: str | None) -> list[str]:
    if value is None:
        return ["—", "—"]
    if field in _CODED:
        return _pair(_CODED[field], value)
    return [value, value]


def public_record(identity: Identity, violation_id: str) -> dict[str, Any]:
    """The record ``violation_id`` if it is public today, as plain data; else NotFound."""
    try:
        v = violations.get_violation(identity, violation_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    today = clock.today()
    if not publicity.is_public(v, today):
        raise NotFound(NOT_FOUND)
    return _record(v, today, _breaches(v))


def preview_record(v: Any, links: Iterable[tuple[Pledge, str, str | None]]) -> dict[str, Any]:
    """A record not yet written (``credit.violations.service.preview_violation``) as its
    permalink will show it, with whether the public will see it today (``public``)."""
    today = clock.today()
    rows = _breach_rows((pledge, pledge.id, clause, reason) for pledge, clause, reason in links)
    return {**_record(v, today, rows), "public": publicity.is_public(v, today)}


def _record(v: Any, today: date, breaches: list[dict[str, Any]]) -> dict[str, Any]:
    status = publicity.public_status(v, today)
    return {
        "id": v.id,
        "uscc": v.enterprise.uscc,
        "enterprise_name": v.enterprise.name,
        "decision_number": v.decision_number,
        "decision_date": v.decision_date.isoformat(),
        "category": v.category,
        "category_label": _pair(CATEGORIES, v.category),
        "severity": v.severity,
        "severity_label": _pair(SEVERITIES, v.severity),
        "legal_basis": v.legal_basis,
        "facts": v.facts,
        "penalty": _pair(PENALTY_TYPES, v.penalty_type),
        "penalty_amount": str(v.penalty_amount) if v.penalty_amount is not None else None,
        "authority": v.authority.name,
        "published_on": v.published_on.isoformat() if v.published_on else None,
        "publish_minor": v.publish_minor,
        "public_from": v.public_from.isoformat() if v.public_from else None,
        "publish_until": v.publish_until.isoformat(),
        "repairable": not v.repair_excluded,
        "repairable_from": v.repairable_from.isoformat(),
        "repair_open": not v.repair_excluded and v.repairable_from <= today,
        "rule_version": v.rule_version,
        "regime": v.regime,
        "window_basis": _window_basis(v),
        "status": status,
        "status_label": _pair(STATUSES, status),
        "breaches": breaches,
        "corrections": [
            {
                "field": _pair(FIELD_WORDS, c.field),
                "old": _value(c.field, c.old_value),
                "new": _value(c.field, c.new_value),
                "reason": c.reason,
                "on": c.corrected_at.astimezone(clock.CHINA).date().isoformat(),
            }
            for c in v.corrections
        ],
    }
