"""The one clock services read. Tests set it; nothing else calls ``datetime.now``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _source()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one)."""
    global _source
    _source = source or (lambda: datetime.now(UTC))


#: The platform's legal calendar is China Standard Time (UTC+8, no daylight saving).
CHINA = timezone(timedelta(hours=8), "CST")


def today() -> date:
    """Today's date in China, for validity periods and publicity windows."""
    return now().astimezone(CHINA).date()


def start_of_day(day: date, plus_days: int = 0) -> datetime:
    """Midnight China time of ``day`` (+ days), as an aware datetime."""
    return datetime.combine(day + timedelta(days=plus_days), datetime.min.time(), CHINA)
