"""api/longlived.py: start-up objects out of the collector's reach; the GIL's switch interval."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from api.longlived import set_switch_interval

ROOT = Path(__file__).resolve().parents[2]


def _in_a_fresh_process(code: str) -> None:
    """Run ``code`` in a Python of its own: the collector's freeze count and thresholds
    belong to the whole process, and a thread an earlier test left running (a poller, a
    rebuild) may move them under a test that shares the pytest process."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_freezing_exempts_live_objects_and_still_collects_new_garbage() -> None:
    _in_a_fresh_process(
        """
        import gc
        from api.longlived import freeze_startup_objects

        kept = [{"n": i} for i in range(1000)]
        frozen = freeze_startup_objects()
        assert frozen >= len(kept) and gc.get_freeze_count() == frozen
        # what is made afterwards is still collected: a cycle dropped now goes at once
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
        """
    )


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
    _in_a_fresh_process(
        """
        import gc
        from api.longlived import freeze_startup_objects
        from search.indexer import _few_collections

        thresholds = gc.get_threshold()
        frozen = freeze_startup_objects()
        replaced, froze = _few_collections()
        assert replaced == thresholds and not froze, (replaced, thresholds, froze)
        assert gc.get_freeze_count() >= frozen
        """
    )
