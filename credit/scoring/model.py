"""A scoring model version: weights, decay, hard rules and grade cut-offs, as data.

Operators publish versions as files (``credit/data/scoring``); ``credit.ratings.catalog``
reads them and checks that a published file was never edited. This module only validates a
parsed document, so it stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
#: The tier (三等) of each grade (九级).
TIER_OF = {g: g[0] for g in GRADES}
MAX_SCORE = 1000


class ModelError(ValueError):
    """A model document that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Saturation:
    """A family total that grows with its load but never passes ``cap``:
    ``cap * (1 - exp(-load / scale))``."""

    cap: int
    scale: float


@dataclass(frozen=True)
class HardRule:
    code: str
    max_score: int


@dataclass(frozen=True)
class ScoringModel:
    version: str
    published_on: date
    title: str
    title_en: str
    base: int
    age_points_per_year: int
    age_max_years: int
    shops_points: int
    contact_points: int
    licence_points: int
    licence_clause: str
    licence_category: str
    violation_family: Saturation
    tier_weights: MappingProxyType
    monthly_decay: float
    pledge_family: Saturation
    pledge_type_weights: MappingProxyType
    in_force_weight: float
    kept_weight: float
    kept_months: int
    breach_family: Saturation
    commendation_family: Saturation
    serious_list_rule: HardRule
    inactive_rule: HardRule
    inactive_statuses: frozenset
    serious_violation_rule: HardRule
    grade_floors: tuple  # ((grade, lowest score), ...) best grade first
    reasons: MappingProxyType  # code -> {"zh": ..., "en": ...}
    changelog: tuple

    def grade_of(self, score: int) -> str:
        for grade, floor in self.grade_floors:
            if score >= floor:
                return grade
        return self.grade_floors[-1][0]

    def floor_of(self, grade: str) -> int:
        return dict(self.grade_floors)[grade]

    def max_positive(self) -> int:
        return (
            self.age_points_per_year * self.age_max_years
            + self.shops_points
            + self.contact_points
            + self.licence_points
            + self.pledge_family.cap
            + self.commendation_family.cap
        )

    def max_negative(self) -> int:
        return self.violation_family.cap + self.breach_family.cap

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
        and every grade has a floor in order."""
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
        if not 0 < self.monthly_decay <= 1:
            problems.append("monthly_decay must be in (0, 1]")
        if any(w < 0 for w in self.tier_weights.values()):
            problems.append("tier weights must not be negative")
        for fam in (
            self.violation_family,
            self.pledge_family,
            self.breach_family,
            self.commendation_family,
        ):
            if fam.cap < 0 or fam.scale <= 0:
                problems.append("families need cap >= 0 and scale > 0")
        for rule in (self.serious_list_rule, self.inactive_rule, self.serious_violation_rule):
            if not 0 <= rule.max_score <= MAX_SCORE:
                problems.append(f"hard rule {rule.code}: max_score out of range")
        missing = sorted(REASON_CODES - set(self.reasons))
        if missing:
            problems.append(f"reason texts missing for {missing}")
        if problems:
            raise ModelError(f"scoring model {self.version}: " + "; ".join(problems))


#: Every reason code the engine can emit; the model must give each a text in zh and en.
REASON_CODES = frozenset(
    {
        "BASE",
        "AGE",
        "SHOPS",
        "CONTACT",
        "LICENCE",
        "VIOLATION",
        "PLEDGE_IN_FORCE",
        "PLEDGE_KEPT",
        "PLEDGE_BREACHED",
        "COMMENDATION",
        "HARD_SERIOUS_LIST",
        "HARD_INACTIVE",
        "HARD_SERIOUS_VIOLATION",
    }
)


def _sat(d: dict[str, Any]) -> Saturation:
    return Saturation(int(d["cap"]), float(d["scale"]))


def _build(doc: dict[str, Any]) -> ScoringModel:
    s = doc["signals"]
    h = doc["hard_rules"]
    return ScoringModel(
        version=str(doc["version"]),
        published_on=date.fromisoformat(doc["published_on"]),
        title=doc["title"],
        title_en=doc["title_en"],
        base=int(doc["base"]),
        age_points_per_year=int(s["registration_age"]["points_per_year"]),
        age_max_years=int(s["registration_age"]["max_years"]),
        shops_points=int(s["disclosure"]["shops"]),
        contact_points=int(s["disclosure"]["customer_service"]),
        licence_points=int(s["disclosure"]["licence_display"]),
        licence_clause=str(s["disclosure"]["licence_clause"]),
        licence_category=str(s["disclosure"]["licence_category"]),
        violation_family=_sat(s["violations"]),
        tier_weights=MappingProxyType(
            {k: float(v) for k, v in s["violations"]["tier_weights"].items()}
        ),
        monthly_decay=float(s["violations"]["monthly_decay"]),
        pledge_family=_sat(s["pledges"]),
        pledge_type_weights=MappingProxyType(
            {k: float(v) for k, v in s["pledges"]["type_weights"].items()}
        ),
        in_force_weight=float(s["pledges"]["in_force_weight"]),
        kept_weight=float(s["pledges"]["kept_weight"]),
        kept_months=int(s["pledges"]["kept_months"]),
        breach_family=_sat(s["breaches"]),
        commendation_family=_sat(s["commendations"]),
        serious_list_rule=HardRule("HARD_SERIOUS_LIST", int(h["serious_list"]["max_score"])),
        inactive_rule=HardRule("HARD_INACTIVE", int(h["registration_inactive"]["max_score"])),
        inactive_statuses=frozenset(h["registration_inactive"]["statuses"]),
        serious_violation_rule=HardRule(
            "HARD_SERIOUS_VIOLATION", int(h["serious_violation"]["max_score"])
        ),
        grade_floors=tuple((g["grade"], int(g["min_score"])) for g in doc["grades"]),
        reasons=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in doc["reasons"].items()}),
        changelog=tuple(doc.get("changelog", ())),
    )
