"""Stored UTC times shown as Beijing dates: the minute before and the minute of the edge
(the zone words are checked on the statistics page, tests/pages/test_public_pages.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.pages.moments import china_date


def test_a_time_after_16_00_utc_is_the_next_day_in_beijing() -> None:
    assert china_date(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11-30"
    assert china_date(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12-01"
    assert china_date(date(2026, 11, 30)) == "2026-11-30"
    assert china_date(None) == ""
