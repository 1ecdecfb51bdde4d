"""Engine options from the settings: SQLite pre-pings every connection, PostgreSQL tests
one idle past ``PING_AFTER_IDLE_SECONDS`` instead (tests/services/test_idle_connection_test.py);
on PostgreSQL connect, pool wait and statement are bounded
(tests/deploy/test_postgres_restart.py shows them at work against a restarted and a stalled
server). Both read JSON columns with orjson (``JSON_READER``)."""

from __future__ import annotations

import orjson

from credit.config import load_settings
from credit.database import WriterQueueConnection, engine_options


def test_postgresql_gets_each_bound_from_its_setting() -> None:
    settings = load_settings(
        env={
            "CREDIT_DATABASE_URL": "postgresql+psycopg://credit@127.0.0.1/credit",
            "CREDIT_DATABASE_CONNECT_TIMEOUT": "3",
            "CREDIT_DATABASE_POOL_TIMEOUT": "2.5",
            "CREDIT_DATABASE_STATEMENT_TIMEOUT": "25",
        },
        overrides={"SECRET_KEY": "x" * 40},
    )
    assert engine_options(settings) == {
        "pool_pre_ping": False,
        "json_deserializer": orjson.loads,
        "pool_timeout": 2.5,
        "connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=25000"},
    }


def test_no_statement_timeout_by_default_and_sqlite_pre_pings_and_queues_writers(
    tmp_path,
) -> None:
    pg = load_settings(
        env={"CREDIT_DATABASE_URL": "postgresql+psycopg://credit@127.0.0.1/credit"},
        overrides={"SECRET_KEY": "x" * 40},
    )
    assert engine_options(pg)["connect_args"] == {"connect_timeout": 5}
    lite = load_settings(env={}, overrides={"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"})
    assert engine_options(lite) == {
        "pool_pre_ping": True,
        "json_deserializer": orjson.loads,
        "connect_args": {"factory": WriterQueueConnection},
    }
