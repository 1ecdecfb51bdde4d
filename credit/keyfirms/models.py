"""Key-enterprise listings, their history and the reminders sent to listed firms.

A listing is never deleted: removal sets ``removed_at`` with a reason, and every change
is also a row of ``key_listing_event`` (who, when, what, why), so the list on any past day
can be told from the history alone.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.types import UtcDateTime


class KeyListing(db.Model):
    """One firm on the list in one category for a period, by one commerce authority."""

    __tablename__ = "key_listing"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(
        sa.ForeignKey("authority.id"), nullable=False, index=True
    )
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    listed_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    listed_until: Mapped[date | None] = mapped_column(sa.Date)
    added_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_by: Mapped[str | None] = mapped_column(sa.String(100))
    removal_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Whether the firm was on the list when the last change event of this listing was
    #: recorded: the sweep records one more when the period starts or ends (search).
    listed_when_recorded: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false()
    )
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def listed_on(self, day: date) -> bool:
        """On the list on ``day``: not removed, and ``day`` inside the period."""
        if self.removed_at is not None or day < self.listed_from:
            return False
        return self.listed_until is None or day <= self.listed_until


class KeyListingEvent(db.Model):
    """History: one row per change of a listing (added, removed), never updated."""

    __tablename__ = "key_listing_event"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    listing_id: Mapped[str] = mapped_column(
        sa.ForeignKey("key_listing.id"), nullable=False, index=True
    )
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    #: "api", "console" or "csv:<file name>": where the change came from.
    source: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class KeyReminder(db.Model):
    """A reminder to a listed firm without a pledge in force: shown on its console and
    emitted as a ``key_reminder`` change event for the notification channels."""

    __tablename__ = "key_reminder"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(sa.ForeignKey("authority.id"), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    #: The coverage state when the reminder was sent (none, expired, withdrawn, ...).
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    required_pledge_types: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sent_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
