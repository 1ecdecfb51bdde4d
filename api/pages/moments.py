"""Times and dates as people in Jiangsu read them: Beijing time (UTC+8), with the zone said.

Stored times are UTC (credit.types.UtcDateTime). A page that printed ``moment.date()``
would show yesterday's date for anything done between 00:00 and 08:00 in Beijing, and a
page that printed the UTC clock with "UTC" beside it made readers do arithmetic; every
template shows stored times through these two filters instead.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from api.pages.i18n import t
from credit import clock


def china_date(moment: datetime | date | None) -> str:
    """The Beijing calendar day of a stored time (a plain date is shown as it is)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(clock.CHINA).date().isoformat()
    return moment.isoformat()


def china_time(moment: datetime | None) -> str:
    """A stored time in Beijing time to the minute, with the zone in the page's language."""
    if moment is None:
        return ""
    shown = moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
    return f"{shown} {t('（北京时间）', '(Beijing time, UTC+8)')}"


def register(app: Flask) -> None:
    app.jinja_env.filters["cn_date"] = china_date
    app.jinja_env.filters["cn_time"] = china_time
