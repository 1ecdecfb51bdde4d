"""The one clock services read. Tests set it; nothing else calls ``datetime.now``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _source()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one)."""
    global _source
    _source = source or (lambda: datetime.now(UTC))
