"""The unit of work: the only place that commits.

Domain rows and the change events describing them are flushed and committed in one
transaction, so downstream consumers cannot miss a committed change and never see an
uncommitted one. After the commit, registered after-commit hooks run (by default the
change-feed consumers, for freshness within a second); their failures never undo the
commit: consumers catch up from their cursors later.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from credit import clock
from credit.changes import ChangeEvent
from credit.errors import Conflict, PreconditionFailed
from credit.extensions import db
from credit.idlists import array_text

#: Built once: the statements keep their SQLAlchemy cache keys across requests (every
#: write appends its change events through them).
#: SQLite: the events in the driver's own parameter style (qmark), bound as tuples.
_SQLITE_INSERT_EVENTS = (
    "INSERT INTO change_event (entity_type, entity_id, entity_version, op, occurred_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
_OCCURRED_AT = ChangeEvent.__table__.c.occurred_at.type
#: PostgreSQL: the outbox lock, the wake-up and the events in one round trip. No row
#: reaches the INSERT (which draws each event's id from the sequence) before the
#: materialised ``outbox_lock`` row exists, so every id is drawn under the lock; the
#: events keep the order they were recorded in (``n``).
_PG_APPEND_EVENTS = sa.text(
    """
    WITH outbox_lock AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(:lock_key) AS locked, pg_notify(:channel, '') AS woken
    )
    INSERT INTO change_event (entity_type, entity_id, entity_version, op, occurred_at)
    SELECT e.entity_type, e.entity_id, e.entity_version, e.op, :occurred_at
    FROM outbox_lock
    CROSS JOIN unnest(
        CAST(:entity_types AS varchar[]), CAST(:entity_ids AS varchar[]),
        CAST(:entity_versions AS integer[]), CAST(:ops AS varchar[])
    ) WITH ORDINALITY AS e(entity_type, entity_id, entity_version, op, n)
    ORDER BY e.n
    """
).bindparams(sa.bindparam("occurred_at", type_=ChangeEvent.__table__.c.occurred_at.type))

_COMMIT = b"COMMIT"

log = logging.getLogger(__name__)

# Hooks are kept per database engine, so two apps in one process never run each other's.
_after_commit_hooks: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)

# Any constant: the key of the PostgreSQL advisory lock that orders outbox appends.
_OUTBOX_LOCK_KEY = 7_320_000
#: The PostgreSQL channel notified by every transaction that appends change events; the
#: worker (credit/worker.py) LISTENs on it. NOTIFY is delivered at commit, never on
#: rollback, and repeats within one transaction are folded into one.
CHANGES_CHANNEL = "credit_changes"


_MEMOS = "credit.transaction_memos"
_FLUSH_MEMOS = "credit.flush_memos"


def transaction_memo(name: str, session: Session | None = None, until_flush: bool = False) -> dict:
    """A dict of ``session`` (default ``db.session``) that lives until its transaction ends
    (commit or rollback): for reads one request repeats (a page asks several services about
    one firm), never seen by another transaction. ``until_flush``: also forgotten when the
    session flushes, for answers read with SQL that the transaction's own writes change."""
    session = db.session if session is None else session
    key = _FLUSH_MEMOS if until_flush else _MEMOS
    return session.info.setdefault(key, {}).setdefault(name, {})


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_memos(session: Session, *_: object) -> None:
    session.info.pop(_MEMOS, None)
    session.info.pop(_FLUSH_MEMOS, None)


@sa.event.listens_for(Session, "after_flush")
def _forget_flush_memos(session: Session, *_: object) -> None:
    session.info.pop(_FLUSH_MEMOS, None)


#: SQLSTATE of a unique violation (PostgreSQL) and SQLite's extended result codes for one.
_PG_UNIQUE = "23505"
_SQLITE_UNIQUE = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def is_unique_violation(exc: IntegrityError) -> bool:
    """A clash on a unique constraint or primary key, and not another integrity error
    (foreign key, not-null, check), which stays a bug to be seen."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_UNIQUE:  # psycopg
        return True
    return getattr(orig, "sqlite_errorname", None) in _SQLITE_UNIQUE


def add_after_commit_hook(engine: Engine, hook: Callable[[], None]) -> None:
    _after_commit_hooks.setdefault(engine, []).append(hook)


def clear_after_commit_hooks(engine: Engine) -> None:
    """Run no hook after commits on ``engine`` (the worker: it runs the consumers itself,
    under its leases, and never from inside a sweep's commit)."""
    _after_commit_hooks.pop(engine, None)


class UnitOfWork:
    """Collects change events for the current transaction and commits them with it."""

    def __init__(self, session: Session, keep_loaded: bool = False):
        self.session = session
        self.keep_loaded = keep_loaded
        self._events: list[dict] = []
        #: What this unit of work is about: the first entity recorded, unless a service
        #: names another (``subject = ...``). Stored with an Idempotency-Key in the commit.
        self.subject: tuple[str, str] | None = None

    def record(self, entity_type: str, entity_id: str, version: int, op: str = "upsert") -> None:
        if self.subject is None:
            self.subject = (entity_type, str(entity_id))
        self._events.append(
            {
                "entity_type": entity_type,
                "entity_id": str(entity_id),
                "entity_version": version,
                "op": op,
            }
        )

    def flush_events(self) -> None:
        """Write the events collected so far (used by long imports to bound memory)."""
        if not self._events:
            return
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # Serialise outbox appends until commit so event ids become visible in commit
            # order: a consumer reading "id > cursor" then never skips a slower transaction.
            # In the same round trip: wake the workers when (and only if) this commits. The
            # lock is held from here to the commit.
            connection.execute(_PG_APPEND_EVENTS, self._pg_parameters())
        else:
            # The driver's executemany: nothing is read back, and nothing is done per row
            # (Core's per-row parameter processing was a quarter of a full rescore's
            # writing from nothing: a million events). The instant is bound as SQLAlchemy
            # stores it, processed once.
            now = clock.now()
            dialect = connection.dialect
            process = _OCCURRED_AT.dialect_impl(dialect).bind_processor(dialect)
            at = process(now) if process else now
            connection.exec_driver_sql(
                _SQLITE_INSERT_EVENTS,
                [
                    (e["entity_type"], e["entity_id"], e["entity_version"], e["op"], at)
                    for e in self._events
                ],
            )
        self._events.clear()

    def _pg_parameters(self) -> dict:
        # Each list as its array's text (``array_text``): psycopg's list adapter looks at
        # every element in Python, 13.5 ms of CPU for a rescore batch's 5,000 events (2.7
        # CPU-s of a million firms' rescore from nothing), the text 0.2 ms.
        events = self._events
        return {
            "lock_key": _OUTBOX_LOCK_KEY,
            "channel": CHANGES_CHANNEL,
            "occurred_at": clock.now(),
            "entity_types": array_text(e["entity_type"] for e in events),
            "entity_ids": array_text(e["entity_id"] for e in events),
            "entity_versions": array_text(e["entity_version"] for e in events),
            "ops": array_text(e["op"] for e in events),
        }

    def commit(self) -> None:
        from credit.idempotency import mark_applied

        self.session.flush()
        # An Idempotency-Key request: applied in this commit, with what it is about. Before
        # the events: on PostgreSQL their append holds the outbox lock until the commit.
        mark_applied(self.session, self.subject)
        connection = self.session.connection()
        if self._events and connection.dialect.name == "postgresql":
            # The session's commit below then finds the transaction already committed and
            # only does its own bookkeeping (psycopg sends nothing for an idle connection).
            _append_and_commit_pg(connection, self._pg_parameters())
            self._events.clear()
        else:
            self.flush_events()
        if not self.keep_loaded:
            self.session.commit()
            return
        # What was flushed is what was committed: keep it loaded, so the response is
        # written from it without reading every row back (a write request's answer).
        session = self.session
        if isinstance(session, sa.orm.scoped_session):
            session = session()  # the request's own session behind the registry
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


def _append_and_commit_pg(connection: Connection, parameters: dict) -> None:
    """Append the events and commit in one round trip (psycopg's pipeline mode).

    The outbox lock serialises every writer from the append to the end of its commit. Sent
    apart, the lock was also held over a round trip and over the wait of the committing
    thread for the GIL to send its COMMIT (up to a switch interval, more under load): at
    about 3 ms a write, PostgreSQL writes queued behind each other at about 300 a second.
    Sent together, the lock is held only while PostgreSQL runs the append and the commit.
    The append still runs through SQLAlchemy (its events and statement cache see it); its
    result and any error arrive with the commit's, so a driver error there is raised as
    SQLAlchemy's (an IntegrityError is a 409, a lost server a 503), after invalidating a
    connection that is gone.
    """
    import psycopg

    raw = connection.connection.dbapi_connection
    try:
        with raw.pipeline():
            connection.execute(_PG_APPEND_EVENTS, parameters)
            # Queued, not ``raw.commit()``: that would wait for a Sync of its own, and the
            # pipeline's exit sends one more, a second round trip. The server's answer
            # leaves the connection idle, which is all psycopg knows of a transaction.
            raw.execute(_COMMIT, prepare=False)
    except psycopg.Error as exc:
        gone = raw.closed
        if gone:
            connection.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            str(_PG_APPEND_EVENTS),
            parameters,
            exc,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=gone,
            dialect=connection.dialect,
        ) from exc


@contextmanager
def unit_of_work(
    session: Session | None = None, run_hooks: bool = True, keep_loaded: bool = False
) -> Iterator[UnitOfWork]:
    """``with unit_of_work() as uow:`` ... commits on success, rolls back on any error.

    ``run_hooks=False`` skips the after-commit hooks (bulk loads that catch the consumers
    up themselves, or leave it to ``credit index catch-up``). ``keep_loaded=True`` leaves
    the objects loaded after the commit instead of expiring them: a write request that
    answers with what it wrote then reads nothing back (columns the database fills in
    and never flushed back still load on first access).
    """
    session = session or db.session
    uow = UnitOfWork(session, keep_loaded)
    try:
        yield uow
        uow.commit()
    except StaleDataError:
        # A row's version moved under us: someone else committed first.
        session.rollback()
        raise PreconditionFailed("数据已被他人修改，请重新读取后再试") from None
    except IntegrityError as exc:
        # Two requests raced to create the same thing (a pledge's next version, a decision
        # number, a pending application): the loser is told so, as a 409, not a 500.
        session.rollback()
        if not is_unique_violation(exc):
            raise
        log.info("unique constraint clash at commit: %s", exc.orig)
        raise Conflict(
            "与同时提交的另一请求或已有记录冲突，请重新读取后再试 / conflicts with a "
            "concurrent request or an existing record; read it again and retry"
        ) from None
    except BaseException:
        session.rollback()
        raise
    if run_hooks:
        run_after_commit_hooks(session)


def run_after_commit_hooks(session: Session | None = None) -> None:
    """Run the after-commit hooks now (once, after several ``run_hooks=False`` commits)."""
    session = session or db.session
    hooks = list(_after_commit_hooks.get(session.get_bind(), []))
    if not hooks:
        return
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.exception("after-commit hook failed; consumers will catch up later")
    plain = session() if isinstance(session, scoped_session) else session
    if plain.in_transaction():
        # A hook that failed part-way (the database went away just after the commit) may
        # leave the session's transaction on a dead connection; end it, so the request can
        # still read what it committed (reconnecting, or a 503 if the database is down)
        # instead of failing with PendingRollbackError.
        try:
            session.rollback()
        except Exception:
            log.warning("rollback after the after-commit hooks failed", exc_info=True)
