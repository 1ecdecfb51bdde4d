"""Connection-level settings every engine gets, whatever creates it."""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from credit.extensions import db

#: JSON columns read by orjson rather than the standard library's ``json`` on every
#: database (on PostgreSQL ``_json_reader`` does it for any engine too): a rebuild reads a
#: pledge's three JSON columns for its document, about 3 µs of a builder's CPU with
#: ``json`` on SQLite. Values are written by ``json.dumps`` (no NaN), which orjson reads
#: the same.
JSON_READER: dict[str, Any] = {"json_deserializer": orjson.loads}


def standalone_engine(url: str) -> sa.Engine:
    """An engine made outside the app (a rebuild's builders, a rescore's readers): the
    connection settings of this module's listeners, JSON read as the app reads it."""
    return sa.create_engine(url, **JSON_READER)


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database: a pooled connection is
    tested before use (pre-ping), so after a PostgreSQL restart the dead connections are
    replaced on the next request without restarting the app; on PostgreSQL only when it
    has been idle for ``PING_AFTER_IDLE_SECONDS`` (``_ping_if_idle``), and connecting,
    waiting for a pooled connection and running a statement are each bounded, so a
    database that is down or stuck answers 503 quickly instead of holding the request."""
    options: dict[str, Any] = {"pool_pre_ping": True, **JSON_READER}
    if str(settings["CREDIT_DATABASE_URL"]).startswith("sqlite"):
        options["connect_args"] = {"factory": WriterQueueConnection}
        return options
    if not str(settings["CREDIT_DATABASE_URL"]).startswith("postgresql"):
        return options
    options["pool_pre_ping"] = False  # tested when idle instead: _ping_if_idle
    connect_args: dict[str, Any] = {"connect_timeout": settings["CREDIT_DATABASE_CONNECT_TIMEOUT"]}
    statement_ms = round(settings["CREDIT_DATABASE_STATEMENT_TIMEOUT"] * 1000)
    if statement_ms:
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
    options["pool_timeout"] = settings["CREDIT_DATABASE_POOL_TIMEOUT"]
    options["connect_args"] = connect_args
    return options


#: A pooled PostgreSQL connection checked in less than this long ago is handed out
#: untested; one idle for longer is tested first (a ``SELECT 1``). A busy server reuses its
#: connections within milliseconds, and testing each one cost a round trip on every request
#: (one of eight on a write); the same bypass window as HikariCP's ``aliveBypassWindowMs``.
#: A connection that died within the window (the server restarted under load) fails its
#: statement instead: the request answers 503 and SQLAlchemy, seeing the disconnect,
#: retires every connection of the pool opened before it.
PING_AFTER_IDLE_SECONDS = 0.5
_IDLE_SINCE = "credit_idle_since"


def _is_psycopg(dbapi_connection: Any) -> bool:
    """A PostgreSQL connection (psycopg): tested when idle (``_ping_if_idle``), its JSON
    read by orjson (``_json_reader``)."""
    return any(c.__module__.startswith("psycopg.") for c in type(dbapi_connection).__mro__)


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection: Any, record: Any) -> None:
    if record is not None and dbapi_connection is not None and _is_psycopg(dbapi_connection):
        record.info[_IDLE_SINCE] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Test a PostgreSQL connection that has been idle past ``PING_AFTER_IDLE_SECONDS``
    (as SQLAlchemy's pre-ping does: ``SELECT 1`` outside a transaction). A dead one raises
    ``DisconnectionError``, on which the pool discards it and checks out another."""
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as exc:  # any driver error: the connection is not usable
        raise sa.exc.DisconnectionError(f"idle connection failed its test: {exc}") from exc


#: How long a write waits for the database (SQLite's busy_timeout, and the writer queue).
BUSY_TIMEOUT_SECONDS = 10.0
#: The statements before which sqlite3 opens a transaction by itself (its legacy
#: transaction control, which SQLAlchemy's pysqlite dialect uses).
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class HostLock:
    """One holder at a time among the threads and processes of one host: a thread lock,
    then an ``flock`` of ``path`` polled every half millisecond (so a waiter gets it
    within a millisecond of its release, with no busy handler's sleeps)."""

    def __init__(self, path: str):
        self._thread = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True once held."""
        deadline = time.monotonic() + timeout
        if not self._thread.acquire(timeout=max(timeout, 0.0)):
            return False
        try:
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._thread.release()
                        return False
                    time.sleep(0.0005)
        except BaseException:
            self._thread.release()
            raise

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()


def host_lock(database: str | None, suffix: str) -> HostLock | None:
    """The ``HostLock`` of the file ``<database><suffix>`` (one per process: a forked
    worker opens its own), or None for an in-memory or URI database, which has no file
    to lock beside."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (os.getpid(), os.path.realpath(database) + suffix)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = HostLock(key[1])
        return lock


_LOCKS: dict[tuple[int, str], HostLock] = {}
_LOCKS_GUARD = threading.Lock()


class WriterQueue:
    """The writers of one SQLite database file, one at a time and handed over at once.

    SQLite lets one transaction write at a time; the others wait in its busy handler,
    which sleeps and retries on a fixed schedule (1, 2, 5, 10 ... 100 ms). Under a burst of
    writes from several threads and processes the sleeps, not the work, make the slow
    tail: a write that lost a few rounds waited hundreds of milliseconds while the
    database sat idle. Here a writer waits in the ``HostLock`` of the file
    ``<database>-writers.lock``; SQLite then finds its write lock free. Bounded like the
    busy handler: after ``BUSY_TIMEOUT_SECONDS`` the write fails with SQLite's own
    "database is locked" error."""

    def __init__(self, lock: HostLock):
        self._lock = lock

    @classmethod
    def of(cls, database: str) -> WriterQueue | None:
        lock = host_lock(database, "-writers.lock")
        return None if lock is None else cls(lock)

    def acquire(self) -> None:
        if not self._lock.acquire(BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")

    def release(self) -> None:
        self._lock.release()


class _QueuedCursor(sqlite3.Cursor):
    """Joins its connection's writer queue before the statement that opens a write
    transaction."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.connection._run_queued(super().execute, sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        return self.connection._run_queued(super().executemany, sql, seq_of_parameters)


class WriterQueueConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions queue in the file's ``WriterQueue``:
    joined before the first INSERT/UPDATE/DELETE of a transaction, left after its commit
    or rollback (or when the connection closes)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any):
        super().__init__(database, *args, **kwargs)
        path = os.fspath(database) if isinstance(database, (str, os.PathLike)) else None
        self._queue = WriterQueue.of(path) if isinstance(path, str) else None
        self._queued = False

    def cursor(self, factory: Any = _QueuedCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def _run_queued(self, run: Callable[[str, Any], Any], sql: str, arg: Any) -> Any:
        """``run(sql, arg)``, first joining the queue if ``sql`` opens a write transaction.
        A write that failed before its transaction began (no BEGIN was run) leaves the
        queue at once; one inside a transaction leaves at its rollback."""
        if (
            self._queue is not None
            and not self._queued
            and not self.in_transaction
            and sql.lstrip()[:7].upper().startswith(_DML)
        ):
            self._queue.acquire()
            self._queued = True
        try:
            return run(sql, arg)
        except BaseException:
            self._leave_if_ended()
            raise

    def _leave_if_ended(self) -> None:
        if self._queued and not self.in_transaction:
            self._queued = False
            self._queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_if_ended()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_if_ended()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._queued:
                self._queued = False
                self._queue.release()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite durability and integrity: WAL, full fsync, foreign keys, wait on locks."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_SECONDS * 1000)}")
    cur.close()


@event.listens_for(Engine, "connect")
def _json_reader(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL's JSON values read by orjson rather than the standard library's
    ``json``: a search rebuild reads a pledge's clauses and commitments for its document,
    and building one took 47 µs of CPU with ``json``, 42 with orjson. Values are written
    by ``json.dumps`` (no NaN), which orjson reads the same."""
    if _is_psycopg(dbapi_connection):
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads, dbapi_connection)


@functools.cache
def prepared_keeping_connection() -> type:
    """psycopg's ``Connection``, except that a rollback keeps the statements it prepared.

    psycopg prepares a statement on the server once a connection has run it five times,
    and forgets every one on a rollback (it sends ``DEALLOCATE ALL``). Each request ends
    its transaction with a rollback when it wrote nothing, so no statement of the web
    processes was ever prepared: PostgreSQL parsed and planned each of a profile page's 20
    statements every time (at a million firms, 2.1 of its 6.3 ms of statements; the
    page's time 13.7 -> 11.6 ms with them kept). PostgreSQL keeps prepared statements
    across a rollback (they belong to the session, not the transaction); psycopg forgets
    them in case the rolled-back transaction dropped or changed what they name, which no
    process of the platform does (it still forgets them after a ``DROP`` or ``ALTER``
    run on the connection, and on ``DISCARD ALL``). The override is of psycopg's private
    rollback step: psycopg's version is pinned in setup.cfg, and
    tests/services/test_prepared_statements.py fails if an upgrade changes that step.
    Built on first use: psycopg is imported only where PostgreSQL is configured."""
    import psycopg

    class Connection(psycopg.Connection):
        def _rollback_gen(self):  # type: ignore[no-untyped-def]
            prepared = self._prepared
            prepared.clear = _keep  # for this rollback only (the instance's, then removed)
            try:
                return (yield from super()._rollback_gen())
            finally:
                del prepared.clear

    return Connection


def _keep() -> bool:
    return False  # nothing forgotten, nothing to deallocate


@event.listens_for(Engine, "do_connect")
def _connect_keeping_prepared(dialect: Any, _record: Any, cargs: list, cparams: dict) -> Any:
    """PostgreSQL connections (psycopg) of ``prepared_keeping_connection``."""
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return None  # the dialect connects as it does by default
    return prepared_keeping_connection().connect(*cargs, **cparams)


def ping() -> str | None:
    """None when the database answers; otherwise the error's class name (for /readyz)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        return type(exc).__name__
