"""Human-readable text for contributions and milestones (zh and en; the caps and the
actions are worded in ``credit.ratings.guidance``).

Contribution texts come from the model version (the published rules); the vocabulary
labels come from the registries. A contribution that points at a record no longer public
(a repaired or ended violation, a past listing) is redacted for the public: the severity stays,
the decision number and the link go.
"""

from __future__ import annotations

from typing import Any

from credit.enterprises.vocab import STATUSES
from credit.scoring.engine import Contribution
from credit.scoring.model import ScoringModel
from credit.scoring.outlook import Milestone
from credit.violations.vocab import CATEGORIES, SEVERITIES

FAMILIES = {
    "base": ("基础分", "base"),
    "basic": ("基础信息", "basic information"),
    "public": ("公共信用", "public credit"),
    "market": ("市场信用", "market credit"),
    "hard_rule": ("硬性规则", "hard rule"),
}

#: Codes whose ``ref`` is a violation or a serious-list entry: public only while it is.
_RECORD_CODES = {
    "VIOLATION",
    "HARD_SERIOUS_VIOLATION",
    "HARD_GENERAL_VIOLATION",
    "HARD_SERIOUS_LIST",
}

_MILESTONES = {
    "VIOLATION_REPAIRABLE": (
        "违法失信记录 {label} 可申请信用修复",
        "record {label} becomes repairable",
    ),
    "VIOLATION_ENDS": (
        "违法失信记录 {label} 公示期满，不再计入",
        "record {label} leaves publicity",
    ),
    "PLEDGE_ENDS": ("信用承诺到期（{label}）", "a pledge ends ({label})"),
    "COMMENDATION_ENDS": ("表彰“{label}”到期", "commendation {label} ends"),
    "SERIOUS_LIST_ENDS": ("移出严重失信主体名单", "removal from the serious dishonesty list"),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _labels(params: dict[str, Any], lang: int) -> dict[str, Any]:
    out = _Blank(params)
    if "severity" in params:
        out["severity_label"] = SEVERITIES.get(params["severity"], (params["severity"],) * 2)[lang]
    if "category" in params:
        out["category_label"] = CATEGORIES.get(params["category"], (params["category"],) * 2)[lang]
    if "status" in params:
        out["status_label"] = STATUSES.get(params["status"], (params["status"],) * 2)[lang]
    return out


def describe(c: Contribution, model: ScoringModel, visible: set[str] | None) -> dict[str, Any]:
    """One contribution as the API shows it. ``visible``: ids of records the viewer may
    see named (None: everything)."""
    params = dict(c.params)
    ref = c.ref
    redacted = False
    if visible is not None:
        if c.code in _RECORD_CODES and ref not in visible:
            params = {k: v for k, v in params.items() if k in {"severity", "months"}}
            ref, redacted = None, True
        if (
            c.code == "PLEDGE_BREACHED"
            and not set(str(params.get("violations", "")).split(",")) <= visible
        ):
            params.pop("violations", None)
    texts = model.reasons[c.code]
    if redacted and "severity" in params:
        zh = "已不再公示的违法失信记录（{severity_label}）".format_map(_labels(params, 0))
        en = "A record no longer public ({severity_label})".format_map(_labels(params, 1))
    elif redacted:
        zh, en = "已不再公示的记录", "A record no longer public"
    else:
        zh = texts["zh"].format_map(_labels(params, 0))
        en = texts["en"].format_map(_labels(params, 1))
    return {
        "family": c.family,
        "code": c.code,
        "points": c.points,
        "ref": ref,
        "text": zh,
        "text_en": en,
        "params": params,
    }


def family_totals(contributions: list[Contribution]) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for c in contributions:
        totals[c.family] = totals.get(c.family, 0) + c.points
    return [
        {"family": f, "label": FAMILIES[f][0], "label_en": FAMILIES[f][1], "points": p}
        for f, p in totals.items()
    ]


def describe_milestone(m: Milestone, visible: set[str] | None) -> dict[str, Any]:
    zh, en = _MILESTONES[m.code]
    label = (
        m.label if visible is None or not m.code.startswith("VIOLATION") or m.ref in visible else ""
    )
    return {
        "code": m.code,
        "ref": m.ref if label or not m.code.startswith("VIOLATION") else None,
        "text": zh.format(label=label),
        "text_en": en.format(label=label),
    }
