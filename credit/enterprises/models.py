"""Enterprise and Shop rows, the public business contact, and the audit trail of the
firm's own profile changes. The USCC is the public key; ids are random UUIDs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.types import UtcDateTime


def new_id() -> str:
    return str(uuid.uuid4())


class Enterprise(db.Model):
    __tablename__ = "enterprise"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    uscc: Mapped[str] = mapped_column(sa.String(18), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    former_names: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    entity_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    operator_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    city_code: Mapped[str] = mapped_column(sa.String(6), nullable=False, index=True)
    district_code: Mapped[str | None] = mapped_column(sa.String(6))
    industry: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    registration_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    legal_representative: Mapped[str | None] = mapped_column(sa.String(100))
    legal_representative_kind: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="natural_person"
    )
    # Contact data the enterprise declares itself; not public (may be a person's phone).
    customer_service_phone: Mapped[str | None] = mapped_column(sa.String(32))
    customer_service_email: Mapped[str | None] = mapped_column(sa.String(254))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)

    shops: Mapped[list[Shop]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        order_by="Shop.position",
        lazy="selectin",
    )
    business_contact: Mapped[BusinessContact | None] = relationship(
        cascade="all, delete-orphan", lazy="selectin", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("length(uscc) = 18", name="uscc_length"),
        sa.Index("ix_enterprise_city_industry", "city_code", "industry"),
    )


class Shop(db.Model):
    """An online shop the enterprise runs: platform plus shop name and URL."""

    __tablename__ = "shop"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    platform: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    shop_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    url: Mapped[str | None] = mapped_column(sa.String(500))

    enterprise: Mapped[Enterprise] = relationship(back_populates="shops")


class BusinessContact(db.Model):
    """A public business contact the enterprise declares: phone, e-mail and/or address.

    Kept apart from the customer-service contact on ``enterprise`` (never public): these
    are shown on the profile only while ``public`` is true, a choice the firm makes itself
    (it may be a person's number: publishing it rests on that choice, PIPL Art. 25).
    """

    __tablename__ = "business_contact"

    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    public: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)


class ProfileChange(db.Model):
    """One change a firm made to its shops or contact data: who, when, which version, and
    the values before and after (the audit trail of these writes; rows are only added)."""

    __tablename__ = "profile_change"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="CASCADE"), nullable=False, index=True
    )
    enterprise_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    changed_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    fields: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    before: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    after: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
