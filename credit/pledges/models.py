"""Pledge templates and pledges.

A published template version is immutable. A pledge belongs to a *series*: an amendment is
a new version in the same series that supersedes the published one when it is published
itself; both stay on record. A withdrawal is a state, never a deletion.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.types import UtcDateTime


class PledgeTemplate(db.Model):
    __tablename__ = "pledge_template"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    title_en: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    preamble: Mapped[str] = mapped_column(sa.Text, nullable=False)
    preamble_en: Mapped[str] = mapped_column(sa.Text, nullable=False)
    #: [{"code", "text", "text_en", "required"}]; which categories can breach a clause is
    #: the platform's breach table (credit/data/breach_rules.json), not the template's.
    clauses: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # draft | published
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_pledge_template_code"),)

    def clause_codes(self) -> list[str]:
        return [c["code"] for c in self.clauses]

    def required_codes(self) -> list[str]:
        return [c["code"] for c in self.clauses if c.get("required")]


class Pledge(db.Model):
    __tablename__ = "pledge"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    series_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    template_id: Mapped[str] = mapped_column(
        sa.ForeignKey("pledge_template.id"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    clauses: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    extra_commitments: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(sa.Date, nullable=False)
    signer_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    signer_title: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    consent_to_publish: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    superseded_by_id: Mapped[str | None] = mapped_column(sa.String(36))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.String(500))
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    template: Mapped[PledgeTemplate] = relationship(lazy="joined")
    breaches: Mapped[list[PledgeBreach]] = relationship(
        lazy="selectin", order_by="PledgeBreach.recorded_at"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (sa.UniqueConstraint("series_id", "series_version", name="uq_pledge_series"),)

    def breached_clauses(self) -> list[str]:
        """Clauses named by violations that are in force (revoked ones do not count)."""
        return sorted({b.clause_code for b in self.breaches if b.in_force})

    def public_status(self, today: date) -> str:
        """``expired`` is read from the dates, so no one has to act for it to be true."""
        if self.status == "published" and self.valid_until < today:
            return "expired"
        return self.status


class PlatformMandate(db.Model):
    """An operator's authorisation for a platform (电子商务平台经营者) to file and publish
    pledges on behalf of one merchant on it. Revoking keeps the row (history)."""

    __tablename__ = "platform_mandate"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    platform_id: Mapped[str] = mapped_column(sa.ForeignKey("enterprise.id"), nullable=False)
    merchant_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        sa.UniqueConstraint("platform_id", "merchant_id", name="uq_platform_mandate_pair"),
    )


class PledgeBreach(db.Model):
    """A violation that names one of the pledge's clauses, published while the pledge was
    valid. Written by the violations workflow; a revoked violation revokes the breach."""

    __tablename__ = "pledge_breach"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    pledge_id: Mapped[str] = mapped_column(sa.ForeignKey("pledge.id"), nullable=False, index=True)
    clause_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    violation_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @hybrid_property
    def in_force(self) -> bool:
        """Not revoked: only such a breach counts (``Pledge.breached_clauses``); in SQL
        too, for readers that take breaches as rows (the search rebuild)."""
        return self.revoked_at is None

    @in_force.inplace.expression
    @classmethod
    def _in_force(cls) -> sa.ColumnElement[bool]:
        return cls.revoked_at.is_(None)
