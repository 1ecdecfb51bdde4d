"""The credit seal (诚信标识): may this firm show it today, since when, and if not, why not.

The rules are data (``credit/data/seal_rules.json``: each with its reason and citations);
this module holds one evaluator per rule code and answers from the stored record, read
afresh on every call, so a seal can never outlive the state it shows:

- ``registration_active``: the registry status is ``active``;
- ``pledge_in_force``: a pledge published to everyone (consent to publish, a type listed in
  ``pledge_types``) is in force on the day: from the later of its publication and its
  ``valid_from`` to its ``valid_until``, until withdrawn or superseded;
- ``pledge_kept``: no breach in force (recorded, not revoked) of a pledge in force, nor of
  any pledge while the record that found the breach is still public;
- ``no_serious_record``: no record of a ``blocking_severities`` severity is public
  (``credit.publicity``, the one rule);
- ``not_on_serious_list``: no serious-list entry in force;
- ``grade_not_tier_c``: the published rating's tier is not in ``excluded_rating_tiers``
  (a firm not rated yet shows no seal).

``since`` is the first day of the unbroken run of eligible days ending today. It is computed,
not stored, from what the platform recorded and when (the "recorded" view of the ratings):
each fact counts from the day it was recorded or published, never from an earlier legal
date, so a record filed late cannot rewrite a past the public already saw; the grade on a
past day is the rating history's row for that day. The registry status has no history: it
is taken as it stands today.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.enterprises.service import get_enterprise
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_read_public, require
from credit.scoring.calendar import next_day
from credit.scoring.facts import PledgeFact, SeriousListFact, ViolationFact

DATA = Path(__file__).resolve().parent / "data" / "seal_rules.json"


class SealRulesError(ValueError):
    """The rules file is wrong: the message names the row."""


# -- the rules as published ------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    title_en: str
    failed: str
    failed_en: str
    reason: str
    reason_en: str
    cite: tuple[dict[str, Any], ...]


@cache
def table() -> dict[str, Any]:
    """The rules file as published, validated (see :func:`validate`)."""
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    _check(doc)
    return doc


def validate() -> None:
    """Load the rules file now: a broken file stops start-up, not a request."""
    table()


def rules() -> list[Rule]:
    """The rules in the order they are published (and reasons are given)."""
    return [
        Rule(
            r["code"],
            r["title"],
            r["title_en"],
            r["failed"],
            r["failed_en"],
            r["reason"],
            r["reason_en"],
            tuple(r["cite"]),
        )
        for r in table()["rules"]
    ]


def _check(doc: dict[str, Any]) -> None:
    from credit.pledges.vocab import PLEDGE_TYPES
    from credit.violations.vocab import SEVERITIES

    sources = doc.get("sources") or {}
    codes = [r.get("code") for r in doc.get("rules") or []]
    if sorted(codes) != sorted(EVALUATORS):
        raise SealRulesError(
            f"seal rules {sorted(codes)} do not match the evaluators {sorted(EVALUATORS)}"
        )
    for r in doc["rules"]:
        for key in ("title", "title_en", "failed", "failed_en", "reason", "reason_en"):
            if not isinstance(r.get(key), str) or not r[key].strip():
                raise SealRulesError(f"seal rule {r['code']}: {key} is missing")
        if not r.get("cite"):
            raise SealRulesError(f"seal rule {r['code']}: no citation")
        for c in r["cite"]:
            if c.get("source") not in sources:
                raise SealRulesError(f"seal rule {r['code']}: unknown source {c.get('source')}")
            if not sources[c["source"]].get("verified", False) and not c.get("unverified"):
                raise SealRulesError(
                    f"seal rule {r['code']}: {c['source']} is unverified; mark the citation so"
                )
    unknown = set(doc.get("pledge_types", [])) - set(PLEDGE_TYPES)
    if unknown or not doc.get("pledge_types"):
        raise SealRulesError(f"seal rules: pledge_types {sorted(unknown) or 'empty'}")
    if set(doc.get("excluded_rating_tiers", [])) - {"A", "B", "C"}:
        raise SealRulesError("seal rules: excluded_rating_tiers are tiers A, B or C")
    if not doc.get("blocking_severities") or set(doc["blocking_severities"]) - set(SEVERITIES):
        raise SealRulesError("seal rules: blocking_severities must be severities")


def get_seal_rules(identity: Identity) -> dict[str, Any]:
    """The rules as published (anyone may read them), each with its reason and citations."""
    require(can_read_public(identity))
    return {k: v for k, v in table().items() if not k.startswith("_")}


# -- a firm's record, as the rules read it ---------------------------------------------------
@dataclass(frozen=True)
class _Pledge:
    fact: PledgeFact
    counts: bool  # published to everyone, of a type the seal accepts

    @property
    def start(self) -> date | None:
        """Its first day in force: the later of its publication and its ``valid_from``."""
        p = self.fact
        return None if p.published_on is None else max(p.published_on, p.valid_from)

    @property
    def ended_on(self) -> date | None:
        """The day it stopped being in force early (withdrawn or superseded), if it did."""
        ends = [d for d in (self.fact.withdrawn_on, self.fact.superseded_on) if d is not None]
        return min(ends) if ends else None

    def in_force(self, day: date) -> bool:
        start, ended = self.start, self.ended_on
        if start is None or not start <= day <= self.fact.valid_until:
            return False
        return ended is None or day < ended


@dataclass(frozen=True)
class _Record:
    """A violation as the public saw it: public on a day only once recorded."""

    fact: ViolationFact
    recorded_on: date

    def public(self, day: date) -> bool:
        return self.recorded_on <= day and self.fact.counts_on(day)


@dataclass(frozen=True)
class _Listing:
    fact: SeriousListFact
    recorded_on: date

    def in_force(self, day: date) -> bool:
        return self.recorded_on <= day and self.fact.listed(day)


@dataclass(frozen=True)
class _History:
    status: str
    pledges: tuple[_Pledge, ...]
    records: dict[str, _Record]
    listings: tuple[_Listing, ...]
    #: (as_of, grade, tier) of each published rating, oldest first
    ratings: tuple[tuple[date, str, str], ...]

    def rating_on(self, day: date) -> tuple[str, str] | None:
        """The grade and tier published for ``day`` (the last row computed by then)."""
        found = None
        for as_of, grade, tier in self.ratings:
            if as_of <= day:
                found = (grade, tier)
        return found


def _breach_in_force(p: _Pledge, day: date) -> list[str]:
    """Ids of the records whose breach of ``p`` stands on ``day`` (recorded, not revoked)."""
    return [
        b.violation_id
        for b in p.fact.breaches
        if b.recorded_on <= day and (b.revoked_on is None or day < b.revoked_on)
    ]


def _breached(h: _History, day: date) -> bool:
    """A pledge in force is breached, or any pledge was by a record still public."""
    for p in h.pledges:
        for vid in _breach_in_force(p, day):
            record = h.records.get(vid)
            if p.in_force(day) or (record is not None and record.public(day)):
                return True
    return False


def _serious_public(h: _History, day: date) -> bool:
    blocking = set(table()["blocking_severities"])
    return any(r.fact.severity in blocking and r.public(day) for r in h.records.values())


def _tier_allowed(h: _History, day: date) -> bool:
    rating = h.rating_on(day)
    return rating is not None and rating[1] not in table()["excluded_rating_tiers"]


#: One evaluator per rule code: does the rule hold on this day?
EVALUATORS: dict[str, Callable[[_History, date], bool]] = {
    "registration_active": lambda h, day: h.status == "active",
    "pledge_in_force": lambda h, day: any(p.counts and p.in_force(day) for p in h.pledges),
    "pledge_kept": lambda h, day: not _breached(h, day),
    "no_serious_record": lambda h, day: not _serious_public(h, day),
    "not_on_serious_list": lambda h, day: not any(s.in_force(day) for s in h.listings),
    "grade_not_tier_c": _tier_allowed,
}


def _failing(h: _History, day: date) -> list[str]:
    return [r["code"] for r in table()["rules"] if not EVALUATORS[r["code"]](h, day)]


def _day(instant: datetime | None) -> date | None:
    return None if instant is None else instant.astimezone(clock.CHINA).date()


@cache
def _history_statement() -> sa.CompoundSelect:
    """What the seal reads besides the facts and the ratings, in one statement built once
    per process (``enterprise_id``): when each violation and listing was recorded, and
    which pledges consent to publication (with no date)."""
    from credit.pledges.models import Pledge
    from credit.violations.models import SeriousListEntry, Violation

    firm = sa.bindparam("enterprise_id")
    return sa.union_all(
        sa.select(sa.literal("violation"), Violation.id, Violation.recorded_at).where(
            Violation.enterprise_id == firm
        ),
        sa.select(
            sa.literal("serious_list"), SeriousListEntry.id, SeriousListEntry.recorded_at
        ).where(SeriousListEntry.enterprise_id == firm),
        sa.select(sa.literal("pledge"), Pledge.id, sa.null()).where(
            Pledge.enterprise_id == firm, Pledge.consent_to_publish.is_(True)
        ),
    )


def _history(identity: Identity, ent: Any, today: date) -> _History:
    from credit.ratings.facts import firm_facts
    from credit.ratings.service import get_rating, rating_points

    facts = firm_facts(db.session, ent.id)
    accepted = set(table()["pledge_types"])
    public: set[str] = set()
    recorded: dict[str, date | None] = {}
    listed: dict[str, date | None] = {}
    for kind, rid, at in db.session.execute(_history_statement(), {"enterprise_id": ent.id}):
        if kind == "pledge":
            public.add(rid)
        elif kind == "violation":
            recorded[rid] = _day(at)
        else:
            listed[rid] = _day(at)
    ratings = tuple((p.as_of, p.grade, p.tier) for p in rating_points(ent.id))
    if not ratings:  # not rated yet (the consumer is behind): as the profile shows it
        view = get_rating(identity, ent.uscc)
        ratings = ((today, view.grade, view.tier),)
    return _History(
        status=facts.status,
        pledges=tuple(_Pledge(p, p.id in public and p.type in accepted) for p in facts.pledges),
        records={v.id: _Record(v, recorded.get(v.id) or v.decision_date) for v in facts.violations},
        listings=tuple(_Listing(s, listed.get(s.id) or s.listed_on) for s in facts.serious_list),
        ratings=ratings,
    )


def _change_days(h: _History) -> set[date]:
    """Every day on which some rule's answer may change (the first day of a new state)."""
    days: set[date] = set()
    for p in h.pledges:
        days.update(d for d in (p.start, p.ended_on) if d is not None)
        days.add(next_day(p.fact.valid_until))
        for b in p.fact.breaches:
            days.update(d for d in (b.recorded_on, b.revoked_on) if d is not None)
    for r in h.records.values():
        f = r.fact
        days.update((r.recorded_on, f.public_from or f.decision_date, next_day(f.publish_until)))
        if f.ended_on is not None:
            days.add(f.ended_on)
    for s in h.listings:
        days.update((s.recorded_on, s.fact.listed_on, s.fact.remove_on))
        if s.fact.removed_on is not None:
            days.add(s.fact.removed_on)
    days.update(as_of for as_of, _, _ in h.ratings)
    return days


def _since(h: _History, today: date) -> date | None:
    """The first day of the unbroken run of eligible days that ends ``today``."""
    if _failing(h, today):
        return None
    points = sorted((d for d in _change_days(h) if d <= today), reverse=True)
    since = today
    for point in points:
        since = point
        if point == date.min or _failing(h, point - timedelta(days=1)):
            return point
    return since


# -- the answer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """A rule the firm does not meet, in the words the public reads."""

    code: str
    text: str
    text_en: str


@dataclass
class SealStanding:
    uscc: str
    name: str
    eligible: bool
    reasons: list[Failure]
    grade: str | None
    tier: str | None
    #: in_force | breached | expired | withdrawn | none
    pledge_state: str
    pledge_valid_until: date | None
    since: date | None
    checked_on: date
    rules_revision: int = field(default=0)


def _pledge_state(h: _History, day: date) -> tuple[str, date | None]:
    current = [p for p in h.pledges if p.counts and p.in_force(day)]
    if current:
        until = max(p.fact.valid_until for p in current)
        breached = any(_breach_in_force(p, day) for p in current)
        return ("breached" if breached else "in_force"), until
    past = [p for p in h.pledges if p.counts and p.start is not None and p.start <= day]
    if not past:
        return "none", None
    last = max(past, key=lambda p: (p.start, p.fact.valid_until))
    if last.fact.withdrawn_on is not None and last.fact.withdrawn_on <= day:
        return "withdrawn", None
    return "expired", None


def seal_standing(identity: Identity, code: str) -> SealStanding:
    """May the firm show the seal today, and if not, which rules fail (anyone may ask)."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    today = clock.today()
    h = _history(identity, ent, today)
    failing = set(_failing(h, today))
    by_code = {r.code: r for r in rules()}
    rating = h.rating_on(today)
    state, until = _pledge_state(h, today)
    return SealStanding(
        uscc=ent.uscc,
        name=ent.name,
        eligible=not failing,
        reasons=[
            Failure(c, by_code[c].failed, by_code[c].failed_en) for c in by_code if c in failing
        ],
        grade=rating[0] if rating else None,
        tier=rating[1] if rating else None,
        pledge_state=state,
        pledge_valid_until=until,
        since=_since(h, today),
        checked_on=today,
        rules_revision=table()["revision"],
    )
