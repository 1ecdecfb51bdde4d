"""The engine: rate an enterprise's facts as of a date under one model version.

Each signal family yields a total in whole points; a family that sums many records
(violations, pledges, breaches, commendations) saturates at its cap, and its total is shared
out over the records by weight (largest remainder), so each record's part is named in the
explanation and the parts still add up. Hard rules cap the score: the cut is itself a
contribution. Hence ``score == sum(points)`` always, and the grade is a function of the
score alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from credit.scoring.calendar import add_months, months_between, next_day, years_between
from credit.scoring.facts import EnterpriseFacts, PledgeFact, ViolationFact
from credit.scoring.model import TIER_OF, HardRule, Saturation, ScoringModel


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
        weight = model.tier_weights.get(v.tier, 0.0) * model.monthly_decay**months
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
                        ("tier", v.tier),
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
    serious = [v for v, _, _ in counted if v.tier == "serious"]
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
