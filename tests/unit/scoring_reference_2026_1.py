"""The scoring engine and model parser exactly as they were before the signal registry
(commit 6dbad62), kept only as the reference for the regression test: under model 2026.1
the refactored engine must give the same ratings, contribution for contribution.

Do not edit: it is a frozen copy, not code to maintain. Only its interface follows renames
(a violation fact's ``severity``, once ``tier``); never its numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from credit.scoring.calendar import add_months, months_between, next_day, years_between
from credit.scoring.facts import EnterpriseFacts, PledgeFact, ViolationFact

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


# ---- engine.py ----


@dataclass(frozen=True, slots=True)
class Contribution:
    """One signal's part of the score. ``ref`` names the record it comes from, if any."""

    family: str  # base | basic | public | market | hard_rule
    code: str
    points: int
    ref: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    def as_row(self) -> list:
        return [self.family, self.code, self.points, self.ref, dict(self.params)]

    @classmethod
    def from_row(cls, row: list) -> Contribution:
        family, code, points, ref, params = row
        return cls(family, code, int(points), ref, tuple(params.items()))


@dataclass(frozen=True, slots=True)
class Rating:
    model_version: str
    as_of: date
    score: int
    grade: str
    tier: str
    contributions: tuple[Contribution, ...]
    hard_rules: tuple[str, ...]  # every hard rule that applies (binding or not)
    next_change: date | None  # the next date on which time alone changes the score
    inputs_digest: str


def saturated(family: Saturation, load: float) -> int:
    """Whole points of a saturating family: non-decreasing in ``load``, at most ``cap``."""
    if load <= 0:
        return 0
    return math.floor(family.cap * (1.0 - math.exp(-load / family.scale)) + 0.5)


def share_out(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` over ``weights`` in whole points (largest remainder, stable)."""
    if len(weights) == 1:
        return [total]
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def counted_breaches(p: PledgeFact, day: date, counted_violations: set[str]) -> list:
    """Breaches of ``p`` that weigh on ``day``: recorded, not revoked, and their violation
    is still public negative information (a breach drops out with its violation)."""
    if not p.breaches:
        return []
    return [
        b
        for b in p.breaches
        if b.recorded_on <= day
        and (b.revoked_on is None or b.revoked_on > day)
        and b.violation_id in counted_violations
    ]


def rate(facts: EnterpriseFacts, as_of: date, model: ScoringModel, digest: bool = True) -> Rating:
    """Rate ``facts`` as of ``as_of`` under ``model``. Pure and deterministic."""
    out: list[Contribution] = [Contribution("base", "BASE", model.base)]
    changes: list[date] = []

    # -- basic information --------------------------------------------------------------
    reg = facts.registration_date
    if reg is not None and reg <= as_of:
        years = years_between(reg, as_of)
        counted_years = min(years, model.age_max_years)
        if counted_years and model.age_points_per_year:
            out.append(
                Contribution(
                    "basic",
                    "AGE",
                    counted_years * model.age_points_per_year,
                    params=(("years", counted_years),),
                )
            )
        if years < model.age_max_years:
            changes.append(add_months(reg, 12 * (years + 1)))
    elif reg is not None:
        changes.append(reg)
    if facts.shops and model.shops_points:
        out.append(
            Contribution("basic", "SHOPS", model.shops_points, params=(("shops", facts.shops),))
        )
    if facts.customer_service and model.contact_points:
        out.append(Contribution("basic", "CONTACT", model.contact_points))

    # -- public credit: violations --------------------------------------------------------
    counted: list[tuple[ViolationFact, float, int]] = []
    for v in facts.violations:
        _violation_changes(v, as_of, model, changes)
        if not v.counts_on(as_of):
            continue
        months = months_between(v.decision_date, as_of)
        weight = model.tier_weights.get(v.severity, 0.0) * model.monthly_decay**months
        counted.append((v, weight, months))
    counted_ids = {v.id for v, _, _ in counted}
    v_total = saturated(model.violation_family, sum(w for _, w, _ in counted))
    for (v, _, months), pts in zip(
        counted, share_out(v_total, [w for _, w, _ in counted]), strict=True
    ):
        if pts:
            out.append(
                Contribution(
                    "public",
                    "VIOLATION",
                    -pts,
                    v.id,
                    (
                        ("decision", v.ref),
                        ("severity", v.severity),  # named "tier" before the rename
                        ("category", v.category),
                        ("months", months),
                        ("publish_until", v.publish_until.isoformat()),
                        ("repairable_from", v.repairable_from.isoformat()),
                        ("objection_pending", v.objection_pending),
                    ),
                )
            )

    # -- market credit: pledges kept and breached ------------------------------------------
    kept: list[tuple[PledgeFact, float, str]] = []
    breached: list[tuple[PledgeFact, list]] = []
    licence_pledged = False
    for p in facts.pledges:
        _pledge_changes(p, as_of, model, changes)
        if not p.current_on(as_of):
            continue
        hits = counted_breaches(p, as_of, counted_ids)
        if hits:
            breached.append((p, hits))
            continue
        type_weight = model.pledge_type_weights.get(p.type, 1.0)
        if p.valid_from <= as_of <= p.valid_until:
            if model.licence_clause in p.clauses:
                licence_pledged = True
            if type_weight:
                kept.append((p, model.in_force_weight * type_weight, "PLEDGE_IN_FORCE"))
        elif type_weight and p.valid_until < as_of <= add_months(p.valid_until, model.kept_months):
            kept.append((p, model.kept_weight * type_weight, "PLEDGE_KEPT"))
    p_total = saturated(model.pledge_family, sum(w for _, w, _ in kept))
    for (p, _, code), pts in zip(kept, share_out(p_total, [w for _, w, _ in kept]), strict=True):
        if pts:
            out.append(
                Contribution(
                    "market",
                    code,
                    pts,
                    p.id,
                    (
                        ("valid_from", p.valid_from.isoformat()),
                        ("valid_until", p.valid_until.isoformat()),
                    ),
                )
            )
    b_total = saturated(model.breach_family, float(len(breached)))
    for (p, hits), pts in zip(breached, share_out(b_total, [1.0] * len(breached)), strict=True):
        if pts:
            out.append(
                Contribution(
                    "market",
                    "PLEDGE_BREACHED",
                    -pts,
                    p.id,
                    (
                        ("clauses", ",".join(sorted({b.clause_code for b in hits}))),
                        ("violations", ",".join(sorted({b.violation_id for b in hits}))),
                    ),
                )
            )
    if (
        licence_pledged
        and model.licence_points
        and not any(v.category == model.licence_category for v, _, _ in counted)
    ):
        out.append(Contribution("basic", "LICENCE", model.licence_points))

    # -- market credit: commendations ------------------------------------------------------
    valid = [c for c in facts.commendations if c.valid_on(as_of)]
    for c in facts.commendations:
        if c.granted_on > as_of:
            changes.append(c.granted_on)
        elif c.valid_until >= as_of:
            changes.append(next_day(c.valid_until))
    c_total = saturated(model.commendation_family, float(len(valid)))
    for c, pts in zip(valid, share_out(c_total, [1.0] * len(valid)), strict=True):
        if pts:
            out.append(
                Contribution(
                    "market",
                    "COMMENDATION",
                    pts,
                    c.id,
                    (("title", c.title), ("valid_until", c.valid_until.isoformat())),
                )
            )

    # -- hard rules ------------------------------------------------------------------------
    rules: list[tuple[HardRule, str | None, tuple]] = []
    for entry in facts.serious_list:
        if entry.listed(as_of):
            rules.append(
                (model.serious_list_rule, entry.id, (("until", entry.remove_on.isoformat()),))
            )
        for d in (entry.listed_on, entry.remove_on, entry.removed_on):
            if d is not None and d > as_of:
                changes.append(d)
    if facts.status in model.inactive_statuses:
        rules.append((model.inactive_rule, None, (("status", facts.status),)))
    serious = [v for v, _, _ in counted if v.severity == "serious"]
    if serious:
        rules.append((model.serious_violation_rule, serious[0].id, (("decision", serious[0].ref),)))
    raw = sum(c.points for c in out)
    score = raw
    if rules:
        rule, ref, params = min(rules, key=lambda r: r[0].max_score)
        if raw > rule.max_score:
            out.append(Contribution("hard_rule", rule.code, rule.max_score - raw, ref, params))
            score = rule.max_score

    out[1:] = sorted(out[1:], key=lambda c: (-abs(c.points), c.code, c.ref or ""))
    grade = model.grade_of(score)
    # A change on date.max (a saturated far date) never comes: the rating has none.
    future = [d for d in changes if as_of < d < date.max]
    return Rating(
        model_version=model.version,
        as_of=as_of,
        score=score,
        grade=grade,
        tier=TIER_OF[grade],
        contributions=tuple(out),
        hard_rules=tuple(sorted({r.code for r, _, _ in rules})),
        next_change=min(future) if future else None,
        inputs_digest=facts.digest() if digest else "",
    )


def _violation_changes(
    v: ViolationFact, as_of: date, model: ScoringModel, changes: list[date]
) -> None:
    if not v.published:
        return
    if v.decision_date > as_of:
        changes.append(v.decision_date)
        return
    if v.ended_on is not None and v.ended_on > as_of:
        changes.append(v.ended_on)
    if as_of <= v.publish_until:
        changes.append(next_day(v.publish_until))
        if model.monthly_decay < 1.0:
            changes.append(add_months(v.decision_date, months_between(v.decision_date, as_of) + 1))


def _pledge_changes(p: PledgeFact, as_of: date, model: ScoringModel, changes: list[date]) -> None:
    if (p.withdrawn_on is not None and p.withdrawn_on <= as_of) or (
        p.superseded_on is not None and p.superseded_on <= as_of
    ):
        return  # no longer current, and never again
    for d in (p.published_on, p.withdrawn_on, p.superseded_on, p.valid_from):
        if d is not None and d > as_of:
            changes.append(d)
    for d in (next_day(p.valid_until), next_day(add_months(p.valid_until, model.kept_months))):
        if d > as_of:
            changes.append(d)
    for b in p.breaches:
        for d in (b.recorded_on, b.revoked_on):
            if d is not None and d > as_of:
                changes.append(d)
