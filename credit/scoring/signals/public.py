"""Public credit (公共信用): published violation records inside their publicity window.

Each counted record weighs its severity's weight, less by ``monthly_decay`` for every whole
month since the decision. Severities are grouped: each group saturates at its own cap, so a
model can promise that records of one severity never cost more than a known number of points
together (model 2026.2: general records alone never take a firm out of rating tier B).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Any

from credit.scoring.calendar import add_months, months_between, next_day
from credit.scoring.facts import ViolationFact
from credit.scoring.shares import Saturation, saturated, share_out
from credit.scoring.signals.base import NOTHING, Contribution, Outcome, Situation, signal


@dataclass(frozen=True)
class Group:
    severities: MappingProxyType  # severity -> weight
    family: Saturation

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> Group:
        severities = MappingProxyType({str(k): float(v) for k, v in doc["severities"].items()})
        return cls(severities, Saturation.parse(doc))


@dataclass(frozen=True)
class ViolationParams:
    monthly_decay: float
    groups: tuple[Group, ...]

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> ViolationParams:
        return cls(float(doc["monthly_decay"]), tuple(Group.parse(g) for g in doc["groups"]))

    @cached_property
    def group_of(self) -> dict[str, int]:
        """Severity -> index of its group (worked out once per model, not once per firm)."""
        return {sev: i for i, g in enumerate(self.groups) for sev in g.severities}

    def problems(self) -> list[str]:
        out = []
        if not 0 < self.monthly_decay <= 1:
            out.append("violations: monthly_decay must be in (0, 1]")
        seen: list[str] = []
        for g in self.groups:
            out += g.family.problems("violations")
            if any(w < 0 for w in g.severities.values()):
                out.append("violations: severity weights must not be negative")
            seen += list(g.severities)
        if len(seen) != len(set(seen)):
            out.append("violations: a severity may be in one group only")
        return out

    def bounds(self) -> tuple[int, int]:
        return (0, sum(g.family.cap for g in self.groups))


@signal("violations", params=ViolationParams.parse, codes=("VIOLATION",))
def violations(s: Situation, p: ViolationParams) -> Outcome:
    if not s.facts.violations:
        return NOTHING  # most firms: nothing counts, no date moves it
    changes: list[date] = []
    for v in s.facts.violations:
        changes.extend(violation_dates(v, s.as_of, decays=p.monthly_decay < 1.0))
    group_of = p.group_of
    members: list[list[tuple[ViolationFact, float, int]]] = [[] for _ in p.groups]
    for v in s.counted_violations:
        g = group_of.get(v.severity)
        if g is None:
            continue  # a severity no group lists weighs nothing
        months = months_between(v.decision_date, s.as_of)
        members[g].append((v, p.groups[g].severities[v.severity] * p.monthly_decay**months, months))
    out: list[Contribution] = []
    for group, counted in zip(p.groups, members, strict=True):
        if not counted:
            continue
        weights = [w for _, w, _ in counted]
        total = saturated(group.family, sum(weights))
        for (v, _, months), pts in zip(counted, share_out(total, weights), strict=True):
            if pts:
                out.append(
                    Contribution(
                        "public",
                        "VIOLATION",
                        -pts,
                        v.id,
                        (
                            ("decision", v.ref),
                            ("severity", v.severity),
                            ("category", v.category),
                            ("months", months),
                            ("publish_until", v.publish_until.isoformat()),
                            ("repairable_from", v.repairable_from.isoformat()),
                            ("objection_pending", v.objection_pending),
                        ),
                    )
                )
    return Outcome(tuple(out), changes=tuple(changes))


def violation_dates(v: ViolationFact, as_of: date, decays: bool) -> list[date]:
    """Dates after ``as_of`` on which time alone changes whether (or, with ``decays``, how
    much) ``v`` counts."""
    if not v.published:
        return []
    if v.decision_date > as_of:
        return [v.decision_date]
    out = []
    if v.ended_on is not None and v.ended_on > as_of:
        out.append(v.ended_on)
    if as_of <= v.publish_until:
        out.append(next_day(v.publish_until))
        if decays:
            out.append(add_months(v.decision_date, months_between(v.decision_date, as_of) + 1))
    return out
