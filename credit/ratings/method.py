"""The published rating method, read off the scoring model in force.

The page ``/about/rating`` shows this: the grade table (cut-offs and words), every signal the
model lists with its family, the points it can add or take away, its parameters and its
reason texts, the caps (hard rules), how records age out and the changelog. Everything comes
from the model file, so a new model version changes the page without an edit here.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any

from credit.identity import Identity
from credit.permissions import can_read_public, require
from credit.ratings.catalog import catalog
from credit.ratings.texts import FAMILIES
from credit.scoring.model import TIER_OF, ScoringModel
from credit.scoring.signals.base import HardRuleParams

#: A signal's family is the module that registers it (credit/scoring/signals/<module>.py).
_MODULE_FAMILY = {
    "basic": "basic",
    "public": "public",
    "market": "market",
    "hard_rules": "hard_rule",
}


def _plain(value: Any) -> Any:
    """A parameter value as plain data (dataclasses and mappings unfolded)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict | MappingProxyType):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    return value


def _general(text: str) -> str:
    """A reason text with its placeholders ({years}, {decision}, ...) left open as "…"."""
    return re.sub(r"\{[a-z_]+\}", "…", text)


def _is_chinese(text: str) -> bool:
    """Whether a changelog line is the Chinese one (model files give each in both)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _grades(model: ScoringModel) -> list[dict[str, Any]]:
    rows = []
    ceiling = 1000
    for grade, floor in model.grade_floors:
        tier = TIER_OF[grade]
        rows.append(
            {
                "grade": grade,
                "tier": tier,
                "words": list(model.grade_words[grade]),
                "tier_words": list(model.tier_words[tier]),
                "min_score": floor,
                "max_score": ceiling,
            }
        )
        ceiling = floor - 1
    return rows


def describe(model: ScoringModel) -> dict[str, Any]:
    """The method of ``model`` as plain data (what the page and a test read)."""
    signals, caps = [], []
    for sig, params in model.signals:
        module = sig.run.__module__.rsplit(".", 1)[-1]
        family = _MODULE_FAMILY.get(module, module)
        reasons = [
            {
                "code": code,
                "zh": _general(model.reasons[code]["zh"]),
                "en": _general(model.reasons[code]["en"]),
            }
            for code in sorted(sig.codes)
        ]
        max_score = getattr(params, "max_score", None)
        if isinstance(params, HardRuleParams) or max_score is not None:
            caps.append(
                {
                    "signal": sig.name,
                    "max_score": max_score,
                    "grade": model.grade_of(max_score),
                    "reasons": reasons,
                    "params": {k: v for k, v in _plain(params).items() if k != "max_score"},
                }
            )
            continue
        most_added, most_taken = params.bounds()
        signals.append(
            {
                "signal": sig.name,
                "family": family,
                "family_label": list(FAMILIES.get(family, (family, family))),
                "most_added": most_added,
                "most_taken": most_taken,
                "params": _plain(params),
                "reasons": reasons,
            }
        )
    violations = model.params("violations")
    pledges = model.params("pledges")
    return {
        "version": model.version,
        "title": [model.title, model.title_en],
        "published_on": model.published_on.isoformat(),
        "base": model.base,
        "grades": _grades(model),
        "tiers": {t: list(w) for t, w in model.tier_words.items()},
        "signals": signals,
        "families": sorted({s["family"] for s in signals}),
        "caps": caps,
        "max_positive": model.max_positive(),
        "max_negative": model.max_negative(),
        "monthly_decay": getattr(violations, "monthly_decay", None),
        "kept_months": getattr(pledges, "kept_months", None),
        "changelog": [
            [line for line in model.changelog if _is_chinese(line)],
            [line for line in model.changelog if not _is_chinese(line)],
        ],
    }


def rating_method(identity: Identity, version: str | None = None) -> dict[str, Any]:
    """The method of the model version in force (or of ``version``): public rules."""
    require(can_read_public(identity))
    cat = catalog()
    out = describe(cat.get(version))
    out["current"] = out["version"] == cat.current
    out["versions"] = sorted(cat.models, key=lambda v: cat.models[v].published_on)
    return out
