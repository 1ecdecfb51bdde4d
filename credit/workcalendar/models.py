"""Calendar years loaded by an operator, kept as revisions (nothing is overwritten).

The packaged years (``credit/data/workdays_cn.json``) need no row; a loaded year replaces
the packaged one of the same year, and the latest revision of a year is the one in force.
Earlier revisions stay, so which calendar a deadline was counted on can be told later.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db
from credit.types import UtcDateTime


class CalendarYearRecord(db.Model):
    __tablename__ = "workday_calendar_year"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    revision: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # official|provisional
    #: The document as loaded (``credit.workcalendar.document`` format).
    document: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    loaded_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __table_args__ = (sa.UniqueConstraint("year", "revision"),)
