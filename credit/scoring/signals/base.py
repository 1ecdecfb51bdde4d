"""What a rating signal is: a pure function from an enterprise's facts on a date and its own
model parameters to contributions, caps and the dates on which time alone changes them.

A signal registers itself by name with :func:`signal`; a model file lists the signals it uses
with their parameters (``credit.scoring.model``), and ``credit.scoring.engine.rate`` combines
their outcomes: the contributions are summed, the lowest cap that applies cuts the score, and
the earliest future date is the rating's ``next_change``. A new signal is one module here plus
its entry in a model file; the engine does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from credit.scoring.facts import EnterpriseFacts, PledgeFact, ViolationFact

#: Families a contribution belongs to (the explanation groups factors by them).
FAMILIES = ("base", "basic", "public", "market", "hard_rule")
#: Codes whose params carry a record's severity (stored as ``tier`` before the rename).
RECORD_SEVERITY_CODES = frozenset({"VIOLATION", "HARD_GENERAL_VIOLATION"})


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
        """A stored contribution. Rows stored before the rename name a record's severity
        ``tier``; they are read with today's name."""
        family, code, points, ref, params = row
        if code in RECORD_SEVERITY_CODES:
            params = {("severity" if k == "tier" else k): v for k, v in params.items()}
        return cls(family, code, int(points), ref, tuple(params.items()))


@dataclass(frozen=True, slots=True)
class Cap:
    """A hard rule that applies: the score is at most ``max_score``. When it binds, the cut
    becomes a ``hard_rule`` contribution with this code, ref and params."""

    code: str
    max_score: int
    ref: str | None = None
    params: tuple[tuple[str, object], ...] = ()


class Outcome(NamedTuple):
    """What one signal says about one enterprise on one date (a named tuple: a million
    firms make ten of these each)."""

    contributions: tuple[Contribution, ...] = ()
    caps: tuple[Cap, ...] = ()
    changes: tuple[date, ...] = ()  # dates after which time alone may change this outcome


NOTHING = Outcome()


class Situation:
    """The facts and the date being rated, with the views several signals share (worked out
    once per rating, on first use)."""

    __slots__ = ("_counted", "_counted_ids", "as_of", "facts")

    def __init__(self, facts: EnterpriseFacts, as_of: date) -> None:
        self.facts = facts
        self.as_of = as_of
        self._counted: tuple[ViolationFact, ...] | None = None
        self._counted_ids: frozenset[str] | None = None

    @property
    def counted_violations(self) -> tuple[ViolationFact, ...]:
        """Violations that are public negative information on ``as_of`` (facts order)."""
        if self._counted is None:
            self._counted = tuple(v for v in self.facts.violations if v.counts_on(self.as_of))
        return self._counted

    @property
    def counted_ids(self) -> frozenset[str]:
        if self._counted_ids is None:
            self._counted_ids = frozenset(v.id for v in self.counted_violations)
        return self._counted_ids

    def counted_breaches(self, p: PledgeFact) -> list:
        """Breaches of ``p`` that weigh on ``as_of``: recorded, not revoked, and their
        violation still public negative information (a breach drops out with it)."""
        if not p.breaches:
            return []
        ids = self.counted_ids
        day = self.as_of
        return [
            b
            for b in p.breaches
            if b.recorded_on <= day
            and (b.revoked_on is None or b.revoked_on > day)
            and b.violation_id in ids
        ]


class Params(Protocol):
    """A signal's parameters, parsed from its model-file entry."""

    def problems(self) -> list[str]:
        """What is wrong with these values (empty: usable)."""
        ...

    def bounds(self) -> tuple[int, int]:
        """(most points the signal can add, most it can take away): the model checks that
        every score stays within 0..1000 without clamping."""
        ...


@dataclass(frozen=True)
class Signal:
    name: str
    codes: frozenset[str]  # every reason code it can emit (the model needs a text for each)
    parse: Callable[[dict[str, Any]], Params]
    run: Callable[[Situation, Any], Outcome]


#: Every registered signal by name; filled by the modules of ``credit.scoring.signals``.
REGISTRY: dict[str, Signal] = {}


def signal(
    name: str, *, params: Callable[[dict[str, Any]], Params], codes: Iterable[str]
) -> Callable[[Callable[[Situation, Any], Outcome]], Callable[[Situation, Any], Outcome]]:
    """Register ``run`` as the signal ``name``; ``params`` parses its model-file entry."""

    def register(run: Callable[[Situation, Any], Outcome]) -> Callable[[Situation, Any], Outcome]:
        if name in REGISTRY:
            raise ValueError(f"signal {name} is registered twice")
        REGISTRY[name] = Signal(name, frozenset(codes), params, run)
        return run

    return register


@dataclass(frozen=True)
class HardRuleParams:
    """A cap: while the rule applies the score is at most ``max_score``."""

    max_score: int

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> HardRuleParams:
        return cls(int(doc["max_score"]))

    def problems(self) -> list[str]:
        return [] if 0 <= self.max_score <= 1000 else ["max_score out of range"]

    def bounds(self) -> tuple[int, int]:
        return (0, 0)
