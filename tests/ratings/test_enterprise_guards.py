"""Ratings name existing enterprises, though no foreign key says so (migration 0025).

The triggers that replaced the keys refuse what the keys refused, on the database the run
uses (a statement-level check of each ``COPY`` batch on PostgreSQL, row triggers on
SQLite): a rating of an enterprise that does not exist, whether written by the rescore's
own path or as a single row; moving a rating to such an enterprise; deleting an enterprise
that has ratings, or changing its id. A refused batch writes nothing of itself.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.ratings.catalog import catalog
from credit.ratings.facts import Selection, load_facts
from credit.ratings.models import CurrentRating, RatingRecord
from credit.ratings.store import compute, rescore, store
from credit.uow import unit_of_work


def _spare_firm() -> str:
    """A copy of a registered firm under a new id and code: nothing else refers to it (an
    account or a pledge would hold the firm by a key of its own)."""
    model = db.session.scalar(sa.select(Enterprise).limit(1))
    row = {c.key: getattr(model, c.key) for c in Enterprise.__table__.columns}
    spare = str(uuid.uuid4())
    db.session.execute(
        sa.insert(Enterprise).values({**row, "id": spare, "uscc": "91320000TEST00001X"})
    )
    return spare


def _rated_firm() -> str:
    eid = _spare_firm()
    with unit_of_work(db.session, run_hooks=False):
        rescore(db.session, Selection(ids=[eid]), trigger="rescore")
    assert db.session.get(CurrentRating, eid) is not None
    return eid


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(RatingRecord)),
        db.session.scalar(sa.select(sa.func.count()).select_from(CurrentRating)),
    )


def _refused(statement) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(statement)


def test_a_batch_with_the_rating_of_an_unknown_enterprise_writes_nothing(app_ctx, parties) -> None:
    ids = list(db.session.scalars(sa.select(Enterprise.id).order_by(Enterprise.id)))
    assert len(ids) >= 2
    model = catalog(db.session).get()
    computed = compute(load_facts(db.session, Selection(ids=ids)).values(), model, clock.today())
    # new results for the real firms (another inputs digest: a history row each), and one
    # for an enterprise that does not exist, in the same batch
    results = [(eid, (*row[:6], "f" * 64, *row[7:]), "e" * 64) for eid, row, _ in computed]
    ghost = str(uuid.uuid4())
    _, row, digest = results[-1]
    results[-1] = (ghost, (ghost, *row[1:]), digest)
    before = _counts()
    # PostgreSQL's COPY goes through the driver's cursor: its own error class
    refused = (sa.exc.IntegrityError, db.engine.dialect.dbapi.IntegrityError)
    with pytest.raises(refused, match="enterprise"), unit_of_work(db.session, run_hooks=False):
        store(db.session, results, "rescore")
    db.session.rollback()
    assert _counts() == before
    # the same batch without the stranger is written whole
    with unit_of_work(db.session, run_hooks=False):
        stats = store(db.session, results[:-1], "rescore")
    assert stats.written == len(ids) - 1
    assert _counts() == (before[0] + len(ids) - 1, before[1])


def test_single_rows_naming_an_unknown_enterprise_are_refused(app_ctx, parties) -> None:
    eid = _rated_firm()
    ghost = str(uuid.uuid4())
    current = db.session.get(CurrentRating, eid)
    copy = {c.key: getattr(current, c.key) for c in CurrentRating.__table__.columns}
    _refused(sa.insert(CurrentRating).values({**copy, "enterprise_id": ghost}))
    record = db.session.scalar(sa.select(RatingRecord).where(RatingRecord.enterprise_id == eid))
    row = {c.key: getattr(record, c.key) for c in RatingRecord.__table__.columns if c.key != "id"}
    _refused(sa.insert(RatingRecord).values({**row, "enterprise_id": ghost}))
    for model in (RatingRecord, CurrentRating):
        _refused(sa.update(model).where(model.enterprise_id == eid).values(enterprise_id=ghost))
    # moving a rating to another enterprise that exists is what a key allowed, too
    other = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.id != eid).limit(1))
    with db.session.begin_nested():
        db.session.execute(
            sa.update(RatingRecord).where(RatingRecord.id == record.id).values(enterprise_id=other)
        )
    db.session.rollback()


def test_an_enterprise_with_ratings_is_neither_deleted_nor_given_another_id(
    app_ctx, parties
) -> None:
    eid = _rated_firm()
    _refused(sa.delete(Enterprise).where(Enterprise.id == eid))
    _refused(sa.update(Enterprise).where(Enterprise.id == eid).values(id=str(uuid.uuid4())))
    # an update that keeps the id is not a re-keying
    with db.session.begin_nested():
        db.session.execute(sa.update(Enterprise).where(Enterprise.id == eid).values(id=eid))
    assert db.session.get(Enterprise, eid) is not None
    db.session.rollback()


def test_an_enterprise_without_ratings_can_still_be_deleted(app_ctx, parties) -> None:
    spare = _spare_firm()
    db.session.execute(sa.delete(Enterprise).where(Enterprise.id == spare))
    assert db.session.get(Enterprise, spare) is None
    db.session.rollback()
