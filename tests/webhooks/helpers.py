"""Arranging webhook data directly through the services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.uow import unit_of_work
from credit.webhooks import service
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint

LOOPBACK = frozenset({"127.0.0.1"})


def subscriber_identity(subject: str = "client:subscriber-a") -> Identity:
    return Identity(IdentityKind.SUBSCRIBER, subject, scopes=frozenset({"webhooks:manage"}))


def make_endpoint(
    url: str = "http://127.0.0.1:9/hook",
    event_types: list[str] | None = None,
    filters: dict[str, Any] | None = None,
    subject: str = "client:subscriber-a",
) -> tuple[WebhookEndpoint, str]:
    """An endpoint (loopback allow-listed) and its secret."""
    from credit.webhooks.vocab import EVENT_TYPES

    data = {"url": url, "event_types": event_types or list(EVENT_TYPES), "filters": filters or {}}
    with unit_of_work(keep_loaded=True) as uow:
        issued = service.create_endpoint(subscriber_identity(subject), uow, data, LOOPBACK)
    return issued.endpoint, issued.secret


def deliveries(endpoint_id: str | None = None) -> list[WebhookDelivery]:
    db.session.expire_all()
    stmt = sa.select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    if endpoint_id:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.session.scalars(stmt))


def types_of(endpoint_id: str | None = None) -> list[str]:
    return [d.event_type for d in deliveries(endpoint_id)]
