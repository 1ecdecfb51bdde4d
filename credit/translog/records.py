"""What the log says about each entry, beside the entry's bytes, and its signed checkpoints.

``log_record``      one row per entry (same index as ``log_leaf``): the kind and id of the
                    record, the event, when it happened, and while the record is public the
                    canonical content and the salt its commitment was made with. When the
                    record leaves public view (its window ends, it is repaired, revoked or
                    replaced) both are deleted: the entry and its commitment stay, so every
                    proof still verifies, but the content can no longer be recovered from
                    the platform's log.
``log_checkpoint``  one row per signed checkpoint: the tree size, its root hash, the signed
                    note as served, and when it was signed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db
from credit.translog.merkle import HASH_SIZE
from credit.types import UtcDateTime

_INDEX = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class LogRecord(db.Model):
    __tablename__ = "log_record"

    index: Mapped[int] = mapped_column(_INDEX, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    record_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    commitment: Mapped[bytes] = mapped_column(sa.LargeBinary(HASH_SIZE), nullable=False)
    #: RFC 8785 canonical JSON of the public content; NULL once the record left view.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    salt: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))

    __table_args__ = (sa.Index("ix_log_record_record", "kind", "record_id", "index"),)


class LogCheckpoint(db.Model):
    __tablename__ = "log_checkpoint"

    size: Mapped[int] = mapped_column(_INDEX, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(HASH_SIZE), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
