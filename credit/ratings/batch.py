"""Parallel batch rescoring: worker processes read and score id ranges; the caller writes.

Reading facts and scoring are most of the work and need no coordination, so they run in
``workers`` processes, each with its own database connection. Writing stays in the calling
process, one unit of work per range, serialised with the ratings consumer. A range is read
in one snapshot after noting the newest change event; if a change to one of its enterprises
was committed since, that enterprise's result is dropped (the consumer rates it from the
newer facts), so a batch never overwrites a fresher rating.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.changes import Change, ChangeEvent
from credit.collector import few_collections
from credit.owners import enterprises_touched
from credit.ratings import catalog
from credit.ratings.facts import Selection, load_facts
from credit.ratings.store import Result, Stats, compute, lock_ratings, store
from credit.uow import unit_of_work

_worker: dict = {}


#: SQLite: how much of the database file a reader maps into memory (SQLite caps it at its
#: compile-time limit, 2 GiB here). A range of ids is a range of uuid4 ids, scattered
#: across the enterprise table's pages: through mmap each page is read without a system
#: call and a copy into SQLite's 2 MB page cache (a tenth of reading at 100,000 firms).
READER_MMAP_BYTES = 2**31


def _map_sqlite(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")


def reader_engine(url: str) -> sa.Engine:
    """The engine of a reader process (on SQLite, with the file mapped into memory)."""
    from credit.database import standalone_engine

    engine = standalone_engine(url)
    sa.event.listen(engine, "connect", _map_sqlite)
    return engine


def _init(url: str, models_dir: str, model_version: str, as_of: date) -> None:
    catalog.configure(models_dir)
    _worker["session"] = Session(reader_engine(url))
    _worker["model"] = catalog.catalog(_worker["session"]).get(model_version)
    _worker["as_of"] = as_of
    few_collections()  # after start-up: the modules and the model live for the whole run


def read_and_score(
    session: Session, after: str | None, upto: str | None, model, as_of: date
) -> tuple[int, list[Result], float, float]:
    """Score one id range from one snapshot. Returns the newest event id seen before the
    read, the results, and the CPU seconds spent reading and scoring."""
    try:
        started = time.thread_time()
        head = session.scalar(sa.select(sa.func.max(ChangeEvent.id))) or 0
        facts = load_facts(session, Selection(after=after, upto=upto))
        loaded = time.thread_time()
        results = compute(facts.values(), model, as_of)
        return head, results, loaded - started, time.thread_time() - loaded
    finally:
        session.rollback()  # end the read snapshot


def _work(bounds: tuple[str | None, str | None]) -> tuple[int, list[Result], float, float]:
    return read_and_score(_worker["session"], *bounds, _worker["model"], _worker["as_of"])


def write_unless_changed(
    session: Session,
    head: int,
    results: list[Result],
    trigger: str,
    bounds: tuple[str | None, str | None] | None = None,
) -> Stats:
    """Store ``results`` except those of enterprises changed after event ``head``;
    ``bounds``: the id range ``(after, upto]`` they were read from."""
    started = time.thread_time()
    with unit_of_work(session, run_hooks=False):
        lock_ratings(session)
        newer = [
            Change(*row)
            for row in session.execute(
                sa.select(
                    ChangeEvent.id,
                    ChangeEvent.entity_type,
                    ChangeEvent.entity_id,
                    ChangeEvent.entity_version,
                    ChangeEvent.op,
                ).where(ChangeEvent.id > head, ChangeEvent.entity_type != "rating")
            )
        ]
        if newer:
            skip = set(enterprises_touched(session, newer))
            results = [r for r in results if r[0] not in skip]
        span = None if bounds is None else Selection(after=bounds[0], upto=bounds[1])
        stats = store(session, results, trigger, span)
    session.expunge_all()
    stats.store_s = time.thread_time() - started
    return stats


def run_parallel(
    session: Session,
    ranges: list[tuple[str | None, str | None]],
    *,
    workers: int,
    model_version: str,
    as_of: date,
    trigger: str,
    progress: Callable[[int], None] | None = None,
) -> Stats:
    url = session.get_bind().url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    total = Stats()
    with ctx.Pool(
        workers,
        initializer=_init,
        initargs=(url, str(catalog.current_directory()), model_version, as_of),
    ) as pool:
        pending: deque = deque()
        todo: Iterator = iter(ranges)
        for bounds in todo:  # keep the workers busy, but at most 2 ranges ahead each
            pending.append((bounds, pool.apply_async(_work, (bounds,))))
            if len(pending) >= 2 * workers:
                break
        while pending:
            bounds, job = pending.popleft()
            head, results, load_s, score_s = job.get()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_work, (nxt,))))
            stats = write_unless_changed(session, head, results, trigger, bounds)
            stats.rated, stats.load_s, stats.score_s = len(results), load_s, score_s
            total.add(stats)
            if progress:
                progress(len(results))
    return total
