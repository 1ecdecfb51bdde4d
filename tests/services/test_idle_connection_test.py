"""A pooled PostgreSQL connection is tested before use only after it has been idle
(``credit.database.PING_AFTER_IDLE_SECONDS``), not on every checkout: a busy server saves a
round trip per request, and a connection that died while idle is still replaced before a
request meets it. PostgreSQL only (pass 2): its backends can be terminated from outside,
as a restart does; SQLite keeps SQLAlchemy's pre-ping (no round trip there).

Each test uses an engine of its own with a one-connection pool, so the connection it kills
is the one the next checkout gets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from credit import database
from credit.extensions import db


@pytest.fixture
def engine(app_ctx) -> Iterator[sa.Engine]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("terminates PostgreSQL backends")
    options = database.engine_options(app_ctx.config)
    assert options["pool_pre_ping"] is False  # tested when idle instead
    one = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0, **options)
    yield one
    one.dispose()


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def _terminate(pid: int) -> None:
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine, monkeypatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkin is idle
    first = _backend_pid(engine)
    _terminate(first)
    with engine.connect() as conn:  # no error: the test found it dead and reconnected
        assert conn.scalar(sa.text("SELECT 1")) == 1
        second = conn.scalar(sa.text("SELECT pg_backend_pid()"))
    assert second != first


def test_a_connection_used_within_the_window_is_not_tested_and_a_failure_renews_the_pool(
    engine, monkeypatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle enough
    first = _backend_pid(engine)
    _terminate(first)
    # Untested, the dead connection reaches the statement, which fails as a disconnect
    # (the app answers it 503: tests/deploy/test_postgres_restart.py) ...
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as failed:
        conn.execute(sa.text("SELECT 1"))
    assert failed.value.connection_invalidated
    # ... and the pool replaced it: the next request runs on a new connection.
    assert _backend_pid(engine) != first


def test_a_live_idle_connection_passes_its_test_and_is_reused(engine, monkeypatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = _backend_pid(engine)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_backend_pid()")) == first
        # the test ran outside a transaction and left the connection as it found it
        assert conn.connection.dbapi_connection.autocommit is False
