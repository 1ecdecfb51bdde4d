"""ratings: the enterprise a rating names is checked per statement, not per row

``rating`` and ``current_rating`` lose their foreign keys to ``enterprise``; triggers keep
what the keys guaranteed. On PostgreSQL a foreign key checks each inserted row with a
query that locks the enterprise's row (``FOR KEY SHARE``): a write-ahead-log record per
row, and every enterprise page dirtied and logged whole after a checkpoint. A full rescore
from nothing inserts 2,000,000 rating rows: the checks were about 21 of its 131 CPU
seconds (65 s of wall time on 2 cores). Here a statement-level trigger checks a whole
``COPY`` batch in one anti-join against the enterprise key, without locking. On SQLite (no
statement triggers; its key checks were cheap) row triggers do the same checks.

Kept: a rating (history or current) of an enterprise that does not exist is refused, and
so is changing a rating's enterprise to one that does not exist; an enterprise with
ratings can be neither deleted nor given another id. Not kept: the row lock that made a
concurrent delete of the enterprise wait for the insert of its rating. No code deletes an
enterprise or changes its id (the register keeps every firm, deregistered ones with their
status), so the triggers catch a mistake, not a race.

On SQLite a table rebuilt by a later migration (batch mode copies it and drops the old
one) loses its triggers: such a migration must create them again (tests/ratings/
test_enterprise_guards.py fails if it does not).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

_KEYS = {
    'rating': 'fk_rating_enterprise_id_enterprise',
    'current_rating': 'fk_current_rating_enterprise_id_enterprise',
}

_POSTGRESQL = [
    # One check for both kinds of trigger: a statement's inserted rows (its transition
    # table) or one row's new enterprise. PL/pgSQL plans a branch when it first runs it.
    """
    CREATE FUNCTION credit_rated_enterprises_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      missing boolean;
    BEGIN
      IF TG_LEVEL = 'ROW' THEN
        missing := NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.id = NEW.enterprise_id);
      ELSE
        missing := EXISTS (
          SELECT 1 FROM new_rows n
          WHERE NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.id = n.enterprise_id)
        );
      END IF;
      IF missing THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
          MESSAGE = format('%I: the enterprise of a rating does not exist', TG_TABLE_NAME);
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION credit_enterprise_keeps_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
      END IF;
      IF EXISTS (SELECT 1 FROM current_rating WHERE enterprise_id = OLD.id)
         OR EXISTS (SELECT 1 FROM rating WHERE enterprise_id = OLD.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
          MESSAGE = format('enterprise %s has ratings', OLD.id);
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $$
    """,
    *(
        statement
        for table in _KEYS
        for statement in (
            f"""
            CREATE TRIGGER {table}_enterprise_exists AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
            EXECUTE FUNCTION credit_rated_enterprises_exist()
            """,
            f"""
            CREATE TRIGGER {table}_enterprise_changed BEFORE UPDATE OF enterprise_id ON {table}
            FOR EACH ROW WHEN (NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id)
            EXECUTE FUNCTION credit_rated_enterprises_exist()
            """,
        )
    ),
    """
    CREATE TRIGGER enterprise_keeps_ratings BEFORE DELETE OR UPDATE OF id ON enterprise
    FOR EACH ROW EXECUTE FUNCTION credit_enterprise_keeps_ratings()
    """,
]

_POSTGRESQL_DROP = [
    'DROP TRIGGER enterprise_keeps_ratings ON enterprise',
    *(
        f'DROP TRIGGER {table}_enterprise_{what} ON {table}'
        for table in _KEYS
        for what in ('exists', 'changed')
    ),
    'DROP FUNCTION credit_enterprise_keeps_ratings()',
    'DROP FUNCTION credit_rated_enterprises_exist()',
]

# The insert triggers RAISE(FAIL), not ABORT: an INSERT whose trigger may ABORT keeps a
# statement journal (its pages copied aside, then written to a temporary file) for each
# of the million rows a rescore inserts one statement at a time (with it, or with the
# current rating's INSERT not ``OR FAIL``, writing a rescore from nothing took 30 to 35 CPU
# seconds instead of 23; see ``credit.ratings.store._statements``). FAIL keeps what an earlier row of the same statement wrote; the app inserts one row a
# statement and rolls its transaction back on the error. The other triggers ABORT (no
# rescore runs them).
_SQLITE_MISSING = 'NOT EXISTS (SELECT 1 FROM enterprise WHERE id = NEW.enterprise_id)'
_SQLITE_RATED = (
    'EXISTS (SELECT 1 FROM current_rating WHERE enterprise_id = OLD.id)'
    ' OR EXISTS (SELECT 1 FROM rating WHERE enterprise_id = OLD.id)'
)

_SQLITE = [
    *(
        statement
        for table in _KEYS
        for statement in (
            f"""
            CREATE TRIGGER {table}_enterprise_exists BEFORE INSERT ON {table}
            WHEN {_SQLITE_MISSING}
            BEGIN SELECT RAISE(FAIL, '{table}: the enterprise of a rating does not exist'); END
            """,
            f"""
            CREATE TRIGGER {table}_enterprise_changed BEFORE UPDATE OF enterprise_id ON {table}
            WHEN NEW.enterprise_id IS NOT OLD.enterprise_id AND {_SQLITE_MISSING}
            BEGIN SELECT RAISE(ABORT, '{table}: the enterprise of a rating does not exist'); END
            """,
        )
    ),
    f"""
    CREATE TRIGGER enterprise_keeps_ratings BEFORE DELETE ON enterprise
    WHEN {_SQLITE_RATED}
    BEGIN SELECT RAISE(ABORT, 'enterprise: it has ratings'); END
    """,
    f"""
    CREATE TRIGGER enterprise_id_keeps_ratings BEFORE UPDATE OF id ON enterprise
    WHEN NEW.id IS NOT OLD.id AND ({_SQLITE_RATED})
    BEGIN SELECT RAISE(ABORT, 'enterprise: it has ratings'); END
    """,
]

_SQLITE_DROP = [
    'DROP TRIGGER enterprise_id_keeps_ratings',
    'DROP TRIGGER enterprise_keeps_ratings',
    *(
        f'DROP TRIGGER {table}_enterprise_{what}'
        for table in _KEYS
        for what in ('exists', 'changed')
    ),
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    for table, key in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(key, type_='foreignkey')
    for statement in _POSTGRESQL if _postgresql() else _SQLITE:
        op.execute(statement)


def downgrade():
    for statement in _POSTGRESQL_DROP if _postgresql() else _SQLITE_DROP:
        op.execute(statement)
    for table, key in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(key, 'enterprise', ['enterprise_id'], ['id'])
