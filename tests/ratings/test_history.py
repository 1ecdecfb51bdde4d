"""Rating history: a row only when the grade, score, model version or inputs changed.

Re-rating a firm that time alone moves (a serious record a month older, its points shifting
under a cap that keeps the score) confirms the current rating and writes no history row;
each real change writes exactly one.
"""

from __future__ import annotations

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import SYSTEM, Identity, IdentityKind
from credit.ratings.facts import Selection
from credit.ratings.models import CurrentRating, RatingRecord
from credit.ratings.service import sweep_stale_ratings
from credit.ratings.store import rescore
from credit.uow import unit_of_work
from tests.parties import make_pledge, make_violation, seed_templates


def _firm_id(uscc: str) -> str:
    return db.session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == uscc))


def _history(eid: str) -> list[RatingRecord]:
    return list(
        db.session.scalars(
            sa.select(RatingRecord)
            .where(RatingRecord.enterprise_id == eid)
            .order_by(RatingRecord.id)
        )
    )


def _current(eid: str) -> CurrentRating:
    db.session.expire_all()
    return db.session.get(CurrentRating, eid)


def _regulator(v) -> Identity:
    return Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=v.authority_id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset({v.enterprise.city_code}),
    )


def test_rerating_an_unchanged_firm_writes_no_history_and_each_change_one(
    app_ctx, client, parties, frozen_clock
) -> None:
    seed_templates()
    make_pledge(parties.owner_uscc, publish=True)
    serious = make_violation(parties, severity="serious", days_ago=40)
    eid = _firm_id(parties.owner_uscc)
    first = _current(eid)
    assert (first.score, first.grade) == (449, "CCC")  # capped: the raw score is above it
    rows = len(_history(eid))

    # Ten re-ratings that time alone moves: each a month on (the record's points decay, the
    # cap keeps the score), through the freshness sweep; none writes a history row.
    seen = set()
    for _ in range(10):
        due = _current(eid).next_change
        assert due is not None
        frozen_clock.advance(max((due - clock.today()).days, 0) * 86400 + 3600)
        sweep_stale_ratings(SYSTEM)
        now = _current(eid)
        assert (now.score, now.grade, now.model_version) == (449, "CCC", "2026.2")
        seen.add(now.next_change)
    assert len(_history(eid)) == rows
    assert len(seen) >= 5  # ... yet the current rating moved on (confirmed each time)
    # The published rating carries the current next change date, not the stale row's.
    body = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating").get_json()
    assert body["next_change"] == _current(eid).next_change.isoformat()
    assert body["score"] == 449

    # Re-rating the same facts on the same day, ten times: nothing at all is written.
    for _ in range(10):
        with unit_of_work(run_hooks=False) as uow:
            stats = rescore(uow.session, Selection(ids=[eid]), trigger="rescore")
        assert (stats.written, stats.confirmed) == (0, 0)
    assert len(_history(eid)) == rows

    # A real change of the inputs with the same score (a general record under the cap): one.
    make_violation(parties, severity="general", days_ago=1)
    assert len(_history(eid)) == rows + 1
    assert _current(eid).score == 449

    # A real change of the score (the serious record revoked): exactly one more.
    from credit.violations import service as violations

    with unit_of_work() as uow:
        violations.revoke_violation(
            _regulator(serious), uow, serious.id, "复议撤销", db.session.merge(serious).version
        )
    history = _history(eid)
    assert len(history) == rows + 2
    assert history[-1].score > 449 and history[-1].score == _current(eid).score
