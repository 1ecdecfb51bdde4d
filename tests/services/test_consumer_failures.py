"""One bad event never stops a consumer (the mechanism, with a consumer of its own).

A test consumer on the app's engine fails on the events it is told to; the events are real
rows of the change feed (an entity type no other consumer knows), delivered by
``credit.changes`` from the real database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa

from credit import changes, failed_events
from credit.changes import Change, Consumer, ConsumerCursor, FailedEvent
from credit.errors import NotFound, PermissionDenied
from credit.extensions import db
from credit.identity import ANONYMOUS, SYSTEM
from credit.uow import unit_of_work

NAME = "test-consumer"


class Poisoned(Exception):
    """What the test consumer raises for a poisoned event."""


class Probe:
    """A consumer that records what it was delivered and fails where told."""

    def __init__(self) -> None:
        self.poisoned: set[str] = set()
        self.flaky: dict[str, int] = {}  # entity id -> failures left before it succeeds
        self.transient: set[str] = set()  # entity ids that raise a transient error
        self.delivered: list[str] = []
        self.calls = 0

    def handle(self, session, batch: Sequence[Change]) -> None:
        self.calls += 1
        for c in batch:
            if c.entity_id in self.transient:
                raise ConnectionError("the service behind the consumer is down")
            if c.entity_id in self.poisoned:
                raise Poisoned(f"cannot handle {c.entity_id}")
            if self.flaky.get(c.entity_id, 0) > 0:
                self.flaky[c.entity_id] -= 1
                raise Poisoned(f"{c.entity_id} failed this time")
        self.delivered.extend(c.entity_id for c in batch)


@pytest.fixture
def probe(app_ctx) -> Iterator[tuple[Probe, Consumer]]:
    p = Probe()
    consumer = Consumer(NAME, p.handle, batch_size=100, max_attempts=3)
    changes.register(db.engine, consumer)
    yield p, consumer
    changes.unregister(db.engine, NAME)


def _events(*ids: str) -> dict[str, int]:
    """Append events of a type only the test consumer reads (no other consumer runs);
    returns their event ids."""
    with unit_of_work(run_hooks=False) as uow:
        for i in ids:
            uow.record("probe", i, 1)
    rows = db.session.execute(
        sa.select(changes.ChangeEvent.entity_id, changes.ChangeEvent.id).where(
            changes.ChangeEvent.entity_type == "probe"
        )
    )
    return dict(rows.all())


def _cursor() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(ConsumerCursor.position).where(ConsumerCursor.name == NAME))


def _last_event() -> int:
    return db.session.scalar(sa.select(sa.func.max(changes.ChangeEvent.id)))


def _failed() -> list[FailedEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(FailedEvent)
            .where(FailedEvent.consumer == NAME)
            .order_by(FailedEvent.event_id)
        )
    )


def test_a_poisoned_event_is_retried_then_set_aside_and_the_rest_delivered(probe) -> None:
    p, consumer = probe
    ids = [f"e{i:02d}" for i in range(10)]
    _events(*ids)
    p.poisoned = {"e06"}
    delivered = changes.run_consumer(db.session, consumer)
    assert delivered == 10  # the cursor moved past all ten, the poisoned one included
    assert _cursor() == _last_event()
    assert sorted(set(p.delivered)) == sorted(set(ids) - {"e06"})
    [row] = _failed()
    assert (row.entity_type, row.entity_id, row.attempts) == ("probe", "e06", 3)
    assert row.set_aside_at is not None and row.resolved_at is None
    assert "Poisoned: cannot handle e06" in row.error
    assert "test_consumer_failures.py" in row.error  # where it was raised
    assert row.firms == []  # a probe event concerns no firm
    assert failed_events.count_unresolved() == 1
    # Redelivery in halves: far fewer handler calls than one per event.
    assert p.calls < 10 + 3


def test_the_error_kept_is_bounded(probe) -> None:
    _, consumer = probe
    _events("long")

    def handle(session, batch) -> None:
        raise Poisoned("x" * 10_000)

    consumer.handle = handle
    changes.run_consumer(db.session, consumer)
    [row] = _failed()
    assert len(row.error) == changes.ERROR_MAX


def test_an_event_that_fails_once_is_delivered_and_not_left_listed(probe) -> None:
    p, consumer = probe
    _events("a", "b", "c")
    p.flaky = {"b": 3}  # the batch, then the half it is in, then once alone
    assert changes.run_consumer(db.session, consumer) == 3
    assert sorted(set(p.delivered)) == ["a", "b", "c"]
    [row] = _failed()
    assert row.attempts == 1 and row.set_aside_at is None and row.resolved_at is not None
    assert failed_events.count_unresolved() == 0
    assert failed_events.list_failed_events(SYSTEM) == []


def test_attempts_are_counted_across_runs(probe) -> None:
    """A run that ends early (here: the service goes down) keeps its count; the next run,
    in this process or another, carries on from it."""
    p, consumer = probe
    ids = _events("a", "bad", "c")
    alone = {"bad": 0}

    def first_bad_then_down(session, batch) -> None:
        if any(c.entity_id == "bad" for c in batch):
            if len(batch) > 1:
                raise Poisoned("a batch with bad in it")
            alone["bad"] += 1
            if alone["bad"] == 1:
                raise Poisoned("bad, the first time alone")  # attempt 1 ...
            raise ConnectionError("search is down")  # ... then an outage
        p.delivered.extend(c.entity_id for c in batch)

    consumer.handle = first_bad_then_down
    with pytest.raises(ConnectionError):
        changes.run_consumer(db.session, consumer)
    [row] = _failed()
    assert row.attempts == 1 and row.set_aside_at is None
    assert _cursor() == ids["a"]  # "a" delivered; the cursor waits before "bad"

    # Next run: the event itself fails again, twice more, and is set aside at 3 in all.
    consumer.handle = p.handle
    p.poisoned = {"bad"}
    assert changes.run_consumer(db.session, consumer) == 2
    [row] = _failed()
    assert row.attempts == 3 and row.set_aside_at is not None
    assert p.delivered == ["a", "c"] and _cursor() == ids["c"]


def test_a_transient_failure_sets_nothing_aside_and_keeps_the_cursor(probe) -> None:
    p, consumer = probe
    ids = _events("a", "b")
    before = _cursor() or 0
    assert before < ids["a"]
    p.transient = {"a"}
    for _ in range(5):  # however often it runs
        with pytest.raises(ConnectionError):
            changes.run_consumer(db.session, consumer)
    assert _failed() == [] and _cursor() == before
    assert changes.run_all(db.session)[NAME] == -1  # logged, the other consumers go on
    p.transient = set()
    assert changes.run_consumer(db.session, consumer) == 2
    assert _cursor() == ids["b"]


def test_a_database_outage_is_transient(probe) -> None:
    _, consumer = probe
    lost = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert consumer.is_transient(lost)
    assert consumer.is_transient(ConnectionError())
    assert not consumer.is_transient(OverflowError("date value out of range"))
    assert not consumer.is_transient(sa.exc.DataError("SELECT 1", {}, Exception("date")))


def test_a_set_aside_event_is_retried_by_id_and_resolved(probe) -> None:
    p, consumer = probe
    _events("a", "bad")
    p.poisoned = {"bad"}
    changes.run_consumer(db.session, consumer)
    [row] = _failed()

    again = failed_events.retry_failed_event(SYSTEM, row.id)  # not fixed yet
    assert (again.resolved, again.transient) == (False, False)
    assert "cannot handle bad" in again.error
    [row] = _failed()
    assert row.attempts == 4 and row.resolved_at is None

    p.poisoned = set()  # the cause is fixed
    cursor = _cursor()
    done = failed_events.retry_failed_event(SYSTEM, row.id)
    assert done.resolved and not done.already
    assert p.delivered[-1] == "bad"
    [row] = _failed()
    assert row.resolved_at is not None and failed_events.count_unresolved() == 0
    assert _cursor() == cursor  # a retry never moves the cursor
    assert failed_events.retry_failed_event(SYSTEM, row.id).already


def test_retry_all_and_permissions(probe) -> None:
    p, consumer = probe
    _events("x", "y", "z")
    p.poisoned = {"x", "z"}
    changes.run_consumer(db.session, consumer)
    assert [r.entity_id for r in failed_events.list_failed_events(SYSTEM)] == ["x", "z"]
    p.poisoned = {"z"}
    outcomes = failed_events.retry_all(SYSTEM, consumer=NAME)
    assert [(o.event_id, o.resolved) for o in outcomes] == [
        (r.event_id, r.entity_id == "x") for r in _failed()
    ]
    assert [r.entity_id for r in failed_events.list_failed_events(SYSTEM)] == ["z"]
    listed = failed_events.list_failed_events(SYSTEM, include_resolved=True)
    assert [r.entity_id for r in listed] == ["x", "z"]
    with pytest.raises(NotFound):
        failed_events.retry_failed_event(SYSTEM, 999_999)
    with pytest.raises(PermissionDenied):
        failed_events.list_failed_events(ANONYMOUS)
    with pytest.raises(PermissionDenied):
        failed_events.retry_failed_event(ANONYMOUS, listed[0].id)


def test_cli_lists_and_retries(probe, clean_app) -> None:
    import json

    p, consumer = probe
    _events("ok", "bad")
    p.poisoned = {"bad"}
    changes.run_consumer(db.session, consumer)
    [row] = _failed()
    runner = clean_app.test_cli_runner()

    table = runner.invoke(args=["credit", "events", "failed"])
    assert table.exit_code == 0, table.output
    header, line = table.output.splitlines()
    assert header.split()[:5] == ["ID", "CONSUMER", "EVENT", "FIRM", "ERROR"]
    assert line.split()[:4] == [str(row.id), NAME, str(row.event_id), "probe"]
    assert "Poisoned: cannot handle bad" in line

    as_json = runner.invoke(args=["credit", "events", "failed", "--json"])
    [item] = [json.loads(x) for x in as_json.output.splitlines()]
    assert (item["id"], item["consumer"], item["entity_id"], item["attempts"]) == (
        row.id,
        NAME,
        "bad",
        3,
    )

    still = runner.invoke(args=["credit", "events", "retry", str(row.id)])
    assert still.exit_code == 1 and "still fails" in still.output
    unknown = runner.invoke(args=["credit", "events", "retry", "999999"])
    assert unknown.exit_code == 2
    usage = runner.invoke(args=["credit", "events", "retry"])
    assert usage.exit_code == 2

    p.poisoned = set()
    fixed = runner.invoke(args=["credit", "events", "retry", str(row.id)])
    assert fixed.exit_code == 0 and "resolved" in fixed.output
    empty = runner.invoke(args=["credit", "events", "failed"])
    assert "no failed events" in empty.output


def test_search_down_fills_no_failed_events(app_config: dict, clean_app) -> None:
    """An unreachable search service (a real connection failure) is not a poisoned
    event: the indexer keeps its cursor and retries later, nothing is set aside."""
    from search.indexer import CONSUMER_NAME
    from tests.conftest import make_app
    from tests.helpers import import_records, sample_records

    down = make_app(
        {
            **app_config,
            "SEARCH_URL": "http://127.0.0.1:9",
            "EMBEDDED_SEARCH_PATH": "/proc/no-such-dir/search-index",
            "EVENT_MAX_ATTEMPTS": 1,
        }
    )
    with down.app_context():
        import_records(sample_records(3, seed=23))
        for _ in range(3):  # the poller's rounds
            assert changes.run_all(db.session)[CONSUMER_NAME] == -1
        assert changes.backlog(db.session, CONSUMER_NAME) == 6  # 3 firms, 3 ratings
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FailedEvent)) == 0
        db.session.remove()
    with clean_app.app_context():
        assert changes.run_all(db.session, raise_errors=True)[CONSUMER_NAME] == 6
        assert failed_events.count_unresolved() == 0
