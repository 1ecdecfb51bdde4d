"""What lies ahead for a rating: dated milestones, and what the firm can do.

Pure like the engine: it re-rates the same facts at future dates (time alone: decay,
records leaving publicity, pledges ending) and under small changes of the facts (a repair,
a new pledge), so the explanation can say "the record X becomes repairable on D; repaired,
the score would be N (grade G)".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from credit.scoring.calendar import add_months, next_day
from credit.scoring.engine import Rating, rate
from credit.scoring.facts import EnterpriseFacts, PledgeFact
from credit.scoring.model import ScoringModel


@dataclass(frozen=True)
class Milestone:
    code: str  # VIOLATION_REPAIRABLE | VIOLATION_ENDS | PLEDGE_ENDS | PLEDGE_KEPT_ENDS |
    #            COMMENDATION_ENDS | SERIOUS_LIST_ENDS
    ref: str
    label: str  # decision number, title ... (public)


@dataclass(frozen=True)
class OutlookPoint:
    day: date
    score: int
    grade: str
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True)
class Action:
    code: str  # REPAIR | PUBLISH_PLEDGE | DECLARE_CONTACT | DECLARE_SHOPS
    ref: str | None
    label: str
    available_from: date
    score: int  # the score on that date with the action, all else unchanged
    grade: str
    points: int  # against the score on that date without it


def milestones(facts: EnterpriseFacts, as_of: date, horizon: date) -> dict[date, list]:
    out: dict[date, list[Milestone]] = {}

    def add(day: date, m: Milestone) -> None:
        if as_of < day <= horizon:
            out.setdefault(day, []).append(m)

    for v in facts.violations:
        if v.counts_on(as_of):
            add(v.repairable_from, Milestone("VIOLATION_REPAIRABLE", v.id, v.ref))
            add(next_day(v.publish_until), Milestone("VIOLATION_ENDS", v.id, v.ref))
    for p in facts.pledges:
        if p.current_on(as_of):
            add(next_day(p.valid_until), Milestone("PLEDGE_ENDS", p.id, p.valid_until.isoformat()))
    for c in facts.commendations:
        if c.valid_on(as_of):
            add(next_day(c.valid_until), Milestone("COMMENDATION_ENDS", c.id, c.title))
    for s in facts.serious_list:
        if s.listed(as_of):
            add(s.remove_on, Milestone("SERIOUS_LIST_ENDS", s.id, s.remove_on.isoformat()))
    return out


def outlook(
    facts: EnterpriseFacts, as_of: date, model: ScoringModel, months: int = 36, limit: int = 12
) -> list[OutlookPoint]:
    """Dates ahead (within ``months``) where a milestone falls or the grade changes, with
    the score on that date if nothing else happens."""
    horizon = add_months(as_of, months)
    marks = milestones(facts, as_of, horizon)
    current = rate(facts, as_of, model, digest=False)
    days = set(marks)
    day = current.next_change
    steps = 0
    while day is not None and day <= horizon and steps < 500:
        days.add(day)
        day = rate(facts, day, model, digest=False).next_change
        steps += 1
    points: list[OutlookPoint] = []
    grade = current.grade
    for day in sorted(days):
        r = rate(facts, day, model, digest=False)
        if day in marks or r.grade != grade:
            points.append(OutlookPoint(day, r.score, r.grade, tuple(marks.get(day, ()))))
        grade = r.grade
        if len(points) >= limit:
            break
    return points


def actions(
    facts: EnterpriseFacts, as_of: date, model: ScoringModel, scored_only: bool = True
) -> list[Action]:
    """What the firm itself can do, each scored on the day it becomes possible; with
    ``scored_only`` only those that gain points (a cap may hold a repair's gain at 0: the
    explanation still lists it, ``credit.ratings.guidance``)."""
    out: list[Action] = []

    def project(day: date, changed: EnterpriseFacts) -> tuple[Rating, Rating]:
        return rate(facts, day, model, digest=False), rate(changed, day, model, digest=False)

    for i, v in enumerate(facts.violations):
        if v.status != "active" or not v.counts_on(as_of):
            continue
        day = max(as_of, v.repairable_from)
        if not v.counts_on(day):  # its window is over by then: nothing left to repair
            continue
        repaired = replace(v, status="repaired", ended_on=day)
        changed = replace(
            facts, violations=(*facts.violations[:i], repaired, *facts.violations[i + 1 :])
        )
        before, after = project(day, changed)
        out.append(
            Action("REPAIR", v.id, v.ref, day, after.score, after.grade, after.score - before.score)
        )
    pledge_params = model.params("pledges")
    licence = model.params("licence_display")
    in_force = [
        p
        for p in facts.pledges
        if p.current_on(as_of)
        and p.valid_from <= as_of <= p.valid_until
        and pledge_params is not None
        and pledge_params.counts(p.type)
    ]
    if not in_force:
        pledge = PledgeFact(
            "new",
            "new",
            "voluntary_public",
            (licence.clause,) if licence is not None else (),
            as_of,
            as_of,
            add_months(as_of, 12),
        )
        before, after = project(as_of, replace(facts, pledges=(*facts.pledges, pledge)))
        out.append(
            Action(
                "PUBLISH_PLEDGE",
                None,
                "",
                as_of,
                after.score,
                after.grade,
                after.score - before.score,
            )
        )
    if not facts.customer_service:
        before, after = project(as_of, replace(facts, customer_service=True))
        out.append(
            Action(
                "DECLARE_CONTACT",
                None,
                "",
                as_of,
                after.score,
                after.grade,
                after.score - before.score,
            )
        )
    if not facts.shops:
        before, after = project(as_of, replace(facts, shops=1))
        out.append(
            Action(
                "DECLARE_SHOPS",
                None,
                "",
                as_of,
                after.score,
                after.grade,
                after.score - before.score,
            )
        )
    return [a for a in out if a.points > 0 or not scored_only]
