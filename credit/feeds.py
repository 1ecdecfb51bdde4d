"""What the platform's feeds say: one firm's credit news, and the public record of violations.

``api.pages.feeds`` serves them as Atom (RFC 4287) and JSON Feed 1.1; this module decides
what is in them, the same for everyone who asks (a feed is fetched by readers that never
sign in, and cached), so it reads the public record only, whoever the identity is:

* a firm's feed: its pledges published and withdrawn; its violation records published, and
  the day each stopped being public (its window over, credit repair approved, the decision
  revoked); its grade changes (the first grade it was given, then each change);
* the public record: violation records public today, newest first, filtered by city,
  category or severity.

A record that is not public today is told of without its details: the entry that published
it is left out and the one that ended its publicity names no facts, penalty or decision
number (``credit.publicity``: a record out of its window is not shown; the firm's readers
only learn that it no longer is). Nothing is dated after now (a record published on a later
day appears on that day), and each entry's key is stable, so a reader never sees an entry
twice or an entry change its identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from credit import clock, publicity
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_read_public, require
from credit.pledges.models import Pledge
from credit.ratings.models import RatingRecord
from credit.regions import JIANGSU_CITIES, JIANGSU_CITIES_EN
from credit.violations.models import RepairApplication, Violation
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES

Pair = tuple[str, str]

#: Entries in one feed, newest first (a reader polls; older news is on the profile).
FEED_SIZE = 50
#: A feed with no entry says it was last updated then (Atom requires the date; a fixed one
#: keeps an empty feed's bytes, and so its ETag, the same from one request to the next).
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

#: The events a feed tells of, in words.
EVENTS: dict[str, Pair] = {
    "pledge_published": ("发布诚信承诺", "pledge published"),
    "pledge_withdrawn": ("撤回诚信承诺", "pledge withdrawn"),
    "violation_published": ("公示违法失信信息", "record published"),
    "violation_ended": ("公示期满，停止公示", "publicity period over"),
    "violation_repaired": ("信用修复，停止公示", "credit repaired: no longer public"),
    "violation_revoked": ("处罚决定撤销，停止公示", "decision revoked: no longer public"),
    "grade_changed": ("信用等级变化", "grade changed"),
}


@dataclass(frozen=True)
class Entry:
    """One piece of news. ``key`` identifies it for good (``violation/<id>/published``);
    ``at`` is when it happened (aware, UTC); ``violation_id`` names the record's page while
    the record is public; ``data`` the entry's facts as values, for machine readers."""

    key: str
    event: str
    at: datetime
    title: Pair
    text: Pair
    uscc: str
    firm: str
    violation_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Feed:
    """A feed's title and entries, newest first. ``uscc`` is the firm of a firm's feed."""

    title: Pair
    description: Pair
    entries: list[Entry]
    uscc: str | None = None

    @property
    def updated(self) -> datetime:
        return self.entries[0].at if self.entries else EPOCH


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _day_start(day: date, plus_days: int = 0) -> datetime:
    return _utc(clock.start_of_day(day, plus_days))


def _newest(entries: Iterable[Entry], now: datetime) -> list[Entry]:
    shown = [e for e in entries if e.at <= now]
    shown.sort(key=lambda e: (e.at, e.key), reverse=True)
    return shown[:FEED_SIZE]


# -- one firm -----------------------------------------------------------------------------
def enterprise_feed(identity: Identity, code: str) -> Feed:
    """A firm's credit news: pledges, violation records, repairs and grade changes."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    now, today = clock.now(), clock.today()
    entries = [
        *_pledge_entries(ent, now),
        *_violation_entries(ent, today),
        *_grade_entries(ent, now),
    ]
    return Feed(
        title=(f"{ent.name} · 信用动态", f"{ent.name}: credit news"),
        description=(
            f"{ent.name}（{ent.uscc}）的诚信承诺、违法失信信息、信用修复与信用等级变化",
            f"Pledges, violation records, credit repairs and grade changes of {ent.name} "
            f"({ent.uscc})",
        ),
        entries=_newest(entries, now),
        uscc=ent.uscc,
    )


def _pledge_entries(ent: Enterprise, now: datetime) -> Iterable[Entry]:
    rows = db.session.scalars(
        sa.select(Pledge).where(
            Pledge.enterprise_id == ent.id,
            Pledge.status != "draft",
            Pledge.consent_to_publish.is_(True),
            Pledge.published_at.is_not(None),
        )
    ).unique()
    for p in rows:
        title = (p.template.title, p.template.title_en)
        valid = (
            f"有效期 {p.valid_from.isoformat()} 至 {p.valid_until.isoformat()}",
            f"valid {p.valid_from.isoformat()} to {p.valid_until.isoformat()}",
        )
        data = {"pledge_id": p.id, "pledge_type": p.template.type}
        yield Entry(
            key=f"pledge/{p.id}/published",
            event="pledge_published",
            at=_utc(p.published_at),
            title=(f"发布诚信承诺：{title[0]}", f"Pledge published: {title[1]}"),
            text=(
                f"{ent.name}发布《{title[0]}》，{valid[0]}。",
                f"{ent.name}: {title[1]}, {valid[1]}.",
            ),
            uscc=ent.uscc,
            firm=ent.name,
            data=data,
        )
        if p.withdrawn_at is not None:
            yield Entry(
                key=f"pledge/{p.id}/withdrawn",
                event="pledge_withdrawn",
                at=_utc(p.withdrawn_at),
                title=(f"撤回诚信承诺：{title[0]}", f"Pledge withdrawn: {title[1]}"),
                text=(f"{ent.name}撤回《{title[0]}》。", f"{ent.name} withdrew: {title[1]}."),
                uscc=ent.uscc,
                firm=ent.name,
                data=data,
            )


def _violation_entries(ent: Enterprise, today: date) -> Iterable[Entry]:
    rows = (
        db.session.scalars(
            sa.select(Violation).where(
                Violation.enterprise_id == ent.id, publicity.made_public_clause(today)
            )
        )
        .unique()
        .all()
    )
    repaired = _repair_days([v.id for v in rows if v.status == "repaired"])
    for v in rows:
        if publicity.is_public(v, today):
            yield published_entry(v)
            continue
        end = _end_of_publicity(v, repaired.get(v.id))
        if end is None:
            continue
        event, at = end
        if at.astimezone(clock.CHINA).date() < v.public_from:
            continue  # ended before it was ever public: nothing was told, nothing to end
        yield Entry(
            key=f"violation/{v.id}/{event.removeprefix('violation_')}",
            event=event,
            at=at,
            title=EVENTS[event],
            text=(
                f"{ent.name}的一条违法失信信息{EVENTS[event][0]}。",
                f"A violation record of {ent.name}: {EVENTS[event][1]}.",
            ),
            uscc=ent.uscc,
            firm=ent.name,
            data={"violation_id": v.id},
        )


def _repair_days(ids: list[str]) -> dict[str, datetime]:
    """When each repaired record's application was approved."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(RepairApplication.violation_id, sa.func.max(RepairApplication.decided_at))
        .where(
            RepairApplication.violation_id.in_(ids),
            RepairApplication.status == "approved",
        )
        .group_by(RepairApplication.violation_id)
    )
    return {vid: at for vid, at in rows if at is not None}


def _end_of_publicity(v: Violation, repaired_at: datetime | None) -> tuple[str, datetime] | None:
    """How and when a record that is not public today stopped being public (None: it has
    not been public yet, or the moment is unknown)."""
    if v.status == "revoked" and v.revoked_at is not None:
        return "violation_revoked", _utc(v.revoked_at)
    if v.status == "repaired" and repaired_at is not None:
        return "violation_repaired", _utc(repaired_at)
    if v.status == "active" and v.publish_until < clock.today():
        return "violation_ended", _day_start(v.publish_until, 1)
    return None


def published_entry(v: Violation) -> Entry:
    """A record public today, with what its public page shows."""
    ent = v.enterprise
    category, severity = CATEGORIES.get(v.category, (v.category,) * 2), SEVERITIES[v.severity]
    penalty = PENALTY_TYPES.get(v.penalty_type, (v.penalty_type,) * 2)
    amount = f" {v.penalty_amount} 元" if v.penalty_amount is not None else ""
    amount_en = f" CNY {v.penalty_amount}" if v.penalty_amount is not None else ""
    decided = v.decision_date.isoformat()
    until = v.publish_until.isoformat()
    return Entry(
        key=f"violation/{v.id}/published",
        event="violation_published",
        # public from the start of its first public day, or when it was recorded if later
        at=max(_utc(v.recorded_at), _day_start(v.public_from)),
        title=(
            f"{ent.name}：{category[0]}（{severity[0]}）",
            f"{ent.name}: {category[1]} ({severity[1]})",
        ),
        text=(
            f"{v.authority.name}于 {decided} 作出处罚决定（{v.decision_number}）。"
            f"违法事实：{v.facts} 处罚：{penalty[0]}{amount}。公示至 {until}。",
            f"{v.authority.name} decided on {decided} ({v.decision_number}). "
            f"Facts: {v.facts} Penalty: {penalty[1]}{amount_en}. Public until {until}.",
        ),
        uscc=ent.uscc,
        firm=ent.name,
        violation_id=v.id,
        data={
            "violation_id": v.id,
            "category": v.category,
            "severity": v.severity,
            "authority": v.authority.name,
            "decision_number": v.decision_number,
            "decision_date": decided,
            "publish_until": until,
            "city_code": ent.city_code,
        },
    )


def _grade_entries(ent: Enterprise, now: datetime) -> Iterable[Entry]:
    rows = db.session.execute(
        sa.select(RatingRecord.id, RatingRecord.computed_at, RatingRecord.grade)
        .where(RatingRecord.enterprise_id == ent.id, RatingRecord.computed_at <= now)
        .order_by(RatingRecord.id)
    )
    previous: str | None = None
    for rid, at, grade in rows:
        if grade == previous:
            continue
        if previous is None:
            title = (f"信用等级：{grade}（首次评价）", f"Grade: {grade} (first rating)")
        else:
            title = (f"信用等级：{previous} → {grade}", f"Grade: {previous} → {grade}")
        yield Entry(
            key=f"rating/{rid}/grade",
            event="grade_changed",
            at=_utc(at),
            title=title,
            text=(f"{ent.name}的{title[0]}。", f"{ent.name}: {title[1]}."),
            uscc=ent.uscc,
            firm=ent.name,
            data={"grade": grade, "previous_grade": previous},
        )
        previous = grade


# -- the public record ----------------------------------------------------------------------
def violations_feed(
    identity: Identity,
    *,
    city: str | None = None,
    category: str | None = None,
    severity: str | None = None,
) -> Feed:
    """Violation records public today, newest first, of firms in ``city`` (a Jiangsu city
    code) and of the given category and severity (the caller checked the values)."""
    require(can_read_public(identity))
    today = clock.today()
    query = (
        sa.select(Violation)
        .join(Enterprise, Enterprise.id == Violation.enterprise_id)
        .where(publicity.public_clause(today))
        .order_by(Violation.public_from.desc(), Violation.recorded_at.desc(), Violation.id)
        .limit(FEED_SIZE)
    )
    if city:
        query = query.where(Enterprise.city_code == city)
    if category:
        query = query.where(Violation.category == category)
    if severity:
        query = query.where(Violation.severity == severity)
    entries = [published_entry(v) for v in db.session.scalars(query).unique()]
    words = [
        (JIANGSU_CITIES[city], JIANGSU_CITIES_EN.get(city, city)) if city else None,
        CATEGORIES[category] if category else None,
        SEVERITIES[severity] if severity else None,
    ]
    chosen = [w for w in words if w]
    suffix = (
        "（" + "·".join(w[0] for w in chosen) + "）",
        " (" + ", ".join(w[1] for w in chosen) + ")",
    )
    return Feed(
        title=(
            "违法失信信息公示" + (suffix[0] if chosen else ""),
            "Violation records made public" + (suffix[1] if chosen else ""),
        ),
        description=(
            "江苏省电子商务经营者在公示期内的违法失信信息，最新的在前",
            "Violation records of Jiangsu e-commerce firms inside their publicity period, "
            "newest first",
        ),
        entries=_newest(entries, clock.now()),
    )
