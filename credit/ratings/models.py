"""Stored ratings: an append-only history, and the current rating of each enterprise.

A history row is written only when the grade, the score, the model version or the inputs
change; it records the model version, the digest of the inputs and each contribution, so
any rating can be explained and replayed. ``current_rating`` points at the latest result and
carries what search and the freshness sweep need (grade, score, next change date); the
latest history row of the enterprise is its full published result, as of the day it was
computed. A re-rating that only time moved (a record a month older, a new next change date)
confirms ``current_rating`` (``next_change``, ``updated_at``) and writes no history row.

Neither table has a foreign key to ``enterprise``: triggers (migration 0025) check a whole
statement's ratings at once instead of locking each rated enterprise's row, which cost
PostgreSQL a sixth of a full rescore. They refuse what the keys refused: a rating of an
enterprise that does not exist, and deleting (or re-keying) an enterprise that has ratings.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.types import UtcDateTime


class RatingRecord(db.Model):
    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    enterprise_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    model_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    as_of: Mapped[date] = mapped_column(sa.Date, nullable=False)
    score: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    grade: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    tier: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    inputs_digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: [[family, code, points, ref, params], ...], most important first after BASE
    contributions: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    hard_rules: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    next_change: Mapped[date | None] = mapped_column(sa.Date)
    trigger: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # change|rescore|sweep
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)

    __table_args__ = (sa.Index("ix_rating_enterprise_id_id", "enterprise_id", "id"),)


class CurrentRating(db.Model):
    __tablename__ = "current_rating"

    enterprise_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    model_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    score: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    grade: Mapped[str] = mapped_column(sa.String(3), nullable=False, index=True)
    tier: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    #: SHA-256 of (model, inputs, score, contributions, next change): unchanged means the
    #: stored rating is still exactly right and nothing is written.
    result_digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    next_change: Mapped[date | None] = mapped_column(sa.Date, index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: when the rating was last written or confirmed unchanged
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


# Ordered after the enterprise table as the foreign keys ordered them (creation, and the
# tests' emptying of every table in reverse order) though no key links them.
for _table in (RatingRecord.__table__, CurrentRating.__table__):
    _table.add_is_dependent_on(Enterprise.__table__)


class PublishedModel(db.Model):
    """A scoring model version published with ``credit ratings publish-model``: the exact
    document as published and its SHA-256 (checked on every load: a published version is
    immutable). The database is what every server process and host shares, so a version
    published here is used by all of them at their next transaction, without a restart."""

    __tablename__ = "scoring_model"

    version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    document: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    published_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    published_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)


class CatalogState(db.Model):
    """One row: the current model version and a stamp that changes with every publication.
    Each process reads the stamp once per transaction (one primary-key read) and reloads
    the catalog only when it changed."""

    __tablename__ = "scoring_catalog"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    current: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    generation: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    stamp: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
