"""Basic information (基础信息): how long the firm has been registered, what it declared, and
whether it keeps its promise to display its licence information (电子商务法第十五条)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credit.scoring.calendar import add_months, years_between
from credit.scoring.signals.base import NOTHING, Contribution, Outcome, Situation, signal
from credit.scoring.signals.market import pledge_dates
from credit.scoring.signals.public import violation_dates


@dataclass(frozen=True)
class AgeParams:
    points_per_year: int
    max_years: int

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> AgeParams:
        return cls(int(doc["points_per_year"]), int(doc["max_years"]))

    def problems(self) -> list[str]:
        if self.points_per_year < 0 or self.max_years < 0:
            return ["registration_age: points_per_year and max_years must not be negative"]
        return []

    def bounds(self) -> tuple[int, int]:
        return (self.points_per_year * self.max_years, 0)


@signal("registration_age", params=AgeParams.parse, codes=("AGE",))
def registration_age(s: Situation, p: AgeParams) -> Outcome:
    """``points_per_year`` for each full year since registration, up to ``max_years``."""
    reg = s.facts.registration_date
    if reg is None:
        return NOTHING
    if reg > s.as_of:
        return Outcome(changes=(reg,))
    years = years_between(reg, s.as_of)
    counted = min(years, p.max_years)
    out = ()
    if counted and p.points_per_year:
        out = (
            Contribution("basic", "AGE", counted * p.points_per_year, params=(("years", counted),)),
        )
    changes = (add_months(reg, 12 * (years + 1)),) if years < p.max_years else ()
    return Outcome(out, changes=changes)


@dataclass(frozen=True)
class DisclosureParams:
    shops: int
    customer_service: int

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> DisclosureParams:
        return cls(int(doc["shops"]), int(doc["customer_service"]))

    def problems(self) -> list[str]:
        if self.shops < 0 or self.customer_service < 0:
            return ["disclosure: points must not be negative"]
        return []

    def bounds(self) -> tuple[int, int]:
        return (self.shops + self.customer_service, 0)


@signal("disclosure", params=DisclosureParams.parse, codes=("SHOPS", "CONTACT"))
def disclosure(s: Situation, p: DisclosureParams) -> Outcome:
    """Points for declaring the online shops and a customer-service contact."""
    out = []
    if s.facts.shops and p.shops:
        out.append(Contribution("basic", "SHOPS", p.shops, params=(("shops", s.facts.shops),)))
    if s.facts.customer_service and p.customer_service:
        out.append(Contribution("basic", "CONTACT", p.customer_service))
    return Outcome(tuple(out)) if out else NOTHING


#: When a breach takes the licence-display credit away from its pledge.
LOST_ON = ("any_breach", "clause_breach")


@dataclass(frozen=True)
class LicenceParams:
    points: int
    clause: str  # the pledge clause that promises it (C08)
    category: str  # the violation category that says it was not kept
    #: any_breach (model 2026.1): a counted breach of any clause of the pledge takes it away;
    #: clause_breach: only a counted breach of ``clause`` itself does.
    lost_on: str = "clause_breach"

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> LicenceParams:
        return cls(
            int(doc["points"]),
            str(doc["clause"]),
            str(doc["category"]),
            str(doc.get("lost_on", "clause_breach")),
        )

    def problems(self) -> list[str]:
        out = []
        if self.points < 0:
            out.append("licence_display: points must not be negative")
        if self.lost_on not in LOST_ON:
            out.append(f"licence_display: lost_on must be one of {LOST_ON}")
        return out

    def bounds(self) -> tuple[int, int]:
        return (self.points, 0)


@signal("licence_display", params=LicenceParams.parse, codes=("LICENCE",))
def licence_display(s: Situation, p: LicenceParams) -> Outcome:
    """``points`` while a pledge in force promises licence display (``clause``), that promise
    is not breached, and no counted record of ``category`` (未公示证照信息) weighs on it."""
    if not s.facts.pledges and not s.facts.violations:
        return NOTHING
    changes: list[date] = []
    for pledge in s.facts.pledges:
        if p.clause in pledge.clauses:
            changes.extend(pledge_dates(pledge, s.as_of))
    for v in s.facts.violations:
        if v.category == p.category:
            changes.extend(violation_dates(v, s.as_of, decays=False))
    if not p.points or any(v.category == p.category for v in s.counted_violations):
        return Outcome(changes=tuple(changes))
    day = s.as_of
    for pledge in s.facts.pledges:
        if (
            p.clause in pledge.clauses
            and pledge.current_on(day)
            and pledge.valid_from <= day <= pledge.valid_until
            and not _lost(s, pledge, p)
        ):
            return Outcome((Contribution("basic", "LICENCE", p.points),), changes=tuple(changes))
    return Outcome(changes=tuple(changes))


def _lost(s: Situation, pledge: Any, p: LicenceParams) -> bool:
    hits = s.counted_breaches(pledge)
    if p.lost_on == "any_breach":
        return bool(hits)
    return any(b.clause_code == p.clause for b in hits)
