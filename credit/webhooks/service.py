"""Subscribers' webhook endpoints: register (the secret is shown once), list, read,
change, delete; their deliveries, and a redelivery on request.

Every function takes the acting identity first and checks it: only subscriber clients
holding ``webhooks:manage`` manage endpoints, and each sees its own alone (another's is
"not found", never "forbidden"). A URL is checked where it is given (form and every
resolved address, ``credit.webhooks.addresses``); ``allow_hosts`` is the operator's
allow-list, handed in by the caller (the setting ``CREDIT_WEBHOOK_ALLOW_HOSTS``).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    require_version,
)
from credit.extensions import db
from credit.identity import Identity
from credit.pagination import Page
from credit.permissions import can_manage_webhooks, owns_webhook, require
from credit.uow import UnitOfWork
from credit.webhooks.addresses import AddressRefused, check_url
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint

#: Endpoints one subscriber may register.
MAX_ENDPOINTS = 20
SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
#: Random bytes in a secret (the spec asks for 24 to 64).
SECRET_BYTES = 32
DELIVERY_STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    """``whsec_`` and the base64 of 32 random bytes (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _check_url(url: str, allow_hosts: frozenset[str]) -> str:
    try:
        check_url(url, allow_hosts)
    except AddressRefused as exc:
        raise ValidationFailed(
            "推送地址不可用 / the URL cannot be used", [FieldError("url", str(exc), exc.code)]
        ) from None
    return url


def _filters(endpoint: WebhookEndpoint, filters: dict[str, Any]) -> None:
    endpoint.filter_usccs = sorted(set(filters.get("usccs") or []))
    endpoint.filter_cities = sorted(set(filters.get("cities") or []))
    endpoint.filter_industries = sorted(set(filters.get("industries") or []))


def create_endpoint(
    identity: Identity, uow: UnitOfWork, data: dict[str, Any], allow_hosts: frozenset[str]
) -> IssuedEndpoint:
    """Register an endpoint (``data`` loaded by ``EndpointInputSchema``); the secret is in
    the result and nowhere else afterwards."""
    require(can_manage_webhooks(identity))
    url = _check_url(data["url"], allow_hosts)
    count = uow.session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.owner == identity.subject)
    )
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"最多登记 {MAX_ENDPOINTS} 个推送地址 / at most {MAX_ENDPOINTS} endpoints")
    now = clock.now()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        owner=identity.subject,
        url=url,
        description=data.get("description") or "",
        event_types=list(data["event_types"]),
        secret=secret,
        enabled=True,
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
        version=1,
    )
    _filters(endpoint, data.get("filters") or {})
    uow.session.add(endpoint)
    return IssuedEndpoint(endpoint, secret)


def list_endpoints(identity: Identity) -> list[WebhookEndpoint]:
    """The caller's own endpoints, oldest first."""
    require(can_manage_webhooks(identity))
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.owner == identity.subject)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(identity: Identity, endpoint_id: str) -> WebhookEndpoint:
    require(can_manage_webhooks(identity))
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not owns_webhook(identity, endpoint):
        raise NotFound("未找到该推送地址 / no such webhook endpoint")
    return endpoint


def update_endpoint(
    identity: Identity,
    uow: UnitOfWork,
    endpoint_id: str,
    data: dict[str, Any],
    expected_version: int | None,
    allow_hosts: frozenset[str],
) -> WebhookEndpoint:
    """Change an endpoint (``data`` loaded by ``EndpointUpdateSchema``) at the version the
    caller read (If-Match). Re-enabling clears the failure record and the reason."""
    endpoint = get_endpoint(identity, endpoint_id)
    require_version(endpoint.version, expected_version, "推送地址")
    if "url" in data:
        endpoint.url = _check_url(data["url"], allow_hosts)
    if "event_types" in data:
        endpoint.event_types = list(data["event_types"])
    if "filters" in data:
        _filters(endpoint, data["filters"])
    if "description" in data:
        endpoint.description = data["description"]
    if data.get("enabled") is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
        endpoint.consecutive_failures = 0
    elif data.get("enabled") is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = clock.now()
        endpoint.disabled_reason = "订阅方停用 / disabled by the subscriber"
    endpoint.updated_at = clock.now()
    endpoint.version += 1
    return endpoint


def delete_endpoint(identity: Identity, uow: UnitOfWork, endpoint_id: str) -> None:
    """Remove an endpoint and its deliveries: nothing more is sent to it."""
    endpoint = get_endpoint(identity, endpoint_id)
    uow.session.execute(
        sa.delete(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .execution_options(synchronize_session=False)
    )
    uow.session.delete(endpoint)


def list_deliveries(
    identity: Identity, endpoint_id: str, page: int, size: int, status: str | None = None
) -> Page:
    """An endpoint's deliveries, newest first."""
    endpoint = get_endpoint(identity, endpoint_id)
    where = [WebhookDelivery.endpoint_id == endpoint.id]
    if status:
        where.append(WebhookDelivery.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery).where(*where))
    items = db.session.scalars(
        sa.select(WebhookDelivery)
        .where(*where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(items), total or 0, page, size)


def redeliver(
    identity: Identity, uow: UnitOfWork, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again (the same message id): due at once, with a new 24-hour
    window of retries. A disabled endpoint must be re-enabled first."""
    endpoint = get_endpoint(identity, endpoint_id)
    delivery = uow.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("未找到该投递记录 / no such delivery")
    if not endpoint.enabled:
        raise Conflict("推送地址已停用，请先启用 / the endpoint is disabled: enable it first")
    now = clock.now()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.window_started_at = now
    return delivery
