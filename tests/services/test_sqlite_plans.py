"""Pages of rows are read along the index of their order on SQLite: the newest pledges
and records along their date's, a rebuild's batches of ids and the open-data file's pages
along the primary key.

The platform never runs ``ANALYZE`` on SQLite, so its planner takes an index on any
equality it can. At 1,000,000 firms (1.5 million pledges) SQLite read every published
pledge through the status index and sorted them, for the home page's five newest (1.2 s)
and for each batch of 2,000 ids of a rebuild (0.5 s, over half of a whole rebuild's time),
where the order's own index gives the next rows at once (``credit.planner``). These tests
read the plans SQLite makes for the statements the code runs (with their bound
parameters, as run), on a migrated SQLite database whatever the suite's database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from credit import clock
from credit.extensions import db
from credit.identity import ANONYMOUS
from credit.opendata import datasets
from credit.pledges import service as pledges
from credit.violations import service as violations
from search import indexer
from tests.conftest import make_app


@pytest.fixture(scope="module")
def sqlite_app(app_config: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("plans")
    app = make_app(
        {
            **app_config,
            "DATABASE_URL": f"sqlite:///{path / 'credit.db'}",
            "SEARCH_URL": "",
            "EMBEDDED_SEARCH_PATH": str(path / "search-index"),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _plans(app: Any, call: Callable[[], Any]) -> list[tuple[str, list[str]]]:
    """Each SELECT ``call`` runs that orders and limits, with the plan SQLite makes for it."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "LIMIT" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            call()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        with db.engine.connect() as conn:
            return [
                (sql, [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", p)])
                for sql, p in seen
            ]


@pytest.mark.parametrize(
    ("call", "index"),
    [
        (lambda: pledges.latest_pledges(ANONYMOUS, 5), "ix_pledge_published_at"),
        (lambda: pledges.list_pledges(ANONYMOUS), "ix_pledge_published_at"),
        (lambda: pledges.list_pledges(ANONYMOUS, status="published"), "ix_pledge_published_at"),
        (lambda: violations.latest_violations(ANONYMOUS, 5), "ix_violation_decision_date"),
        (lambda: violations.list_violations(ANONYMOUS), "ix_violation_decision_date"),
        # The open-data file's pages of pledges, in id order (2 s a page before).
        (lambda: list(datasets.PLEDGES.rows(clock.today())), "sqlite_autoindex_pledge_1"),
        # A rebuild's batches of public ids, from where the last one ended.
        *(
            (
                lambda name=name: list(indexer._public_ids(db.session, name, 2000)),
                f"sqlite_autoindex_{table}_1",
            )
            for name, table in [
                ("enterprises", "enterprise"),
                ("pledges", "pledge"),
                ("violations", "violation"),
            ]
        ),
    ],
    ids=[
        "latest pledges",
        "pledge list",
        "published pledges",
        "latest records",
        "record list",
        "open-data pledges",
        "rebuild enterprises",
        "rebuild pledges",
        "rebuild violations",
    ],
)
def test_pages_are_read_along_the_index_of_their_order(
    sqlite_app: Any, call: Callable[[], Any], index: str
) -> None:
    plans = _plans(sqlite_app, call)
    assert plans, "the page reads its rows with a limit"
    for sql, plan in plans:
        assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), (sql, plan)
        assert any(index in step for step in plan), (sql, plan)
