"""api/longlived.py: start-up objects are moved out of the collector's reach."""

from __future__ import annotations

import gc

from api.longlived import freeze_startup_objects


def test_freezing_exempts_live_objects_and_still_collects_new_garbage() -> None:
    try:
        kept = [{"n": i} for i in range(1000)]
        frozen = freeze_startup_objects()
        assert frozen >= len(kept) and gc.get_freeze_count() == frozen
        # what is made afterwards is still collected: a cycle dropped now goes at once
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
