"""Market credit (市场信用): integrity pledges kept or breached, and commendations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from credit.scoring.calendar import add_months, next_day
from credit.scoring.facts import PledgeFact
from credit.scoring.shares import Saturation, saturated, share_out
from credit.scoring.signals.base import NOTHING, Contribution, Outcome, Situation, signal


@dataclass(frozen=True)
class PledgeParams:
    kept: Saturation  # pledges in force and kept, and pledges completed without a breach
    in_force_weight: float
    kept_weight: float
    kept_months: int  # a completed pledge counts this long after it ends
    type_weights: MappingProxyType  # pledge type -> weight (a type not listed weighs 1)
    breached: Saturation  # pledges with a counted breach: they cost points instead

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> PledgeParams:
        return cls(
            Saturation.parse(doc),
            float(doc["in_force_weight"]),
            float(doc["kept_weight"]),
            int(doc["kept_months"]),
            MappingProxyType({str(k): float(v) for k, v in doc["type_weights"].items()}),
            Saturation.parse(doc["breaches"]),
        )

    def problems(self) -> list[str]:
        out = self.kept.problems("pledges") + self.breached.problems("pledges.breaches")
        if min(self.in_force_weight, self.kept_weight, *self.type_weights.values(), 0) < 0:
            out.append("pledges: weights must not be negative")
        if self.kept_months < 0:
            out.append("pledges: kept_months must not be negative")
        return out

    def bounds(self) -> tuple[int, int]:
        return (self.kept.cap, self.breached.cap)

    def counts(self, pledge_type: str) -> bool:
        """Does a kept pledge of this type earn anything?"""
        return self.type_weights.get(pledge_type, 1.0) > 0


@signal(
    "pledges",
    params=PledgeParams.parse,
    codes=("PLEDGE_IN_FORCE", "PLEDGE_KEPT", "PLEDGE_BREACHED"),
)
def pledges(s: Situation, p: PledgeParams) -> Outcome:
    """A current pledge with a counted breach costs points (and earns nothing); one in force,
    or completed in the last ``kept_months``, without a breach earns points."""
    if not s.facts.pledges:
        return NOTHING
    day = s.as_of
    changes: list[date] = []
    kept: list[tuple[PledgeFact, float, str]] = []
    breached: list[tuple[PledgeFact, list]] = []
    for pledge in s.facts.pledges:
        changes.extend(pledge_dates(pledge, day, p.kept_months))
        if not pledge.current_on(day):
            continue
        hits = s.counted_breaches(pledge)
        if hits:
            breached.append((pledge, hits))
            continue
        type_weight = p.type_weights.get(pledge.type, 1.0)
        if not type_weight:
            continue
        if pledge.valid_from <= day <= pledge.valid_until:
            kept.append((pledge, p.in_force_weight * type_weight, "PLEDGE_IN_FORCE"))
        elif pledge.valid_until < day <= add_months(pledge.valid_until, p.kept_months):
            kept.append((pledge, p.kept_weight * type_weight, "PLEDGE_KEPT"))
    out: list[Contribution] = []
    if kept:
        weights = [w for _, w, _ in kept]
        total = saturated(p.kept, sum(weights))
        for (pledge, _, code), pts in zip(kept, share_out(total, weights), strict=True):
            if pts:
                out.append(
                    Contribution(
                        "market",
                        code,
                        pts,
                        pledge.id,
                        (
                            ("valid_from", pledge.valid_from.isoformat()),
                            ("valid_until", pledge.valid_until.isoformat()),
                        ),
                    )
                )
    if breached:
        total = saturated(p.breached, float(len(breached)))
        for (pledge, hits), pts in zip(
            breached, share_out(total, [1.0] * len(breached)), strict=True
        ):
            if pts:
                out.append(
                    Contribution(
                        "market",
                        "PLEDGE_BREACHED",
                        -pts,
                        pledge.id,
                        (
                            ("clauses", ",".join(sorted({b.clause_code for b in hits}))),
                            ("violations", ",".join(sorted({b.violation_id for b in hits}))),
                        ),
                    )
                )
    return Outcome(tuple(out), changes=tuple(changes))


def pledge_dates(pledge: PledgeFact, as_of: date, kept_months: int | None = None) -> list[date]:
    """Dates after ``as_of`` on which time alone changes what ``pledge`` counts for (with
    ``kept_months``: also the end of its kept window)."""
    if (pledge.withdrawn_on is not None and pledge.withdrawn_on <= as_of) or (
        pledge.superseded_on is not None and pledge.superseded_on <= as_of
    ):
        return []  # no longer current, and never again
    out = [
        d
        for d in (pledge.published_on, pledge.withdrawn_on, pledge.superseded_on, pledge.valid_from)
        if d is not None and d > as_of
    ]
    ends = [next_day(pledge.valid_until)]
    if kept_months is not None:
        ends.append(next_day(add_months(pledge.valid_until, kept_months)))
    out += [d for d in ends if d > as_of]
    for b in pledge.breaches:
        for d in (b.recorded_on, b.revoked_on):
            if d is not None and d > as_of:
                out.append(d)
    return out


@dataclass(frozen=True)
class CommendationParams:
    family: Saturation

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> CommendationParams:
        return cls(Saturation.parse(doc))

    def problems(self) -> list[str]:
        return self.family.problems("commendations")

    def bounds(self) -> tuple[int, int]:
        return (self.family.cap, 0)


@signal("commendations", params=CommendationParams.parse, codes=("COMMENDATION",))
def commendations(s: Situation, p: CommendationParams) -> Outcome:
    """Commendations in force (e.g. 江苏省电子商务示范企业), each the same weight."""
    day = s.as_of
    changes: list[date] = []
    for c in s.facts.commendations:
        if c.granted_on > day:
            changes.append(c.granted_on)
        elif c.valid_until >= day:
            changes.append(next_day(c.valid_until))
    valid = [c for c in s.facts.commendations if c.valid_on(day)]
    if not valid:
        return Outcome(changes=tuple(changes)) if changes else NOTHING
    total = saturated(p.family, float(len(valid)))
    out = tuple(
        Contribution(
            "market",
            "COMMENDATION",
            pts,
            c.id,
            (("title", c.title), ("valid_until", c.valid_until.isoformat())),
        )
        for c, pts in zip(valid, share_out(total, [1.0] * len(valid)), strict=True)
        if pts
    )
    return Outcome(out, changes=tuple(changes))
