"""Issued credit reports: a stored snapshot of what the public profile showed.

The report number is derived from the snapshot's content digest and the issue date, so
asking again for an unchanged record on the same day returns the same report (no new row).
The snapshot lets ``/verify/<report_no>`` confirm a report is genuine and show what has
changed since it was issued; the log proof lets anyone check that what it shows was in
the public log (``credit.reports.logproof``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db
from credit.types import UtcDateTime


class CreditReport(db.Model):
    __tablename__ = "credit_report"

    report_no: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(
        sa.ForeignKey("enterprise.id"), nullable=False, index=True
    )
    uscc: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    issued_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    model_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    grade: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    score: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    #: SHA-256 of the canonical JSON of ``snapshot``
    content_digest: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    snapshot: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    #: The public-log proof embedded at issue time (``credit.reports.logproof``): the
    #: signed checkpoint and each record's entry and inclusion proof. Apart from the
    #: snapshot (its digest and the report number are unchanged by it); NULL for reports
    #: issued before the log.
    log_proof: Mapped[dict | None] = mapped_column(sa.JSON)
