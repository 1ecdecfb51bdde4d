"""Small helpers shared by tests that need registry data in the database."""

from __future__ import annotations

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
