"""Hard rules (硬性规则): legal findings and registry states that cap the score whatever the
points say. Each yields a cap while it applies; the engine applies the lowest one, and the
cut becomes a contribution of its own, so the factors still add up to the score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credit.scoring.signals.base import (
    NOTHING,
    Cap,
    HardRuleParams,
    Outcome,
    Situation,
    signal,
)
from credit.scoring.signals.public import violation_dates


@signal("serious_list", params=HardRuleParams.parse, codes=("HARD_SERIOUS_LIST",))
def serious_list(s: Situation, p: HardRuleParams) -> Outcome:
    """On the serious dishonesty list (严重失信主体名单): one cap per listing in force."""
    if not s.facts.serious_list:
        return NOTHING
    caps = []
    changes: list[date] = []
    for entry in s.facts.serious_list:
        if entry.listed(s.as_of):
            caps.append(
                Cap(
                    "HARD_SERIOUS_LIST",
                    p.max_score,
                    entry.id,
                    (("until", entry.remove_on.isoformat()),),
                )
            )
        for d in (entry.listed_on, entry.remove_on, entry.removed_on):
            if d is not None and d > s.as_of:
                changes.append(d)
    return Outcome(caps=tuple(caps), changes=tuple(changes))


@dataclass(frozen=True)
class InactiveParams:
    statuses: frozenset
    max_score: int

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> InactiveParams:
        return cls(frozenset(doc["statuses"]), int(doc["max_score"]))

    def problems(self) -> list[str]:
        return HardRuleParams(self.max_score).problems()

    def bounds(self) -> tuple[int, int]:
        return (0, 0)


@signal("registration_inactive", params=InactiveParams.parse, codes=("HARD_INACTIVE",))
def registration_inactive(s: Situation, p: InactiveParams) -> Outcome:
    """Registration revoked (吊销) or cancelled (注销)."""
    if s.facts.status not in p.statuses:
        return NOTHING
    return Outcome(caps=(Cap("HARD_INACTIVE", p.max_score, None, (("status", s.facts.status),)),))


@signal("serious_violation", params=HardRuleParams.parse, codes=("HARD_SERIOUS_VIOLATION",))
def serious_violation(s: Situation, p: HardRuleParams) -> Outcome:
    """A published serious (严重) record inside its publicity window (the first counted one
    is named)."""
    return _record_cap(s, "serious", "HARD_SERIOUS_VIOLATION", p.max_score, ())


@signal("general_violation", params=HardRuleParams.parse, codes=("HARD_GENERAL_VIOLATION",))
def general_violation(s: Situation, p: HardRuleParams) -> Outcome:
    """A published general (一般) record inside its publicity window (model 2026.2: such a
    firm is not rated in rating tier A while the record is public)."""
    return _record_cap(
        s, "general", "HARD_GENERAL_VIOLATION", p.max_score, (("severity", "general"),)
    )


def _record_cap(s: Situation, severity: str, code: str, max_score: int, extra: tuple) -> Outcome:
    changes: list[date] = []
    for v in s.facts.violations:
        if v.severity == severity:
            changes.extend(violation_dates(v, s.as_of, decays=False))
    for v in s.counted_violations:
        if v.severity == severity:
            cap = Cap(code, max_score, v.id, (("decision", v.ref), *extra))
            return Outcome(caps=(cap,), changes=tuple(changes))
    return Outcome(changes=tuple(changes)) if changes else NOTHING
