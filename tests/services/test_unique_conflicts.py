"""Two requests racing to create the same thing: the unit of work turns a unique clash at
commit into a 409 (``Conflict``); other integrity errors stay errors. The race itself over
the real server is in ``tests/live/test_bad_input.py``; here each clash is made directly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from credit import clock
from credit.errors import Conflict, PreconditionFailed
from credit.extensions import db
from credit.pledges import service as pledges
from credit.pledges.models import Pledge, PledgeBreach
from credit.uow import unit_of_work
from credit.violations.models import RepairApplication
from tests.parties import make_parties, make_pledge, make_violation, owner_identity


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def _copy(pledge: Pledge, **changes) -> Pledge:
    columns = {c.key: getattr(pledge, c.key) for c in sa.inspect(Pledge).column_attrs}
    columns.pop("id")
    return Pledge(**{**columns, **changes})


def test_a_unique_clash_at_commit_is_a_conflict(parties) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    with pytest.raises(Conflict), unit_of_work() as uow:  # same series, same number
        uow.session.add(_copy(pledge, status="draft"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 1


def test_other_integrity_errors_are_not_hidden(parties) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    with pytest.raises(IntegrityError), unit_of_work() as uow:  # NOT NULL, not a clash
        uow.session.add(
            PledgeBreach(
                pledge_id=pledge.id, clause_code=None, violation_id="v", recorded_at=clock.now()
            )
        )


def test_amendment_checks_if_match_and_the_open_draft(parties) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    identity = owner_identity(parties.owner_uscc)
    with pytest.raises(PreconditionFailed), unit_of_work() as uow:
        pledges.amend_pledge(identity, uow, pledge.id, pledge.version + 1)
    with unit_of_work() as uow:
        draft = pledges.amend_pledge(identity, uow, pledge.id, pledge.version)
    assert (draft.series_id, draft.series_version) == (pledge.series_id, 2)
    with pytest.raises(Conflict, match=draft.id), unit_of_work() as uow:
        pledges.amend_pledge(identity, uow, pledge.id)


def test_an_amendment_racing_past_the_draft_check_clashes(parties) -> None:
    """The race the service cannot see: a request read the next number before another's
    draft was committed. Its draft has the same (series, number): 409, not a second draft."""
    pledge = make_pledge(parties.owner_uscc, publish=True)
    with unit_of_work() as uow:
        uow.session.add(_copy(pledge, status="draft", series_version=2))
    with pytest.raises(Conflict), unit_of_work() as uow:
        uow.session.add(_copy(pledge, status="draft", series_version=2))
    db.session.rollback()
    drafts = db.session.scalars(sa.select(Pledge).where(Pledge.status == "draft")).all()
    assert len(drafts) == 1


def test_one_pending_repair_application_per_record(parties) -> None:
    """The service refuses a second pending application; two concurrent ones both passed
    that check, so the database holds the rule (a partial unique index)."""
    v = make_violation(parties, days_ago=400)
    pledge = make_pledge(parties.owner_uscc, publish=True)

    def application(status: str = "pending") -> RepairApplication:
        return RepairApplication(
            violation_id=v.id,
            pledge_id=pledge.id,
            statement="已整改完毕并建立制度",
            filed_by="client:test",
            filed_at=clock.now(),
            due_workdays=3,
            status=status,
        )

    with unit_of_work() as uow:
        uow.session.add(application())
    with pytest.raises(Conflict), unit_of_work() as uow:
        uow.session.add(application())
    with unit_of_work() as uow:  # decided ones do not count
        uow.session.add(application("rejected"))
        uow.session.add(application("approved"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairApplication)) == 3
