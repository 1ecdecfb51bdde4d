"""Connection-level settings every engine gets, whatever creates it."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from credit.extensions import db


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database: every pooled connection is
    tested before use (pre-ping), so after a PostgreSQL restart the dead connections are
    replaced on the next request without restarting the app; on PostgreSQL, connecting,
    waiting for a pooled connection and running a statement are each bounded, so a
    database that is down or stuck answers 503 quickly instead of holding the request."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if not str(settings["CREDIT_DATABASE_URL"]).startswith("postgresql"):
        return options
    connect_args: dict[str, Any] = {"connect_timeout": settings["CREDIT_DATABASE_CONNECT_TIMEOUT"]}
    statement_ms = round(settings["CREDIT_DATABASE_STATEMENT_TIMEOUT"] * 1000)
    if statement_ms:
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
    options["pool_timeout"] = settings["CREDIT_DATABASE_POOL_TIMEOUT"]
    options["connect_args"] = connect_args
    return options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite durability and integrity: WAL, full fsync, foreign keys, wait on locks."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def ping() -> str | None:
    """None when the database answers; otherwise the error's class name (for /readyz)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        return type(exc).__name__
