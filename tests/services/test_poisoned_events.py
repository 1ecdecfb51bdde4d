"""A bad row on record never stops the consumers (issue 14, item 1), on the real consumers.

Two kinds of far dates written straight into the database, bypassing the input schemas as
old data or a bug would:

* dates the platform can hold (``9999-12-31``, the issue's case): the scoring arithmetic
  saturates, so nothing fails at all;
* a date no Python code can read (year 10000, which both databases store): the event of
  that pledge fails in every consumer that reads it (ratings, search, the public log), is
  set aside after its attempts, and the other
  firms are still rated; fixed, it is retried and resolved.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.poller import stop_poller
from credit import changes, clock, failed_events
from credit.changes import FailedEvent
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import SYSTEM
from credit.ratings.service import get_rating
from credit.translog.appender import CONSUMER_NAME as LOG
from credit.uow import unit_of_work
from search.indexer import CONSUMER_NAME as INDEXER
from tests.parties import (
    make_parties,
    make_pledge,
    make_violation,
    regulator_identity,
    seed_templates,
)

RATINGS = "ratings"


@pytest.fixture
def parties(app_ctx):
    p = make_parties()
    seed_templates()
    return p


def _firm(uscc: str) -> Enterprise:
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))


def write_far_dates(pledge_id: str, valid_from: str, valid_until: str) -> None:
    """Overwrite a pledge's dates in SQL, with the change event a bug would still append
    (no consumer runs: the event waits in the feed)."""
    with unit_of_work(run_hooks=False) as uow:
        uow.session.execute(
            sa.text("UPDATE pledge SET valid_from = :f, valid_until = :u WHERE id = :id"),
            {"f": valid_from, "u": valid_until, "id": pledge_id},
        )
        uow.record("pledge", pledge_id, 99)


def test_far_dates_on_record_are_rated_and_stop_nothing(parties) -> None:
    """The issue's case: 9995-01-01 .. 9999-12-31 (and a commendation valid until
    9999-12-31) once overflowed ``date + 1 day`` and froze every rating."""
    from credit.violations import registry

    pledge = make_pledge(parties.other_uscc, publish=True)
    write_far_dates(pledge.id, "9995-01-01", "9999-12-31")
    today = clock.today()
    with unit_of_work(run_hooks=False) as uow:
        item = registry.commend(
            regulator_identity("commendations:write", "violations:write"),
            uow,
            {
                "uscc": parties.owner_uscc,
                "title": "江苏省电子商务示范企业",
                "legal_basis": "依据",
                "granted_on": today,
                "valid_until": today,
            },
        )
        uow.session.execute(
            sa.text("UPDATE commendation SET valid_until = '9999-12-31' WHERE id = :id"),
            {"id": item.id},
        )
    before = get_rating(SYSTEM, parties.owner_uscc)
    assert before.next_change is None or before.next_change.year < 9999
    make_violation(parties, severity="serious", days_ago=3)  # the after-commit hooks run
    after = get_rating(SYSTEM, parties.owner_uscc)
    assert "HARD_SERIOUS_VIOLATION" in after.hard_rules and after.score < before.score
    assert "COMMENDATION" in [f["code"] for f in after.factors]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FailedEvent)) == 0
    for name in (RATINGS, INDEXER):
        assert changes.backlog(db.session, name) == 0


def test_an_unreadable_row_is_set_aside_and_the_other_firm_is_still_rated(
    parties, clean_app, caplog
) -> None:
    pledge_id = make_pledge(parties.other_uscc, publish=True).id
    write_far_dates(pledge_id, "9995-01-01", "10000-01-01")  # Python has no year 10000
    poisoned = db.session.scalar(sa.select(sa.func.max(changes.ChangeEvent.id)))
    before = get_rating(SYSTEM, parties.owner_uscc)
    with caplog.at_level(logging.WARNING, logger="credit.changes"):
        make_violation(parties, severity="serious", days_ago=3)  # the after-commit hooks run

    # The other firm is rated: the serious violation caps its score.
    after = get_rating(SYSTEM, parties.owner_uscc)
    assert "HARD_SERIOUS_VIOLATION" in after.hard_rules and after.score < before.score
    # Each consumer that reads the pledge set the poisoned event aside after 3 attempts and
    # moved on.
    rows = failed_events.list_failed_events(SYSTEM)
    assert sorted(r.consumer for r in rows) == sorted([RATINGS, INDEXER, LOG])
    other = _firm(parties.other_uscc)
    for row in rows:
        assert (row.event_id, row.entity_type, row.entity_id) == (poisoned, "pledge", pledge_id)
        assert row.attempts == 3 and row.set_aside_at is not None
        assert row.firms == [{"uscc": other.uscc, "name": other.name}]
        assert "10000" in row.error or "year" in row.error.lower()
    for name in (RATINGS, INDEXER, LOG):
        assert changes.backlog(db.session, name) == 0
    # The log names the consumer, the event and the firm (USCC and name).
    set_aside = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(set_aside) == 3
    for line in set_aside:
        assert f"event {poisoned}" in line and other.uscc in line and other.name in line
    # /readyz: degraded, with the count; still 200 (the service works).
    ready = clean_app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["failed_events"] == 3

    runner = clean_app.test_cli_runner()
    listed = runner.invoke(args=["credit", "events", "failed", "--json"])
    assert listed.exit_code == 0, listed.output
    items = [json.loads(line) for line in listed.output.splitlines()]
    assert {i["consumer"] for i in items} == {RATINGS, INDEXER, LOG}
    assert all(i["firms"] == [{"uscc": other.uscc, "name": other.name}] for i in items)
    table = runner.invoke(args=["credit", "events", "failed"]).output
    assert [line.split()[:2] for line in table.splitlines()[1:]] == [
        [str(r.id), r.consumer] for r in rows
    ]
    assert all(other.uscc in line for line in table.splitlines()[1:])

    # Retried before the row is fixed: it still fails, stays listed, exit status 1.
    ratings_row = next(r for r in rows if r.consumer == RATINGS)
    still = runner.invoke(args=["credit", "events", "retry", str(ratings_row.id)])
    assert still.exit_code == 1 and "still fails" in still.output

    # Fixed, then retried: delivered, resolved, the firm is rated with its pledge.
    db.session.rollback()
    with unit_of_work(run_hooks=False) as uow:
        uow.session.execute(
            sa.text("UPDATE pledge SET valid_from = :f, valid_until = :u WHERE id = :id"),
            {"f": clock.today().isoformat(), "u": "2027-12-31", "id": pledge_id},
        )
    done = runner.invoke(args=["credit", "events", "retry", "--all"])
    assert done.exit_code == 0, done.output
    assert "3 of 3 resolved" in done.output
    assert failed_events.list_failed_events(SYSTEM) == []
    assert failed_events.count_unresolved() == 0
    rated = get_rating(SYSTEM, parties.other_uscc)
    assert "PLEDGE_IN_FORCE" in [f["code"] for f in rated.factors]
    assert clean_app.test_client().get("/readyz").get_json()["status"] == "ready"


def test_the_freshness_sweep_rates_every_other_firm(parties, caplog) -> None:
    """The sweep re-rates firms whose rating time has come; one unreadable firm is named
    in the log and skipped, the others are rated."""
    from credit.ratings.models import CurrentRating
    from credit.ratings.service import sweep_stale_ratings

    pledge_id = make_pledge(parties.other_uscc, publish=True).id
    write_far_dates(pledge_id, "9995-01-01", "10000-01-01")
    ids = [_firm(u).id for u in (parties.owner_uscc, parties.other_uscc)]
    with unit_of_work(run_hooks=False) as uow:  # both ratings are due again
        uow.session.execute(
            sa.update(CurrentRating)
            .where(CurrentRating.enterprise_id.in_(ids))
            .values(next_change=clock.today(), result_digest="stale")
        )
    with caplog.at_level(logging.ERROR, logger="credit.ratings.service"):
        assert sweep_stale_ratings(SYSTEM) == 1
    db.session.rollback()
    owner, other = (db.session.get(CurrentRating, i) for i in ids)
    assert owner.result_digest != "stale" and other.result_digest == "stale"
    [line] = [r.getMessage() for r in caplog.records if r.name == "credit.ratings.service"]
    assert parties.other_uscc in line and _firm(parties.other_uscc).name in line


def test_a_failing_sweep_never_keeps_the_poller_from_the_consumers(
    app_config: dict, parties
) -> None:
    """The poller's sweep meets an unreadable pledge (its validity ended, so the sweep
    loads it to expire it) and fails; the consumers still run in the same round."""
    import time

    from credit.violations import service as violations
    from tests.conftest import make_app

    pledge_id = make_pledge(parties.other_uscc, publish=True).id
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    write_far_dates(pledge_id, "10000-01-01", yesterday)
    before = get_rating(SYSTEM, parties.owner_uscc)
    with unit_of_work(run_hooks=False) as uow:  # only the poller will deliver it
        violation_id = violations.record_violation(
            regulator_identity("commendations:write", "violations:write"),
            uow,
            {
                "uscc": parties.owner_uscc,
                "category": "fake_orders",
                "severity": "serious",
                "decision_number": "苏市监罚〔2026〕4242号",
                "legal_basis": "《中华人民共和国电子商务法》第十七条",
                "facts": "组织虚假交易",
                "penalty_type": "fine",
                "penalty_amount": 50000,
                "decision_date": clock.today(),
                "breached_clauses": [],
            },
        ).id
    polling = make_app({**app_config, "INDEXER_POLL_SECONDS": 0.1})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.rollback()
            if changes.backlog(db.session, RATINGS) == 0:
                break
            time.sleep(0.1)
    finally:
        # joined: a round still in hand would write under the next test's reset
        stop_poller(polling)
    assert changes.backlog(db.session, RATINGS) == 0
    after = get_rating(SYSTEM, parties.owner_uscc)
    assert after.score < before.score
    assert violation_id in [f["ref"] for f in after.factors]
