"""The inputs of a rating: a snapshot of one enterprise's facts, with the dates that matter.

Facts carry their own legal dates (decision, publication, withdrawal, repair ...), so one
snapshot can be rated as of any date: a record counts from its effective date until it
ends. Instances are immutable and their ``repr`` is canonical, which makes the digest of
the inputs stable across processes and machines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date

from credit.publicity import public_on

#: Fields renamed since ratings were first stored, by their name in the canonical form: the
#: inputs digest of unchanged facts must not move (a moved digest reads as changed inputs
#: and writes a history row for every firm), so the form keeps the name it was made with.
_CANONICAL_NAMES = {"severity": "tier"}


def _canonical_repr(cls: type) -> type:
    """Give ``cls`` the dataclass repr (with the canonical field names), compiled into one
    f-string per class: without the dataclass repr's per-call field lookup and recursion
    guard, and without a join over the fields. A full rescore takes the digest of a million
    firms' facts; the generic repr was a fifth of the scoring time, the join half of what
    was left. ``{value!r}`` is ``repr(value)``: the text is the dataclass repr's."""
    shown = ", ".join(
        f"{_CANONICAL_NAMES.get(f.name, f.name)}={{self.{f.name}!r}}" for f in fields(cls)
    )
    namespace: dict = {}
    # Only the class's own identifiers are interpolated (field names, its qualname).
    exec(f'def __repr__(self):\n    return f"{cls.__qualname__}({shown})"\n', namespace)  # noqa: S102
    cls.__repr__ = namespace["__repr__"]
    return cls


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class ViolationFact:
    id: str
    ref: str  # the decision number: public, and how a person recognises the record
    severity: str  # minor | general | serious (not the rating tier A/B/C)
    category: str
    decision_date: date
    published: bool
    repairable_from: date
    publish_until: date
    status: str = "active"  # active | revoked | repaired
    ended_on: date | None = None  # the day a revocation or repair took effect
    objection_pending: bool = False
    #: The first day it is public (None: the decision date; later where periods run from
    #: publication, as SAMR's do).
    public_from: date | None = None

    def counts_on(self, day: date) -> bool:
        """Public negative information on ``day``: published, inside its window, not yet
        revoked or repaired (``credit.publicity.public_on``, the one rule)."""
        return public_on(
            day,
            published=self.published,
            status=self.status,
            public_from=self.public_from or self.decision_date,
            publish_until=self.publish_until,
            ended_on=self.ended_on,
        )


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class BreachFact:
    violation_id: str
    clause_code: str
    recorded_on: date
    revoked_on: date | None = None


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class PledgeFact:
    id: str
    series_id: str
    type: str
    clauses: tuple[str, ...]
    published_on: date | None
    valid_from: date
    valid_until: date
    withdrawn_on: date | None = None
    superseded_on: date | None = None
    breaches: tuple[BreachFact, ...] = ()

    def current_on(self, day: date) -> bool:
        """The published version of its series on ``day`` (not withdrawn or superseded)."""
        if self.published_on is None or self.published_on > day:
            return False
        if self.withdrawn_on is not None and self.withdrawn_on <= day:
            return False
        return self.superseded_on is None or self.superseded_on > day


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class CommendationFact:
    id: str
    title: str
    granted_on: date
    valid_until: date

    def valid_on(self, day: date) -> bool:
        return self.granted_on <= day <= self.valid_until


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class SeriousListFact:
    id: str
    listed_on: date
    remove_on: date
    removed_on: date | None = None

    def listed(self, day: date) -> bool:
        if day < self.listed_on or day >= self.remove_on:  # removed on remove_on
            return False
        return self.removed_on is None or self.removed_on > day


@_canonical_repr
@dataclass(frozen=True, slots=True, repr=False)
class EnterpriseFacts:
    enterprise_id: str
    uscc: str
    status: str  # registry status: active | revoked | cancelled | moved_out
    registration_date: date | None
    shops: int = 0
    customer_service: bool = False
    pledges: tuple[PledgeFact, ...] = ()
    violations: tuple[ViolationFact, ...] = ()
    commendations: tuple[CommendationFact, ...] = field(default=())
    serious_list: tuple[SeriousListFact, ...] = ()

    def digest(self) -> str:
        """SHA-256 of the canonical form of these facts (their repr is canonical)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()
