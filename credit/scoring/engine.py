"""The engine: rate an enterprise's facts as of a date under one model version.

The model lists its signals (``credit.scoring.signals``); each says, from the facts and its
own parameters, what it contributes, which caps apply and when time alone changes it. The
engine only combines them: the base plus every contribution is the raw score; the lowest cap
that applies cuts it, and the cut is itself a contribution. Hence ``score == sum(points)``
always, and the grade is a function of the score alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from credit.scoring.facts import EnterpriseFacts
from credit.scoring.model import TIER_OF, ScoringModel
from credit.scoring.shares import saturated, share_out
from credit.scoring.signals import Cap, Contribution, Situation

__all__ = ["Contribution", "Rating", "caps_on", "rate", "saturated", "share_out"]


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


def rate(
    facts: EnterpriseFacts,
    as_of: date,
    model: ScoringModel,
    digest: bool = True,
    *,
    extra_points: int = 0,
) -> Rating:
    """Rate ``facts`` as of ``as_of`` under ``model``. Pure and deterministic.

    ``extra_points``: a what-if (never stored): that many points more before the caps, as
    an ``EXTRA`` contribution; the explanation's "points to the next grade" is checked with
    it (``credit.ratings.guidance``)."""
    situation = Situation(facts, as_of)
    out: list[Contribution] = [_base(model.base)]
    if extra_points:
        out.append(Contribution("base", "EXTRA", extra_points))
    caps: list[Cap] = []
    changes: list[date] = []
    for sig, params in model.signals:
        contributions, capped, moves = sig.run(situation, params)
        if contributions:
            out.extend(contributions)
        if capped:
            caps.extend(capped)
        if moves:
            changes.extend(moves)

    raw = sum(c.points for c in out)
    score = raw
    if caps:
        cap = min(caps, key=lambda c: c.max_score)  # the first of equal caps names the cut
        if raw > cap.max_score:
            out.append(
                Contribution("hard_rule", cap.code, cap.max_score - raw, cap.ref, cap.params)
            )
            score = cap.max_score

    if len(out) > 2:
        out[1:] = sorted(out[1:], key=_importance)
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
        hard_rules=tuple(sorted({c.code for c in caps})) if caps else (),
        next_change=min(future) if future else None,
        inputs_digest=facts.digest() if digest else "",
    )


@lru_cache(maxsize=64)
def _base(points: int) -> Contribution:
    """The base contribution (immutable: one per model base, not one per rating)."""
    return Contribution("base", "BASE", points)


def _importance(c: Contribution) -> tuple:
    """Order of the contributions after the base: the largest first, then by code and ref."""
    return (-abs(c.points), c.code, c.ref or "")


def caps_on(facts: EnterpriseFacts, as_of: date, model: ScoringModel) -> tuple[Cap, ...]:
    """Every cap (hard rule) that applies on ``as_of``, binding or not, lowest first (the
    first of equal caps is the one ``rate`` names): the explanation says what each holds
    down and what lifts it."""
    situation = Situation(facts, as_of)
    caps: list[Cap] = []
    for sig, params in model.signals:
        capped = sig.run(situation, params)[1]
        if capped:
            caps.extend(capped)
    return tuple(sorted(caps, key=lambda c: c.max_score))
