"""A rebuild reads each index's public ids in batches along the primary key. A batch must
cost its own rows: at 1.5 million pledges, SQLite answered the pledges' batch from the
index on status, reading and sorting every published pledge for each batch of 2,000
(0.5 s a batch, over half of a whole rebuild's time)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from credit.extensions import db
from search.documents import SPECS
from search.indexer import public_ids_after


@pytest.fixture(scope="module")
def sqlite_schema() -> sa.Engine:
    """The indexed tables with their indexes in SQLite (its planner, whatever the test
    database), and the tables they refer to."""
    engine = sa.create_engine("sqlite://")
    names = ("enterprise", "pledge_template", "pledge", "authority", "violation")
    db.metadata.create_all(engine, tables=[db.metadata.tables[n] for n in names])
    return engine


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_batch_of_ids_is_read_along_the_primary_key_without_sorting(
    sqlite_schema: sa.Engine, name: str
) -> None:
    statement = public_ids_after(name, "8f", 2000)
    compiled = statement.compile(sqlite_schema)
    params = tuple(compiled.params[name] for name in compiled.positiontup)  # as run: bound
    with sqlite_schema.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        plan = [row[-1] for row in rows]
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any("autoindex" in step and "(id>?)" in step for step in plan), plan
