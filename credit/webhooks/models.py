"""Webhook endpoints (a subscriber's URL, the events it wants, its signing secret) and
deliveries (one event for one endpoint, with its attempts)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit.enterprises.models import new_id
from credit.extensions import db
from credit.types import UtcDateTime


class WebhookEndpoint(db.Model):
    """Where a subscriber wants events sent, and how its deliveries have gone.

    ``secret`` (``whsec_<base64>``) is stored as it was issued: the sender must recover it
    to sign each delivery (HMAC-SHA256, Standard Webhooks), so a hash would not do. It is
    shown once, in the answer to the registration, and never returned again; the database
    and its backups must be protected like the signing key they hold."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    #: The subscriber client's identity subject (``client:<client_id>``).
    owner: Mapped[str] = mapped_column(sa.String(100), nullable=False, index=True)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    event_types: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    #: Filters: each non-empty list must match the event's firm (USCC, city, industry).
    filter_usccs: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    filter_cities: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    filter_industries: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    secret: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    #: The first failed attempt since the last delivered one (None: not failing).
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class WebhookDelivery(db.Model):
    """One event for one endpoint: at most one row per (endpoint, event id), so an event
    derived again from a redelivered change is never sent twice as two messages."""

    __tablename__ = "webhook_delivery"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False
    )
    #: The message id (``msg_...``), sent as ``webhook-id``: the same on every attempt.
    event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    #: pending | delivered | failed
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Retries go on until 24 hours after this (when it was queued, or redelivered).
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
    )
