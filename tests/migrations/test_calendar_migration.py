"""Migration 0011 on data: objections and repair applications keep their deadlines.

On a scratch database of the chosen kind: cases are filed through the services at head,
the schema goes down to 0010 (a due date written back) and up again (the working days
restored: 5 plus extensions for an objection, 3 for a repair), and every case reads the
same due date as before.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from tests.conftest import make_app


@pytest.fixture
def scratch_app(app_config: dict, db_kind: str, tmp_path):
    name = f"credit_m_{uuid.uuid4().hex[:8]}"
    admin = None
    if db_kind == "postgresql":
        base = os.environ["CREDIT_TEST_DATABASE_URL"]
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'scratch.db'}"
    config = {
        **app_config,
        "DATABASE_URL": url,
        "SEARCH_INDEX_PREFIX": f"{app_config['SEARCH_INDEX_PREFIX']}m",
        "EMBEDDED_SEARCH_PATH": str(tmp_path / "search-index"),
    }
    app = make_app(config)
    yield app
    from credit.extensions import db
    from search.documents import SPECS

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for spec in SPECS.values():
        app.extensions["credit.search"].drop(spec)
    if admin is not None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0011_keeps_every_due_date_down_and_up(scratch_app) -> None:
    from flask_migrate import downgrade, upgrade

    from credit import clock
    from credit.clock import CHINA
    from credit.extensions import db
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from credit.violations.models import Objection, RepairApplication
    from tests.parties import make_parties, make_pledge, make_violation, owner_identity

    with scratch_app.app_context():
        parties = make_parties()
        owner = owner_identity(parties.owner_uscc)
        # Filed on Tue 14 Jul 2026: no holiday in reach, so the weekday count the
        # downgrade writes back is the true due date.
        moment = datetime.combine(date(2026, 7, 14), time(10), CHINA).astimezone(UTC)
        clock.set_clock(lambda: moment)
        try:
            v1, v2 = make_violation(parties), make_violation(parties, days_ago=120)
            pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
            with unit_of_work() as uow:
                objection = workflow.file_objection(owner, uow, v1.id, "事实认定有误", [])
                workflow.apply_for_repair(owner, uow, v2.id, pledge.id, "已整改完毕")
            with unit_of_work() as uow:
                workflow.extend_objection(issuer_of(v1), uow, objection.id, 2, "需调取平台数据")
        finally:
            clock.set_clock(None)
        before = {
            row.id: row.due_date
            for model in (Objection, RepairApplication)
            for row in db.session.scalars(sa.select(model))
        }
        assert sorted(before.values()) == [date(2026, 7, 17), date(2026, 7, 23)]
        db.session.remove()

        downgrade(revision="0010")
        stored = dict(
            db.session.execute(sa.text("SELECT id, due_date FROM violation_objection")).all()
        ) | dict(db.session.execute(sa.text("SELECT id, due_date FROM repair_application")).all())
        assert {k: date.fromisoformat(str(v)[:10]) for k, v in stored.items()} == before
        db.session.remove()

        upgrade()
        after = {
            row.id: (row.due_date, row.due_workdays)
            for model in (Objection, RepairApplication)
            for row in db.session.scalars(sa.select(model))
        }
        assert {k: v[0] for k, v in after.items()} == before
        assert sorted(v[1] for v in after.values()) == [3, 7]


def issuer_of(violation):
    """The issuing authority of ``violation``, as its review client would act."""
    from credit.identity import Identity, IdentityKind

    return Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=violation.authority_id,
        scopes=frozenset({"violations:review"}),
    )
