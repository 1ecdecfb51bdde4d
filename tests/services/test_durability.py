"""Durability settings of the databases: each commit is flushed to disk (SQLite WAL with
synchronous FULL; PostgreSQL fsync, synchronous_commit and full-page writes on)."""

from __future__ import annotations

import sqlalchemy as sa

from credit.extensions import db


def test_database_durability_settings(app_ctx, db_kind: str) -> None:
    with db.engine.connect() as conn:
        if db_kind == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            # Not only the app's engine: every engine's connections get the pragmas.
            other = sa.create_engine(str(db.engine.url))
            try:
                with other.connect() as c2:
                    assert c2.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            finally:
                other.dispose()
        else:
            assert conn.execute(sa.text("SHOW fsync")).scalar() == "on"
            assert conn.execute(sa.text("SHOW synchronous_commit")).scalar() == "on"
            assert conn.execute(sa.text("SHOW full_page_writes")).scalar() == "on"
