"""Webhook events from the change feed: a consumer that turns committed changes into
deliveries.

Each change names an entity; its committed state now says which event it stands for:

- a pledge ``published`` -> ``pledge.published``, ``withdrawn`` -> ``pledge.withdrawn``;
- a violation as the public pages show it (``credit.publicity.public_status``): shown
  (published, under objection, corrected) -> ``violation.published``; ``ended``,
  ``repaired``, ``revoked`` (of a record that had been published) -> the event of that name;
- a serious-list entry in force -> ``serious_list.entered``; removed or run out ->
  ``serious_list.left``;
- a new rating whose grade differs from the one before it (the rating history keeps the
  last grade sent for each firm) -> ``grade.changed``.

Each event has a message id derived from what it is (type and record, or the rating row),
so deriving it again (a change redelivered, a later change of the same record) finds the
same id, and a delivery is inserted at most once per endpoint and message id (a unique
constraint; the insert does nothing on conflict). A record whose state moved on before the
consumer read it is reported in the state it has now: at-least-once for committed states.

An event goes to every enabled endpoint that asked for its type, whose filters (firm
codes, cities, industries) match the firm, and that existed when the change was
committed (an endpoint registered today is not sent the history). The payload carries
public data only, through the projections of the public profile
(``credit.reports.service``: natural persons' names masked), and links to the API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from credit import clock, publicity
from credit.changes import Change, ChangeEvent, Consumer
from credit.enterprises.models import Enterprise, new_id
from credit.pledges.models import Pledge
from credit.ratings.models import RatingRecord
from credit.reports import service as profile
from credit.violations.models import SeriousListEntry, Violation
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint

CONSUMER_NAME = "webhooks"
#: Deliveries inserted by one statement (SQLite bounds the parameters of a statement).
INSERT_CHUNK = 200
#: Public states of a violation in which it is shown (credit.publicity.PUBLIC_STATES).
_SHOWN = publicity.PUBLIC_STATES
_ENDED = {
    "ended": "violation.ended",
    "repaired": "violation.repaired",
    "revoked": "violation.revoked",
}


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    enterprise: Enterprise
    data: dict[str, Any]


def message_id(event_type: str, key: str) -> str:
    """The Standard Webhooks message id of an event: the same whenever it is derived."""
    return "msg_" + hashlib.sha256(f"{event_type}:{key}".encode()).hexdigest()[:32]


class Links:
    """Absolute API links, built on the configured public URL (never a request's Host)."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/") + "/api/v1"

    def enterprise(self, uscc: str) -> str:
        return f"{self.base}/enterprises/{uscc}"

    def of(self, kind: str, ident: str) -> str:
        return f"{self.base}/{kind}/{ident}"


def _firm(ent: Enterprise, links: Links) -> dict[str, Any]:
    return {
        "uscc": ent.uscc,
        "name": ent.name,
        "city_code": ent.city_code,
        "industry": ent.industry,
        "link": links.enterprise(ent.uscc),
    }


def _pledge_event(pledge: Pledge, today: date, links: Links) -> Event | None:
    if pledge.status == "published":
        kind, data = "pledge.published", profile._pledge(pledge, today)
    elif pledge.status == "withdrawn":
        kind = "pledge.withdrawn"
        data = {
            "id": pledge.id,
            "title": [pledge.template.title, pledge.template.title_en],
            "status": "withdrawn",
        }
    else:
        return None
    data["link"] = links.of("pledges", pledge.id)
    return Event(message_id(kind, pledge.id), kind, pledge.enterprise, data)


def _violation_event(v: Violation, today: date, links: Links) -> Event | None:
    status = publicity.public_status(v, today)
    if status in _SHOWN:
        kind, data = "violation.published", profile._violation(v, today)
        data["link"] = links.of("violations", v.id)
    elif status in _ENDED and v.published and v.public_from is not None:
        # The record leaves the public pages: only what names it, never its contents.
        kind = _ENDED[status]
        data = {
            "id": v.id,
            "category": v.category,
            "severity": v.severity,
            "status": status,
        }
    else:
        return None
    return Event(message_id(kind, v.id), kind, v.enterprise, data)


def _serious_event(entry: SeriousListEntry, today: date) -> Event | None:
    if entry.listed_on > today:
        return None
    left = entry.removed_at is not None or entry.remove_on <= today
    kind = "serious_list.left" if left else "serious_list.entered"
    data: dict[str, Any] = {"id": entry.id, "listed_on": entry.listed_on.isoformat()}
    if left:
        data["left_on"] = (entry.removed_on or entry.remove_on).isoformat()
    else:
        data.update(
            authority=entry.authority.name,
            legal_basis=entry.legal_basis,
            reason=entry.reason,
            remove_on=entry.remove_on.isoformat(),
        )
    return Event(message_id(kind, entry.id), kind, entry.enterprise, data)


def _grade_event(session: Session, enterprise_id: str, links: Links) -> Event | None:
    last_two = session.scalars(
        sa.select(RatingRecord)
        .where(RatingRecord.enterprise_id == enterprise_id)
        .order_by(RatingRecord.id.desc())
        .limit(2)
    ).all()
    if len(last_two) < 2 or last_two[0].grade == last_two[1].grade:
        return None
    now, before = last_two
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        return None
    kind = "grade.changed"
    data = {
        "grade": now.grade,
        "previous_grade": before.grade,
        "tier": now.tier,
        "score": now.score,
        "model_version": now.model_version,
        "as_of": now.as_of.isoformat(),
        "link": links.enterprise(ent.uscc) + "/rating",
    }
    return Event(message_id(kind, f"{enterprise_id}:{now.id}"), kind, ent, data)


def derive(session: Session, change: Change, today: date, links: Links) -> Event | None:
    """The webhook event a change stands for now, or None."""
    if change.entity_type == "pledge":
        pledge = session.get(Pledge, change.entity_id)
        return _pledge_event(pledge, today, links) if pledge else None
    if change.entity_type == "violation":
        v = session.get(Violation, change.entity_id)
        return _violation_event(v, today, links) if v else None
    if change.entity_type == "serious_list":
        entry = session.get(SeriousListEntry, change.entity_id)
        return _serious_event(entry, today) if entry else None
    if change.entity_type == "rating":
        return _grade_event(session, change.entity_id, links)
    return None


WATCHED = frozenset({"pledge", "violation", "serious_list", "rating"})


def matches(endpoint: WebhookEndpoint, event: Event, occurred_at: datetime) -> bool:
    ent = event.enterprise
    return (
        event.type in endpoint.event_types
        and endpoint.created_at <= occurred_at
        and (not endpoint.filter_usccs or ent.uscc in endpoint.filter_usccs)
        and (not endpoint.filter_cities or ent.city_code in endpoint.filter_cities)
        and (not endpoint.filter_industries or ent.industry in endpoint.filter_industries)
    )


def payload(event: Event, occurred_at: datetime, links: Links) -> dict[str, Any]:
    """The body sent (Standard Webhooks' recommended shape: type, timestamp, data)."""
    return {
        "type": event.type,
        "timestamp": occurred_at.isoformat(),
        "data": {**event.data, "enterprise": _firm(event.enterprise, links)},
    }


def queue_deliveries(session: Session, changes: Sequence[Change], links: Links) -> int:
    """Insert the deliveries a batch of changes calls for; returns how many rows were
    offered (an existing (endpoint, message id) is left as it is)."""
    relevant = [c for c in changes if c.entity_type in WATCHED]
    if not relevant:
        return 0
    endpoints = session.scalars(
        sa.select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
    ).all()
    if not endpoints:
        return 0
    occurred = dict(
        session.execute(
            sa.select(ChangeEvent.id, ChangeEvent.occurred_at).where(
                ChangeEvent.id.in_([c.id for c in relevant])
            )
        ).all()
    )
    today, now = clock.today(), clock.now()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for change in relevant:
        event = derive(session, change, today, links)
        at = occurred.get(change.id)
        if event is None or at is None:
            continue
        body = None
        for endpoint in endpoints:
            if (endpoint.id, event.id) in rows or not matches(endpoint, event, at):
                continue
            body = body or payload(event, at, links)
            rows[(endpoint.id, event.id)] = {
                "id": new_id(),
                "endpoint_id": endpoint.id,
                "event_id": event.id,
                "event_type": event.type,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "window_started_at": now,
                "created_at": now,
            }
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = list(rows.values())
        for start in range(0, len(values), INSERT_CHUNK):
            session.execute(
                insert(WebhookDelivery)
                .values(values[start : start + INSERT_CHUNK])
                .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            )
    return len(rows)


def make_consumer(public_url: str, batch_size: int = 500) -> Consumer:
    """The change-feed consumer ``webhooks`` (registered beside the search indexer)."""
    links = Links(public_url)

    def handle(session: Session, changes: Sequence[Change]) -> None:
        queue_deliveries(session, changes, links)

    return Consumer(CONSUMER_NAME, handle, batch_size)
