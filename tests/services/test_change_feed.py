"""The change feed: events commit with their rows; the indexer catches up from its cursor."""

from __future__ import annotations

import tempfile
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from api.poller import stop_poller
from credit import changes, clock, database
from credit.changes import ChangeEvent, ConsumerCursor
from credit.extensions import db
from credit.uow import CHANGES_CHANNEL, UnitOfWork
from search.documents import ENTERPRISES
from search.indexer import CONSUMER_NAME
from tests.conftest import make_app
from tests.helpers import import_records, sample_records


def test_events_are_appended_with_rows(app_ctx) -> None:
    import_records(sample_records(5))
    rows = db.session.scalars(sa.select(ChangeEvent).order_by(ChangeEvent.id)).all()
    # five enterprises, then (from the ratings consumer) their first five ratings
    assert [r.entity_type for r in rows] == ["enterprise"] * 5 + ["rating"] * 5
    assert all(r.entity_version == 1 for r in rows)


def test_event_ids_become_visible_in_commit_order(app_ctx) -> None:
    """A transaction that appends change events while another one that appended is still
    open waits for it to commit and gets the larger ids, so a consumer reading "id >
    cursor" never skips a slower transaction's event (PostgreSQL: the outbox lock the
    INSERT takes; SQLite: one writer at a time). Events keep the order they were recorded
    in."""
    engine = db.engine
    key = "91320000ORDER0000X"
    first = Session(engine)
    work = UnitOfWork(first)
    for version in (1, 2, 3):
        work.record("enterprise", key, version)
    work.flush_events()
    failures: list[BaseException] = []

    def second() -> None:
        session = Session(engine)
        try:
            later = UnitOfWork(session)
            later.record("enterprise", key, 4)
            later.commit()
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            session.close()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # waiting for the first transaction's commit
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and failures == []
    rows = db.session.execute(
        sa.select(ChangeEvent.id, ChangeEvent.entity_version)
        .where(ChangeEvent.entity_id == key)
        .order_by(ChangeEvent.id)
    ).all()
    assert [version for _, version in rows] == [1, 2, 3, 4]


def test_events_keep_every_id_and_their_order_whatever_their_characters(app_ctx) -> None:
    """Event ids and types go to PostgreSQL as arrays' text: a comma, a brace, a quote, a
    backslash, ``NULL``, the empty string or CJK in one comes back as it went, in order."""
    odd = ["a,b", "{c}", 'd"e', "f\\g", "NULL", "", "江苏 企业", "h\\", '"']
    session = Session(db.engine)
    try:
        work = UnitOfWork(session)
        for version, entity_id in enumerate(odd, start=1):
            work.record("odd,type" if version % 2 else "enterprise", entity_id, version, "up,sert")
        work.commit()
    finally:
        session.close()
    rows = db.session.execute(
        sa.select(
            ChangeEvent.entity_type,
            ChangeEvent.entity_id,
            ChangeEvent.entity_version,
            ChangeEvent.op,
        )
        .where(ChangeEvent.op == "up,sert")
        .order_by(ChangeEvent.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("odd,type" if v % 2 else "enterprise", e, v, "up,sert") for v, e in enumerate(odd, 1)
    ]


def _traced(session: Session, run) -> list[str]:
    """The protocol messages of ``session``'s PostgreSQL connection while ``run()`` runs
    (libpq's trace: ``F`` from the client, ``B`` from the server), one per line."""
    from psycopg import pq

    raw = session.connection().connection.dbapi_connection
    with tempfile.TemporaryFile("w+") as trace:
        raw.pgconn.trace(trace.fileno())
        raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            run()
        finally:
            raw.pgconn.untrace()
        trace.seek(0)
        return trace.read().splitlines()


def test_postgresql_appends_events_and_commits_in_one_round_trip(app_ctx, db_kind: str) -> None:
    """The outbox lock orders every writer from its append to the end of its commit, so
    nothing may wait in between: the append and the COMMIT leave in one write, and the
    server's first answer comes after both (a second round trip held the lock over the
    client's wait for the GIL and capped PostgreSQL writes at about 300 a second)."""
    if db_kind != "postgresql":
        pytest.skip("SQLite has no outbox lock: one writer at a time")
    key = "91320000TRIP0000XX"
    # Seven commits in turn on one connection: the append's statement is parsed while new
    # to it, then run as prepared (credit.database.prepared_keeping_connection). Either
    # way it binds the wake-up channel's name.
    one = sa.create_engine(
        db.engine.url, pool_size=1, max_overflow=0, **database.engine_options(app_ctx.config)
    )
    for version in range(1, 8):
        session = Session(one)
        try:
            session.execute(sa.select(1))  # the transaction is open before the trace starts
            work = UnitOfWork(session)
            work.record("enterprise", key, version)
            lines = _traced(session, work.commit)
        finally:
            session.close()
        sent = [i for i, ln in enumerate(lines) if "\tBind\t" in ln and CHANGES_CHANNEL in ln]
        assert len(sent) == 1, lines
        parsed = [i for i, line in enumerate(lines) if "pg_advisory_xact_lock" in line]
        first_answer = next(i for i, line in enumerate(lines) if line.startswith("B"))
        before_answer = lines[min([*parsed, *sent]) : first_answer]
        assert any('"COMMIT"' in line for line in before_answer), lines
        assert before_answer[-1].split("\t")[2] in {"Sync", "Flush"}, lines
        assert 'CommandComplete\t "COMMIT"' in "\n".join(lines[first_answer:]), lines
        assert sum(1 for line in lines if line.split("\t")[2:3] == ["Sync"]) == 1, lines
    one.dispose()
    assert not parsed  # the last appends ran prepared
    rows = db.session.scalars(
        sa.select(ChangeEvent.entity_version)
        .where(ChangeEvent.entity_id == key)
        .order_by(ChangeEvent.id)
    )
    assert list(rows) == list(range(1, 8))


def test_a_failed_append_commits_nothing(app_ctx, db_kind: str) -> None:
    """An append the server refuses (here an entity version out of an integer's range)
    is raised as SQLAlchemy's error (its class tells the API a 409 from a 503); the rows
    of its transaction are not committed and the session goes on after a rollback
    (PostgreSQL: the append's error arrives with the pipelined commit's answer)."""
    if db_kind != "postgresql":
        pytest.skip("SQLite stores any integer: nothing to refuse")
    session = Session(db.engine)
    name = "test-failed-append"
    try:
        session.add(ConsumerCursor(name=name, position=7, updated_at=clock.now()))
        work = UnitOfWork(session)
        work.record("enterprise", "91320000FAIL0000XX", 2**40)
        with pytest.raises(sa.exc.DataError):
            work.commit()
        session.rollback()
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(ConsumerCursor)
                .where(ConsumerCursor.name == name)
            )
            == 0
        )
        assert session.scalar(sa.select(1)) == 1
    finally:
        session.close()
    assert db.session.get(ConsumerCursor, name) is None


def test_indexer_runs_after_commit(app_ctx) -> None:
    records = sample_records(3)
    import_records(records)
    backend = app_ctx.extensions["credit.search"]
    backend.refresh(ENTERPRISES)
    assert backend.count(ENTERPRISES) == 3
    assert changes.backlog(db.session, CONSUMER_NAME) == 0


def test_indexer_down_then_catches_up(app_config: dict, clean_app) -> None:
    # A second app on the same database whose search service is unreachable (a real
    # connection failure), and whose indexer therefore cannot deliver.
    down = make_app(
        {
            **app_config,
            "SEARCH_URL": "http://127.0.0.1:9",
            "EMBEDDED_SEARCH_PATH": "/proc/no-such-dir/search-index",
        }
    )
    records = sample_records(4, seed=21)
    with down.app_context():
        import_records(records)  # commits fine even though indexing fails
        # the 4 enterprises and their first ratings (the ratings consumer needs no search)
        assert changes.backlog(db.session, CONSUMER_NAME) == 8
    # The working app catches up from the cursor.
    with clean_app.app_context():
        backend = clean_app.extensions["credit.search"]
        assert backend.count(ENTERPRISES) == 0
        delivered = changes.run_all(db.session, raise_errors=True)
        assert delivered[CONSUMER_NAME] == 8
        backend.refresh(ENTERPRISES)
        assert backend.count(ENTERPRISES) == 4
        cursor = db.session.get(ConsumerCursor, CONSUMER_NAME)
        assert cursor.position == db.session.scalar(sa.select(sa.func.max(ChangeEvent.id)))
        # Redelivery is harmless (idempotent, versioned writes).
        cursor.position = 0
        db.session.commit()
        assert changes.run_all(db.session, raise_errors=True)[CONSUMER_NAME] == 8
        backend.refresh(ENTERPRISES)
        assert backend.count(ENTERPRISES) == 4


def test_catch_up_command(clean_app) -> None:
    with clean_app.app_context():
        import_records(sample_records(2, seed=9))
        result = clean_app.test_cli_runner().invoke(args=["credit", "index", "catch-up"])
    assert result.exit_code == 0, result.output
    assert '"search-indexer": 0' in result.output


def test_deleted_row_is_removed_from_index(app_ctx) -> None:
    from credit.enterprises.models import Enterprise
    from credit.uow import unit_of_work

    import_records(sample_records(2, seed=4))
    backend = app_ctx.extensions["credit.search"]
    from credit.ratings.models import CurrentRating, RatingRecord

    victim = db.session.scalars(sa.select(Enterprise)).first()
    with unit_of_work() as uow:  # a registration entered by mistake, removed with its ratings
        for model in (CurrentRating, RatingRecord):
            db.session.execute(sa.delete(model).where(model.enterprise_id == victim.id))
        db.session.delete(victim)
        uow.record("enterprise", victim.id, victim.version + 1, op="delete")
    backend.refresh(ENTERPRISES)
    assert backend.get(ENTERPRISES, victim.id) is None
    assert backend.count(ENTERPRISES) == 1


def test_reindex_rebuilds_from_database(clean_app) -> None:
    with clean_app.app_context():
        import_records(sample_records(25, seed=2))
        backend = clean_app.extensions["credit.search"]
        backend.drop(ENTERPRISES)
        result = clean_app.test_cli_runner().invoke(args=["credit", "index", "reindex"])
        assert result.exit_code == 0, result.output
        backend.refresh(ENTERPRISES)
        assert backend.count(ENTERPRISES) == 25


def test_poller_sweeps_expired_pledges_and_catches_up(
    app_config: dict, clean_app, frozen_clock
) -> None:
    """The background poller (a thread of one process; deployments run the worker)
    expires pledges no request touches and delivers their events."""
    import time as _time
    from datetime import timedelta

    from credit import clock
    from credit.pledges.models import Pledge
    from tests.parties import make_pledge, seed_templates

    with clean_app.app_context():
        seed_templates()
        rec = sample_records(1, seed=12)[0]
        import_records([rec])
        pledge = make_pledge(rec["uscc"], publish=True)
        pledge_id = pledge.id
        frozen_clock.advance((pledge.valid_until - clock.today()).days * 86400 + 2 * 86400)
    polling = make_app({**app_config, "INDEXER_POLL_SECONDS": 0.1})
    try:
        deadline = _time.monotonic() + 15
        while _time.monotonic() < deadline:
            with clean_app.app_context():
                db.session.remove()
                expired_at = db.session.get(Pledge, pledge_id).expired_at
                backlog = changes.backlog(db.session, CONSUMER_NAME)
            if expired_at is not None and backlog == 0:
                break
            _time.sleep(0.1)
        # The sweep recorded the expiry and the consumers then delivered it.
        assert expired_at is not None
        assert backlog == 0
    finally:
        # joined: a round still in hand would write under the next test's reset
        stop_poller(polling)
    assert timedelta(0) <= frozen_clock.now - expired_at


def test_parallel_reindex_builds_the_same_documents(clean_app) -> None:
    """Worker processes that read rows and build documents give exactly the documents the
    database says each index should hold (the bulk-load path included)."""
    from search.indexer import check, reindex

    runner = clean_app.test_cli_runner()
    for args in (
        ["credit", "pledges", "seed-templates"],
        ["credit", "demo", "--enterprises", "300", "--seed", "3"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with clean_app.app_context():
        backend = clean_app.extensions["credit.search"]
        done = reindex(db.session, backend, batch_size=50, workers=2)
        assert done["enterprises"] == 300 and done["pledges"] > 100 and done["violations"] > 0
        for report in check(db.session, backend, repair=False):
            assert report.expected == report.indexed, report
            assert not (report.missing or report.extra or report.stale), report


def test_processes_of_one_host_deliver_one_at_a_time(app_ctx, monkeypatch) -> None:
    """SQLite takes no row lock on a read, so two processes could deliver the same events
    at once and the slower could write an older search document last. Deliveries take a
    host-wide lock: a process waits for the other's delivery to end, then delivers what is
    left; one that waited past the bound leaves the backlog to the other."""
    import os
    import subprocess
    import sys
    import time

    engine = db.engine
    lock = changes._deliveries_lock(engine)
    if engine.dialect.name != "sqlite":
        assert lock is None  # the cursor row's FOR UPDATE serialises deliveries instead
        return
    assert lock is not None
    path = os.path.realpath(engine.url.database) + "-deliveries.lock"

    def hold(seconds: float) -> subprocess.Popen:
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import fcntl, os, sys, time\n"
                "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                "print('held', flush=True)\n"
                "time.sleep(float(sys.argv[2]))\n",
                path,
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout.readline().strip() == "held"
        return holder

    holder = hold(30)
    try:
        monkeypatch.setattr(changes, "DELIVERY_WAIT_SECONDS", 0.3)
        import_records(sample_records(3, seed=77))  # its after-commit delivery gives up
        assert changes.backlog(db.session, CONSUMER_NAME) > 0
    finally:
        holder.kill()
        holder.wait()

    holder = hold(1.0)
    monkeypatch.setattr(changes, "DELIVERY_WAIT_SECONDS", 30)
    started = time.monotonic()
    results = changes.run_all(db.session, raise_errors=True)
    waited = time.monotonic() - started
    holder.wait()
    assert waited >= 0.5  # it waited for the other process's delivery to end
    assert results[CONSUMER_NAME] > 0
    assert changes.backlog(db.session, CONSUMER_NAME) == 0
