"""The cyclic garbage collector in batch work: a search rebuild's and a full rescore's
processes.

Such a process makes a few hundred thousand short-lived containers per batch (rows, facts,
results) while it holds, for its whole run, what start-up loaded (modules, mappers, the
scoring model). With the default thresholds the young generation is collected every 700
allocations and the older ones walk everything alive again and again: a batch's objects
made collections half of a rebuild's builders' time and a seventh of a rescore reader's.
"""

from __future__ import annotations

import gc

#: The collector's thresholds in a batch process (``gc.set_threshold``).
BATCH_GC = (50_000, 20, 10)


def few_collections() -> tuple[tuple[int, int, int], bool]:
    """Keep the collector from scanning, again and again, what lives for the whole run
    (``gc.freeze``) and collect the young generation after 50,000 allocations instead of
    700. Returns the thresholds it replaced and whether it froze (for ``restore``): a
    process that froze its start-up objects itself (``api.longlived``) keeps them frozen,
    since ``gc.unfreeze`` would thaw them too."""
    before = gc.get_threshold()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.collect()
        gc.freeze()
    gc.set_threshold(*BATCH_GC)
    return before, froze


def restore(thresholds: tuple[int, int, int], froze: bool) -> None:
    """Undo ``few_collections`` in a process that goes on after the batch work."""
    if froze:
        gc.unfreeze()
    gc.set_threshold(*thresholds)
