"""api/longlived.py: start-up objects out of the collector's reach; the GIL's switch interval."""

from __future__ import annotations

import gc
import sys

import pytest

from api.longlived import freeze_startup_objects, set_switch_interval


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


def test_the_switch_interval_defaults_to_a_millisecond_and_refuses_nonsense() -> None:
    before = sys.getswitchinterval()
    try:
        assert set_switch_interval(None) == pytest.approx(0.001)
        assert set_switch_interval("") == pytest.approx(0.001)
        assert set_switch_interval("2.5") == pytest.approx(0.0025)
        for bad in ("0", "-1", "5000"):
            with pytest.raises(ValueError, match="out of range"):
                set_switch_interval(bad)
    finally:
        sys.setswitchinterval(before)


def test_a_rebuild_leaves_a_process_that_froze_itself_frozen() -> None:
    """``search reindex`` freezes and thaws around its work, unless the process had frozen
    its start-up objects already: thawing would put them back in the collector's reach."""
    from search.indexer import _few_collections

    thresholds = gc.get_threshold()
    try:
        frozen = freeze_startup_objects()
        replaced, froze = _few_collections()
        assert replaced == thresholds and not froze
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
