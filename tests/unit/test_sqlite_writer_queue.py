"""SQLite's writers queue (credit/database.py ``WriterQueue``): a write transaction waits
for the one before it on a lock that hands over at once, in this process and across
processes, instead of sleeping in SQLite's busy handler; and it is bounded like that
handler. Each test proves the queue did the waiting by giving the waiting connection no
busy timeout at all: without the queue its write would fail at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import credit.database
from credit.config import load_settings
from credit.database import WriterQueueConnection, engine_options

ROOT = Path(__file__).resolve().parents[2]


def _connect(path: Path) -> WriterQueueConnection:
    # timeout=0: SQLite's own busy handler never waits, so only the queue can.
    conn = sqlite3.connect(path, timeout=0, factory=WriterQueueConnection, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queue.db"
    conn = _connect(path)
    conn.cursor().execute("CREATE TABLE t (who TEXT)")
    conn.commit()
    conn.close()
    return path


def test_a_transaction_joins_at_its_first_write_and_leaves_at_commit_or_rollback(
    database: Path,
) -> None:
    conn = _connect(database)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM t").fetchall()
    assert not conn._queued  # reads never queue
    cur.execute("INSERT INTO t VALUES ('a')")
    assert conn._queued and conn.in_transaction
    cur.execute("UPDATE t SET who = 'b'")  # the same transaction: still one place
    conn.commit()
    assert not conn._queued
    cur.executemany("INSERT INTO t VALUES (?)", [("c",), ("d",)])
    assert conn._queued
    conn.rollback()
    assert not conn._queued
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        cur.execute("INSERT INTO missing VALUES (1)")
    assert not conn._queued  # a write that never began leaves at once
    cur.execute("INSERT INTO t VALUES ('e')")
    conn.close()  # closing with a transaction open leaves the queue too
    assert not conn._queued
    other = _connect(database)
    other.cursor().execute("INSERT INTO t VALUES ('f')")  # not blocked by the closed one
    other.commit()
    assert [r[0] for r in other.execute("SELECT who FROM t ORDER BY rowid")] == ["b", "f"]


def test_a_second_thread_waits_in_the_queue_and_writes_once_the_first_commits(
    database: Path,
) -> None:
    first, second = _connect(database), _connect(database)
    first.cursor().execute("INSERT INTO t VALUES ('first')")
    order: list[str] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            second.cursor().execute("INSERT INTO t VALUES ('second')")
            order.append("second wrote")
            second.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive() and order == []  # waiting, not failed
    order.append("first committed")
    first.commit()
    thread.join(timeout=10)
    assert errors == []
    assert order == ["first committed", "second wrote"]
    rows = [r[0] for r in first.execute("SELECT who FROM t ORDER BY rowid")]
    assert rows == ["first", "second"]


HOLDER = """
import sqlite3, sys
from credit.config import load_settings
from credit.database import WriterQueueConnection, engine_options
conn = sqlite3.connect(sys.argv[1], timeout=0, factory=WriterQueueConnection)
conn.cursor().execute("INSERT INTO t VALUES ('other process')")
print("holding", flush=True)
sys.stdin.readline()
conn.commit()
"""


def test_another_process_waits_for_the_writer_and_gives_up_when_bounded(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        conn = _connect(database)
        monkeypatch.setattr(credit.database, "BUSY_TIMEOUT_SECONDS", 0.2)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            conn.cursor().execute("INSERT INTO t VALUES ('here')")
        assert not conn._queued and not conn.in_transaction
        monkeypatch.setattr(credit.database, "BUSY_TIMEOUT_SECONDS", 10.0)
        waiting = threading.Thread(
            target=lambda: (conn.cursor().execute("INSERT INTO t VALUES ('here')"), conn.commit())
        )
        waiting.start()
        waiting.join(timeout=0.3)
        assert waiting.is_alive()  # queued behind the other process
        holder.stdin.write("commit\n")
        holder.stdin.flush()
        waiting.join(timeout=10)
        assert not waiting.is_alive()
        rows = [r[0] for r in conn.execute("SELECT who FROM t ORDER BY rowid")]
        assert rows == ["other process", "here"]
    finally:
        holder.kill()
        holder.wait()


def test_an_engine_built_from_the_settings_queues_writers_on_a_file_database(
    tmp_path: Path,
) -> None:
    settings = load_settings(env={}, overrides={"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"})
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}", **engine_options(settings))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (who TEXT)"))
            conn.execute(sa.text("INSERT INTO t VALUES ('a')"))
            raw = conn.connection.driver_connection
            assert isinstance(raw, WriterQueueConnection) and raw._queued
        assert not raw._queued
    finally:
        engine.dispose()
    memory = sa.create_engine("sqlite://", **engine_options(settings))
    with memory.connect() as conn:  # no file to lock beside: nothing to queue on
        assert conn.connection.driver_connection._queue is None
    memory.dispose()
