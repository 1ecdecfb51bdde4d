"""``bench_writes.DiskProbe``, the disk's fsync latency beside a write benchmark: it takes
samples while it runs, stops when asked, leaves no file behind and says what it measured."""

from __future__ import annotations

import re
import time

from tests.bench.bench_writes import DiskProbe


def test_the_probe_times_fsyncs_while_it_runs_and_cleans_up(tmp_path) -> None:
    with DiskProbe(tmp_path, interval=0.005) as probe:
        time.sleep(0.3)
    taken = len(probe.samples)
    assert taken >= 5
    assert all(ms >= 0 for ms in probe.samples)
    time.sleep(0.05)
    assert len(probe.samples) == taken  # stopped with the block
    assert list(tmp_path.iterdir()) == []
    assert re.fullmatch(r"\d+\.\d / \d+\.\d / \d+", probe.summary())


def test_too_few_samples_say_so(tmp_path) -> None:
    assert DiskProbe(tmp_path).summary() == "-"
