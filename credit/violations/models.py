"""Violations recorded by regulators, and the pledge clauses they breach."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit import publicity, workdays
from credit.accounts.models import Authority
from credit.clock import CHINA
from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.types import UtcDateTime
from credit.workdays import Deadline


class Violation(db.Model):
    __tablename__ = "violation"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(sa.ForeignKey("authority.id"), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    #: minor | general | serious (轻微 / 一般 / 严重): how grave the record is, which sets its
    #: publicity and repair windows. Not the rating's tier (A/B/C, ``CurrentRating.tier``).
    severity: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    decision_number: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    legal_basis: Mapped[str] = mapped_column(sa.Text, nullable=False)
    facts: Mapped[str] = mapped_column(sa.Text, nullable=False)
    penalty_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    penalty_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    decision_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    #: The day of the conduct (违法行为发生之日, 行政处罚法 Art. 36): the pledge version in
    #: force on it is the one a breach may name. Defaults to the decision date.
    conduct_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    rule_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    #: NDRC | SAMR: the rules its authority's kind follows (credit/data/publicity_rules.json)
    regime: Mapped[str] = mapped_column(sa.String(16), nullable=False, server_default="NDRC")
    published: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    #: A minor record its authority deemed necessary to publish (Order 36), and why.
    publish_minor: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    publish_minor_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: When its authority published it (SAMR's periods run from it); None if unpublished.
    published_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The first day it is public (the decision, or the publication under SAMR's rules).
    public_from: Mapped[date | None] = mapped_column(sa.Date)
    repairable_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    #: No early end of publicity (SAMR Order 45 Art. 14(3)).
    repair_excluded: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    publish_until: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    #: The last day to publish it (working days after the decision); None if unknown.
    publish_by: Mapped[date | None] = mapped_column(sa.Date)
    #: On revocation: the last day to withdraw it (working days after the decision was
    #: revoked, ``decision_revoked_on``).
    decision_revoked_on: Mapped[date | None] = mapped_column(sa.Date)
    withdraw_by: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # active|revoked|repaired
    objection_pending: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    recorded_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(sa.String(500))
    publicity_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    authority: Mapped[Authority] = relationship(lazy="joined")
    clauses: Mapped[list[ViolationClause]] = relationship(lazy="selectin")
    corrections: Mapped[list[Correction]] = relationship(
        lazy="selectin", order_by="Correction.corrected_at"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("authority_id", "decision_number", name="uq_violation_decision"),
    )

    def public_status(self, today: date) -> str:
        return publicity.public_status(self, today)

    def is_public(self, today: date) -> bool:
        return publicity.is_public(self, today)


class ViolationClause(db.Model):
    """A pledge clause the violation breaches."""

    __tablename__ = "violation_clause"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    violation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("violation.id"), nullable=False, index=True
    )
    pledge_id: Mapped[str] = mapped_column(sa.ForeignKey("pledge.id"), nullable=False)
    clause_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    #: Why the authority names a clause the breach table does not give the category
    #: (``credit/data/breach_rules.json``); None when the table gives it.
    breach_reason: Mapped[str | None] = mapped_column(sa.Text)


class _DueInWorkdays:
    """A case decided within a number of working days of its filing day (China time).

    The due date is computed when read, on the calendar in force (``credit.workdays``): a
    year's State Council notice loaded later moves it at once, a count through a
    provisional year says so, and one that runs beyond the calendar is unknown, never
    guessed. Nothing stored needs rewriting when the calendar changes."""

    @property
    def filed_on(self) -> date:
        return self.filed_at.astimezone(CHINA).date()

    @property
    def deadline(self) -> Deadline:
        return workdays.deadline(self.filed_on, self.due_workdays)

    @property
    def due_date(self) -> date | None:
        """None while the calendar does not reach it (``deadline.missing_year``)."""
        return self.deadline.due_date


class Objection(_DueInWorkdays, db.Model):
    """An enterprise disputes a record (异议); the issuing authority decides by a due date
    counted in working days. The record shows "under objection" meanwhile."""

    __tablename__ = "violation_objection"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    violation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("violation.id"), nullable=False, index=True
    )
    reasons: Mapped[str] = mapped_column(sa.Text, nullable=False)
    attachments: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    filed_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    #: Working days from the filing day to the due date, extensions included.
    due_workdays: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    extended_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: pending | upheld | rejected | closed (the record was revoked while it was pending)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    violation: Mapped[Violation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RepairApplication(_DueInWorkdays, db.Model):
    """Credit repair (信用修复): after the minimum period, with a repair pledge; whoever made
    the finding decides (谁认定谁修复) within 3 working days."""

    __tablename__ = "repair_application"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    violation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("violation.id"), nullable=False, index=True
    )
    pledge_id: Mapped[str] = mapped_column(sa.ForeignKey("pledge.id"), nullable=False)
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False)
    filed_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    #: Working days from the filing day to the due date.
    due_workdays: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: pending | approved | rejected | closed (the record was revoked while it was pending)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    violation: Mapped[Violation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    # At most one pending application per record, enforced by the database: two
    # concurrent applications both pass the service's check, and one must lose (409).
    __table_args__ = (
        sa.Index(
            "uq_repair_application_pending",
            "violation_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )


class Correction(db.Model):
    """A correction by the issuing authority: appended, with the old and the new value."""

    __tablename__ = "violation_correction"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    violation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("violation.id"), nullable=False, index=True
    )
    field: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    corrected_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class SeriousListEntry(db.Model):
    """严重失信主体名单: a listing with its own legal basis and dates; caps the grade in C.

    It may name the record it rests on (``violation_id``): revoking that record removes the
    listing at once. Early removal (提前移出) keeps the row: ``removed_on`` is the date of the
    removal decision, ``removed_at`` when it was recorded."""

    __tablename__ = "serious_list_entry"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(sa.ForeignKey("authority.id"), nullable=False)
    legal_basis: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    listed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    remove_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    violation_id: Mapped[str | None] = mapped_column(sa.ForeignKey("violation.id"), index=True)
    removed_on: Mapped[date | None] = mapped_column(sa.Date)
    removal_ground: Mapped[str | None] = mapped_column(sa.String(32))
    removal_reason: Mapped[str | None] = mapped_column(sa.Text)
    removed_by: Mapped[str | None] = mapped_column(sa.String(100))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    authority: Mapped[Authority] = relationship(lazy="joined")


class Commendation(db.Model):
    """守信激励: e.g. 江苏省电子商务示范企业, with legal basis and validity."""

    __tablename__ = "commendation"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(sa.ForeignKey("authority.id"), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    legal_basis: Mapped[str] = mapped_column(sa.Text, nullable=False)
    granted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(sa.Date, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    authority: Mapped[Authority] = relationship(lazy="joined")
