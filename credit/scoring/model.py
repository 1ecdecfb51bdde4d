"""A scoring model version: its base, the signals it uses with their parameters, grade
cut-offs, the words of each grade and the reason texts, as data.

Operators publish versions as files (``credit/data/scoring``); ``credit.ratings.catalog``
reads them and checks that a published file was never edited. This module only validates a
parsed document, so it stays pure.

A model file lists its signals by name (``"signals": [{"signal": "violations", ...}, ...]``,
names from ``credit.scoring.signals.REGISTRY``). Model 2026.1 was published before the
registry, with one section per family; it is read into the same list (:func:`_legacy`), so
the engine has one path and 2026.1 keeps its published meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from credit.scoring.shares import Saturation
from credit.scoring.signals import REGISTRY, Params, Signal

GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
#: The tier (三等) of each grade (九级).
TIER_OF = {g: g[0] for g in GRADES}
MAX_SCORE = 1000

#: The common meanings of the nine grades (三等九级). A model file may give its own words;
#: these are used for versions that give none (2026.1).
GRADE_WORDS: dict[str, tuple[str, str]] = {
    "AAA": ("信用极好", "excellent"),
    "AA": ("信用优良", "very good"),
    "A": ("信用较好", "good"),
    "BBB": ("信用一般", "fair"),
    "BB": ("信用欠佳", "below average"),
    "B": ("信用较差", "poor"),
    "CCC": ("信用很差", "very poor"),
    "CC": ("信用极差", "extremely poor"),
    "C": ("没有信用", "no creditworthiness"),
}
#: The three tiers in words. A score is not a legal finding: 守信/失信 are kept for legal
#: findings (commendations; the serious dishonesty list and serious records).
TIER_WORDS: dict[str, tuple[str, str]] = {
    "A": ("信用良好", "good credit"),
    "B": ("信用一般", "fair credit"),
    "C": ("信用差", "poor credit"),
}

__all__ = [
    "GRADES",
    "GRADE_WORDS",
    "MAX_SCORE",
    "REASON_CODES",
    "TIER_OF",
    "TIER_WORDS",
    "ModelError",
    "Saturation",
    "ScoringModel",
]


class ModelError(ValueError):
    """A model document that cannot be used; the message names the field."""


@dataclass(frozen=True)
class ScoringModel:
    version: str
    published_on: date
    title: str
    title_en: str
    base: int
    signals: tuple[tuple[Signal, Params], ...]  # in the order of the model file
    grade_floors: tuple  # ((grade, lowest score), ...) best grade first
    grade_words: MappingProxyType  # grade -> (zh, en)
    tier_words: MappingProxyType  # tier -> (zh, en)
    reasons: MappingProxyType  # code -> {"zh": ..., "en": ...}
    changelog: tuple

    def grade_of(self, score: int) -> str:
        for grade, floor in self.grade_floors:
            if score >= floor:
                return grade
        return self.grade_floors[-1][0]

    def floor_of(self, grade: str) -> int:
        return dict(self.grade_floors)[grade]

    def params(self, name: str) -> Any | None:
        """The parameters of signal ``name`` in this model (None: the model does not use it)."""
        for sig, params in self.signals:
            if sig.name == name:
                return params
        return None

    def codes(self) -> frozenset[str]:
        """Every reason code this model can emit."""
        return frozenset({"BASE"}).union(*(sig.codes for sig, _ in self.signals))

    def max_positive(self) -> int:
        return sum(params.bounds()[0] for _, params in self.signals)

    def max_negative(self) -> int:
        return sum(params.bounds()[1] for _, params in self.signals)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ScoringModel:
        try:
            model = _build(doc)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"scoring model {doc.get('version', '?')}: {exc!r}") from None
        model.check()
        return model

    def check(self) -> None:
        """The guarantees the engine relies on: scores stay in 0..1000 without clamping,
        every grade has a floor in order, and every reason has a text."""
        problems = []
        if self.base + self.max_positive() > MAX_SCORE:
            problems.append("base + all positive caps exceeds 1000")
        if self.base - self.max_negative() < 0:
            problems.append("base - all negative caps is below 0")
        grades = tuple(g for g, _ in self.grade_floors)
        floors = [f for _, f in self.grade_floors]
        if grades != GRADES:
            problems.append(f"grades must be {GRADES} in that order")
        if (
            floors != sorted(floors, reverse=True)
            or len(set(floors)) != len(floors)
            or floors[-1] != 0
        ):
            problems.append("grade floors must fall strictly and end at 0")
        names = [sig.name for sig, _ in self.signals]
        if len(names) != len(set(names)):
            problems.append("a signal may be listed once only")
        for _, params in self.signals:
            problems += params.problems()
        missing = sorted(self.codes() - set(self.reasons))
        if missing:
            problems.append(f"reason texts missing for {missing}")
        if problems:
            raise ModelError(f"scoring model {self.version}: " + "; ".join(problems))


#: Every reason code a registered signal can emit (and BASE).
REASON_CODES = frozenset({"BASE"}).union(*(sig.codes for sig in REGISTRY.values()))


def _signals(entries: list[dict[str, Any]]) -> tuple[tuple[Signal, Params], ...]:
    out = []
    for entry in entries:
        name = entry["signal"]
        if name not in REGISTRY:
            raise ModelError(f"unknown signal {name!r}; known: {', '.join(sorted(REGISTRY))}")
        sig = REGISTRY[name]
        out.append((sig, sig.parse({k: v for k, v in entry.items() if k != "signal"})))
    return tuple(out)


def _legacy(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The signal list of a model published with one section per family (2026.1). The order
    keeps its hard rules' order (the first of equal caps names the cut)."""
    s, h = doc["signals"], doc["hard_rules"]
    v, d = s["violations"], s["disclosure"]
    return [
        {"signal": "registration_age", **s["registration_age"]},
        {"signal": "disclosure", "shops": d["shops"], "customer_service": d["customer_service"]},
        {
            "signal": "licence_display",
            "points": d["licence_display"],
            "clause": d["licence_clause"],
            "category": d["licence_category"],
            "lost_on": "any_breach",  # as published: a breach of any clause of the pledge
        },
        {
            "signal": "violations",
            "monthly_decay": v["monthly_decay"],
            # 2026.1 says "tier_weights" for what is now a record's severity
            "groups": [{"severities": v["tier_weights"], "cap": v["cap"], "scale": v["scale"]}],
        },
        {"signal": "pledges", **s["pledges"], "breaches": s["breaches"]},
        {"signal": "commendations", **s["commendations"]},
        {"signal": "serious_list", **h["serious_list"]},
        {"signal": "registration_inactive", **h["registration_inactive"]},
        {"signal": "serious_violation", **h["serious_violation"]},
    ]


#: Reason placeholders renamed since a model was published: a published file is immutable,
#: so its texts are read with the new names (2026.1 says ``{tier_label}`` for a record's
#: severity, not the rating tier).
RENAMED_PLACEHOLDERS = {"{tier_label}": "{severity_label}"}


def _reason_text(text: str) -> str:
    for old, new in RENAMED_PLACEHOLDERS.items():
        text = text.replace(old, new)
    return text


def _words(entry: dict[str, Any], default: tuple[str, str]) -> tuple[str, str]:
    if "zh" in entry or "en" in entry:
        return (str(entry["zh"]), str(entry["en"]))
    return default


def _build(doc: dict[str, Any]) -> ScoringModel:
    entries = doc["signals"]
    signals = _signals(_legacy(doc) if isinstance(entries, dict) else entries)
    grades = doc["grades"]
    tiers = doc.get("tiers", {})
    return ScoringModel(
        version=str(doc["version"]),
        published_on=date.fromisoformat(doc["published_on"]),
        title=doc["title"],
        title_en=doc["title_en"],
        base=int(doc["base"]),
        signals=signals,
        grade_floors=tuple((g["grade"], int(g["min_score"])) for g in grades),
        grade_words=MappingProxyType(
            {g["grade"]: _words(g, GRADE_WORDS.get(g["grade"], (g["grade"],) * 2)) for g in grades}
        ),
        tier_words=MappingProxyType(
            {t: _words(tiers.get(t, {}), words) for t, words in TIER_WORDS.items()}
        ),
        reasons=MappingProxyType(
            {
                k: MappingProxyType({lang: _reason_text(t) for lang, t in v.items()})
                for k, v in doc["reasons"].items()
            }
        ),
        changelog=tuple(doc.get("changelog", ())),
    )
