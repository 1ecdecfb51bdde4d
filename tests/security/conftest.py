from __future__ import annotations

import pytest

from credit import clock
from tests.parties import make_parties


@pytest.fixture
def parties(app_ctx):
    return make_parties()


@pytest.fixture
def frozen_clock():
    """Move time by hand: ``frozen_clock.advance(seconds)``."""
    from datetime import UTC, datetime, timedelta

    class Clock:
        def __init__(self) -> None:
            self.now = datetime.now(UTC)

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    c = Clock()
    clock.set_clock(lambda: c.now)
    yield c
    clock.set_clock(None)
