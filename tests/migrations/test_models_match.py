"""`upgrade head` on an empty database produces exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from credit.extensions import db


def test_migrations_match_models(app) -> None:
    # The session `app` fixture ran `upgrade` on a brand-new database of the chosen kind.
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, db.metadata)
    assert diffs == []


def test_migration_is_at_head(app) -> None:
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    from api import MIGRATIONS_DIR

    with app.app_context(), db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        config = Config()
        config.set_main_option("script_location", MIGRATIONS_DIR)
        head = ScriptDirectory.from_config(config).get_current_head()
    assert current == head


def test_dialect_is_the_one_asked_for(app, db_kind: str) -> None:
    with app.app_context():
        assert db.engine.dialect.name == db_kind
