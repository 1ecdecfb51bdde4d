"""Connection-level settings every engine gets, whatever creates it."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from credit.extensions import db


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
