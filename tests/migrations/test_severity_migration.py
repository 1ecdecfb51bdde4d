"""Migration 0013 on data: a violation's ``tier`` column becomes ``severity`` and back,
every record keeping its value, and the index follows the column.

On a scratch database of the chosen kind (``scratch_app``: SQLite or PostgreSQL, as the
run asks): records of each severity are made through the services at head, the schema
goes down to 0012 (the column is ``tier`` again) and up to head.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.migrations.test_calendar_migration import scratch_app  # noqa: F401 (fixture)


def _column_and_index(engine: sa.Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("violation")}
    indexes = {i["name"] for i in inspector.get_indexes("violation")}
    return columns, indexes


def test_0013_keeps_every_severity_down_and_up(scratch_app) -> None:  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from credit.extensions import db
    from credit.violations.models import Violation
    from tests.parties import make_parties, make_violation

    with scratch_app.app_context():
        parties = make_parties()
        made: dict[str, str] = {}
        for severity in ("minor", "general", "serious", "general"):
            made[make_violation(parties, severity=severity).id] = severity
        db.session.remove()

        downgrade(revision="0012")
        columns, indexes = _column_and_index(db.engine)
        assert "tier" in columns and "severity" not in columns
        assert "ix_violation_tier" in indexes and "ix_violation_severity" not in indexes
        stored = dict(db.session.execute(sa.text("SELECT id, tier FROM violation")).all())
        assert stored == made
        db.session.remove()

        upgrade()
        columns, indexes = _column_and_index(db.engine)
        assert "severity" in columns and "tier" not in columns
        assert "ix_violation_severity" in indexes and "ix_violation_tier" not in indexes
        after = dict(db.session.execute(sa.select(Violation.id, Violation.severity)).all())
        assert after == made
