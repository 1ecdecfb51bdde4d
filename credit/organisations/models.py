"""Organisations, their conventions, memberships, campaigns, participations, referrals.

Nothing here is ever deleted: a convention version is superseded by the next one, a
membership ends with who, when and why, a referral keeps its decision. ``version`` is the
row version (``version_id_col``) behind the ETag of every mutable row.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.types import UtcDateTime


class Organisation(db.Model):
    """An industry organisation: a social organisation with its own USCC (registration
    authority 5, civil affairs) and the division it is registered in."""

    __tablename__ = "organisation"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    uscc: Mapped[str] = mapped_column(sa.String(18), nullable=False, unique=True)
    #: GB/T 2260 code of the division it is registered in (320000: the province).
    division_code: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    #: association | chamber | alliance | other (credit/organisations/vocab.py).
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class Convention(db.Model):
    """One version of an organisation's self-discipline convention (自律公约).

    draft -> published (immutable) -> superseded (when the next version is published);
    ``number`` counts versions per organisation."""

    __tablename__ = "convention"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    title_en: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    preamble: Mapped[str] = mapped_column(sa.Text, nullable=False)
    #: [{"code", "text", "text_en"}]
    clauses: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "number", name="uq_convention_number"),
    )

    def clause_codes(self) -> list[str]:
        return [c["code"] for c in self.clauses]


class Membership(db.Model):
    """A firm's membership of an organisation: invited (pending), then confirmed or
    declined by the firm; either side may end a confirmed one with a reason.

    ``open_pair`` is ``<organisation id>:<enterprise id>`` while the membership is pending
    or confirmed and NULL afterwards: unique, so a pair has at most one open membership on
    any database (NULLs never clash), while ended ones stay as history."""

    __tablename__ = "membership"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    open_pair: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    message: Mapped[str | None] = mapped_column(sa.Text)
    invited_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    responded_by: Mapped[str | None] = mapped_column(sa.String(100))
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(sa.String(100))
    #: organisation | enterprise: which side ended it.
    ended_by_side: Mapped[str | None] = mapped_column(sa.String(16))
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Campaign(db.Model):
    """A pledge campaign (承诺活动) over a published 行业自律型 template."""

    __tablename__ = "campaign"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    template_id: Mapped[str] = mapped_column(sa.ForeignKey("pledge_template.id"), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def open_on(self, day: date) -> bool:
        """Members may join and file while the period runs (and until the deadline)."""
        last = min(self.ends_on, self.deadline) if self.deadline else self.ends_on
        return self.starts_on <= day <= last


class CampaignParticipation(db.Model):
    """A member firm joined a campaign; ``pledge_series_id`` is the pledge series it filed
    from the campaign's template (through the pledge service, never a copy of its rules)."""

    __tablename__ = "campaign_participation"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(
        sa.ForeignKey("campaign.id"), nullable=False, index=True
    )
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    joined_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    pledge_series_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "enterprise_id", name="uq_campaign_participant"),
    )


class Referral(db.Model):
    """An organisation's report of a member's breach of its convention to a competent
    authority. Private (the organisation, that authority, operators); accepting or
    declining it publishes nothing and changes no rating, seal or search document."""

    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    authority_id: Mapped[str] = mapped_column(
        sa.ForeignKey("authority.id"), nullable=False, index=True
    )
    convention_id: Mapped[str] = mapped_column(sa.ForeignKey("convention.id"), nullable=False)
    clause_codes: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    facts: Mapped[str] = mapped_column(sa.Text, nullable=False)
    evidence: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    #: submitted | accepted | declined
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: A violation the authority recorded through its own procedure, if it links one.
    violation_id: Mapped[str | None] = mapped_column(sa.String(36))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    authority: Mapped[Authority] = relationship(lazy="joined")
    convention: Mapped[Convention] = relationship(lazy="joined")

    def clauses_named(self) -> list[dict]:
        """The convention clauses the referral names, as they read in that version."""
        return [c for c in self.convention.clauses if c["code"] in self.clause_codes]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
