"""Small helpers shared by tests that need registry data in the database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from credit import uow
from credit.demo import generate
from credit.enterprises import service
from credit.identity import SYSTEM
from credit.uow import unit_of_work


def sample_records(n: int, seed: int = 5) -> list[dict]:
    return list(generate(n, seed=seed))


def import_records(records: list[dict]) -> service.ImportStats:
    """Import through the real service and unit of work (the indexer runs after commit)."""
    with unit_of_work() as uow:
        return service.import_enterprises(SYSTEM, uow, records)


@contextlib.contextmanager
def without_after_commit_hooks(engine: Engine) -> Iterator[None]:
    """As a web process beside a worker: commits on ``engine`` run no consumer inside the
    block. The hooks are put back after it, also when a ``Worker.run`` inside it cleared
    them, so later tests still see consumers run after a commit."""
    hooks = uow._after_commit_hooks.pop(engine, None)
    try:
        yield
    finally:
        if hooks is not None:
            uow._after_commit_hooks[engine] = hooks
