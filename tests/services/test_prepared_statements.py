"""PostgreSQL statements stay prepared across transactions that end in a rollback
(``credit.database.prepared_keeping_connection``): every request that writes nothing ends
so, and psycopg's own rollback forgets every prepared statement. PostgreSQL only (pass 2).

Each test uses an engine of its own with a one-connection pool, so every transaction runs
on the same server session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from credit import database
from credit.enterprises.models import Enterprise
from credit.extensions import db
from tests.helpers import import_records, sample_records

#: psycopg prepares a statement from its sixth run on a connection.
RUNS = 6
_BY_CODE = sa.select(Enterprise.name).where(Enterprise.uscc == sa.bindparam("code"))


@pytest.fixture
def engine(app_ctx) -> Iterator[sa.Engine]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    one = sa.create_engine(
        db.engine.url, pool_size=1, max_overflow=0, **database.engine_options(app_ctx.config)
    )
    yield one
    one.dispose()


def _prepared(conn: sa.Connection) -> list[str]:
    """The texts of the statements prepared in this server session."""
    return list(conn.scalars(sa.text("SELECT statement FROM pg_prepared_statements")))


def test_a_connection_is_the_prepared_keeping_kind(engine) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, database.prepared_keeping_connection())


def test_statements_prepared_before_a_rollback_are_kept_and_run_after_it(engine) -> None:
    import_records(sample_records(1))
    code, name = db.session.execute(sa.select(Enterprise.uscc, Enterprise.name)).one()
    with engine.connect() as conn:
        for _ in range(RUNS):
            assert conn.scalar(_BY_CODE, {"code": code}) == name
        conn.rollback()
        assert any("enterprise.uscc" in s for s in _prepared(conn))
        conn.rollback()
        # the next transaction runs the prepared statement, with another parameter too
        assert conn.scalar(_BY_CODE, {"code": code}) == name
        assert conn.scalar(_BY_CODE, {"code": "91320000NOTAFIRM00"}) is None
        assert conn.connection.dbapi_connection._prepared._names  # executed as prepared


def test_a_failed_transaction_rolled_back_leaves_the_prepared_statements_usable(engine) -> None:
    import_records(sample_records(1))
    code, name = db.session.execute(sa.select(Enterprise.uscc, Enterprise.name)).one()
    with engine.connect() as conn:
        for _ in range(RUNS):
            conn.scalar(_BY_CODE, {"code": code})
        conn.commit()
        with pytest.raises(sa_exc.DataError):
            conn.execute(sa.text("SELECT 1 / 0"))
        with pytest.raises(sa_exc.InternalError):  # the transaction is aborted
            conn.scalar(_BY_CODE, {"code": code})
        conn.rollback()
        for _ in range(RUNS):
            assert conn.scalar(_BY_CODE, {"code": code}) == name
        conn.rollback()


def test_a_dropped_table_still_forgets_them(engine) -> None:
    """psycopg's own guard stays: a ``DROP`` on the connection forgets every prepared
    statement, so one made against the old table never runs against the new one."""
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE prepared_probe (a integer)"))
        conn.execute(sa.text("INSERT INTO prepared_probe VALUES (1)"))
        probe = sa.text("SELECT a FROM prepared_probe WHERE a = :a")
        for _ in range(RUNS):
            assert conn.scalar(probe, {"a": 1}) == 1
        conn.commit()
        assert any("prepared_probe" in s for s in _prepared(conn))
        conn.execute(sa.text("DROP TABLE prepared_probe"))
        conn.commit()
        assert not any("prepared_probe" in s for s in _prepared(conn))
        conn.execute(sa.text("CREATE TABLE prepared_probe (a text)"))
        conn.execute(sa.text("INSERT INTO prepared_probe VALUES ('x')"))
        text_probe = sa.text("SELECT a FROM prepared_probe WHERE a = :a")
        assert conn.scalar(text_probe, {"a": "x"}) == "x"
        conn.execute(sa.text("DROP TABLE prepared_probe"))
        conn.commit()


def test_requests_one_after_another_run_their_statements_prepared(app_ctx) -> None:
    """A request's session is removed at its end (``api.dbsession``), which rolls its
    transaction back: the statement each request repeats is prepared on the pooled
    connection from the sixth request on, and stays so for the next ones."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    import_records(sample_records(1))
    code, name = db.session.execute(sa.select(Enterprise.uscc, Enterprise.name)).one()
    db.session.remove()
    db.engine.dispose()  # one pooled connection from here on: the requests run in turn
    for _ in range(RUNS + 1):
        with app_ctx.app_context():  # a request: its own session, removed at its end
            assert db.session.scalar(_BY_CODE, {"code": code}) == name
    with app_ctx.app_context():
        assert any("enterprise.uscc = $1" in s for s in _prepared(db.session.connection()))


def test_the_connection_gets_every_psycopg_setting(engine) -> None:
    """The subclass is still psycopg's to the hooks that look for it: its JSON is read by
    orjson, and a pooled one is tested when idle (``credit.database._is_psycopg``)."""
    import orjson
    from psycopg.types.json import Json

    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert database._is_psycopg(raw)
        loader = raw.adapters.get_loader(raw.adapters.types["json"].oid, 0)
        assert loader is not None and loader(raw).loads is orjson.loads
        assert conn.scalar(sa.text("SELECT CAST(:v AS json)"), {"v": Json({"a": 1})}) == {"a": 1}
