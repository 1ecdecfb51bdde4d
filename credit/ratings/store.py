"""Rate batches of enterprises and store what changed; the engine of the consumer, the
freshness sweep and the batch rescore alike.

A result equal to the stored one (same model, inputs, score, contributions and next change
date) writes nothing. A history row is written only when something a reader of the history
would see changed: the grade, the score, the model version or the inputs (their digest).
A result that differs only in what time alone moves (the next change date, a record's age,
how a capped total is shared out) confirms the current rating instead: its next change date
and ``updated_at`` (when it was last confirmed) are updated, and no history row is written,
so re-rating an unchanged firm never repeats its history. Every history row also appends a
``rating`` change event: the search indexer turns it into a new enterprise document, and
the transparency log records the rating as published (grade, score, model version and
inputs digest), so a new model version or new inputs under the same score are in the log
too.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock
from credit.changes import ConsumerCursor
from credit.ratings.catalog import catalog
from credit.ratings.facts import Selection, driver_rows, load_facts
from credit.ratings.models import CurrentRating, RatingRecord
from credit.scoring.engine import rate
from credit.scoring.facts import EnterpriseFacts
from credit.scoring.model import ScoringModel
from credit.uow import UnitOfWork

ENTITY = "rating"
CONSUMER_NAME = "ratings"


@dataclass
class Stats:
    """Counts, and the seconds spent reading facts, scoring and writing (where the time
    goes). A batch rescore (``credit.ratings.batch``) counts CPU seconds of the thread
    that did the work, summed over its reader processes (wall seconds on a shared host
    say more about the others); ``rescore`` counts wall seconds."""

    rated: int = 0
    written: int = 0  # history rows (a new published result)
    confirmed: int = 0  # current ratings confirmed without a history row
    events: int = 0
    load_s: float = 0.0
    score_s: float = 0.0
    store_s: float = 0.0

    def add(self, other: Stats) -> None:
        for name in ("rated", "written", "confirmed", "events", "load_s", "score_s", "store_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


#: The history row of a result, in this order (``Result``): the values of these columns of
#: ``rating``; ``trigger`` and ``computed_at`` are added when it is stored.
ROW_COLUMNS = (
    "enterprise_id",
    "model_version",
    "as_of",
    "score",
    "grade",
    "tier",
    "inputs_digest",
    "contributions",
    "hard_rules",
    "next_change",
)
_MODEL, _SCORE, _GRADE, _TIER, _INPUTS, _NEXT = 1, 3, 4, 5, 6, 9

#: One computed rating, ready to store: (enterprise id, history row as ``ROW_COLUMNS``,
#: result digest). Tuples, not dicts: a million of them cross from the reader processes
#: to the writer and are bound as positional parameters.
Result = tuple[str, tuple, str]


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def to_json(value: list) -> str:
    """A stored rating's JSON text: compact, non-ASCII as is (the bytes of
    ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, which the result
    digests of stored ratings were made from). orjson writes the same bytes for what a
    contribution holds (strings, integers, booleans, None; tests/unit/test_rating_encoding.py)
    about five times faster; what it refuses (a lone surrogate, an integer past 64 bits)
    goes through ``json``. A float would not be the same text (``1e-05``): no signal
    puts one in a contribution."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _JSON(value)


def compute(facts: Iterable[EnterpriseFacts], model: ScoringModel, as_of: date) -> list[Result]:
    """Rate each enterprise; pure apart from hashing, so it can run in worker processes.
    The history row carries its JSON already serialised (it is hashed anyway)."""
    out: list[Result] = []
    dumps = to_json
    day = as_of.isoformat()
    for f in facts:
        r = rate(f, as_of, model)
        contributions = dumps([c.as_row() for c in r.contributions])
        nxt = r.next_change.isoformat() if r.next_change else None
        digest = hashlib.sha256(
            f"{r.model_version}|{r.inputs_digest}|{r.score}|{nxt}|{contributions}".encode()
        ).hexdigest()
        eid = f.enterprise_id
        row = (
            eid,
            r.model_version,
            day,
            r.score,
            r.grade,
            r.tier,
            r.inputs_digest,
            contributions,
            dumps(list(r.hard_rules)) if r.hard_rules else "[]",
            nxt,
        )
        out.append((eid, row, digest))
    return out


_HISTORY_COLUMNS = (*ROW_COLUMNS, "trigger", "computed_at")
_CURRENT_COLUMNS = (
    "enterprise_id",
    "model_version",
    "score",
    "grade",
    "tier",
    "result_digest",
    "next_change",
    "version",
    "updated_at",
)
_CURRENT_VERSION = _CURRENT_COLUMNS.index("version")
#: PostgreSQL is told the types of the pre-serialised values; SQLite stores them as given.
_PG_CASTS = {
    "as_of": "DATE",
    "next_change": "DATE",
    "contributions": "JSON",
    "hard_rules": "JSON",
    "computed_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}


def _placeholder(column: str, dialect: str) -> str:
    """A positional placeholder in the driver's own style (psycopg: %s; sqlite3: ?)."""
    if dialect == "postgresql":
        return f"CAST(%s AS {_PG_CASTS[column]})" if column in _PG_CASTS else "%s"
    return "?"


def _values(columns: tuple[str, ...], dialect: str) -> str:
    return ", ".join(_placeholder(c, dialect) for c in columns)


@lru_cache(maxsize=4)
def _confirm_statement(dialect: str) -> str:
    """Driver-level UPDATE of a current rating that time alone moved (no history row);
    parameters (result digest, next change, updated at, enterprise id)."""
    sets = ", ".join(
        f"{c} = {_placeholder(c, dialect)}" for c in ("result_digest", "next_change", "updated_at")
    )
    where = _placeholder("enterprise_id", dialect)
    return f"UPDATE current_rating SET {sets} WHERE enterprise_id = {where}"  # noqa: S608


def _last_inputs(session: Session, ids: list[str]) -> dict[str, tuple[str, str]]:
    """(model version, inputs digest) of each enterprise's newest history row."""
    out: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 5000):
        newest = (
            sa.select(sa.func.max(RatingRecord.id))
            .where(RatingRecord.enterprise_id.in_(ids[start : start + 5000]))
            .group_by(RatingRecord.enterprise_id)
        )
        out.update(
            (eid, (model, digest))
            for eid, model, digest in session.execute(
                sa.select(
                    RatingRecord.enterprise_id,
                    RatingRecord.model_version,
                    RatingRecord.inputs_digest,
                ).where(RatingRecord.id.in_(newest))
            )
        )
    return out


@lru_cache(maxsize=4)
def _statements(dialect: str) -> tuple[str, str, str]:
    """Driver-level statements: INSERT of history rows, INSERT of a first current rating
    and UPDATE of a later one (its values, then the enterprise id). A million rows are
    written without per-row processing (the values are serialised by ``compute``)."""
    # Only the constant column names above are interpolated; values are bound.
    cols, curs = ", ".join(_HISTORY_COLUMNS), ", ".join(_CURRENT_COLUMNS)
    sets = ", ".join(f"{c} = {_placeholder(c, dialect)}" for c in _CURRENT_COLUMNS[1:])
    history_values = _values(_HISTORY_COLUMNS, dialect)
    current_values = _values(_CURRENT_COLUMNS, dialect)
    where = _placeholder("enterprise_id", dialect)
    # SQLite: OR FAIL (one row a statement: the same as the default ABORT) spares each row
    # a statement journal, which an INSERT into a table with triggers keeps when a conflict
    # may ABORT (written to a temporary file: 30 CPU seconds of writing a rescore from
    # nothing instead of 23; the triggers RAISE(FAIL) for the same reason, migration 0025).
    fail = " OR FAIL" if dialect == "sqlite" else ""
    return (
        f"INSERT INTO rating ({cols}) VALUES ({history_values})",  # noqa: S608
        f"INSERT{fail} INTO current_rating ({curs}) VALUES ({current_values})",
        f"UPDATE current_rating SET {sets} WHERE enterprise_id = {where}",  # noqa: S608
    )


def _first_and_later(current: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Current ratings seen for the first time (INSERT rows) and the others (UPDATE rows:
    the enterprise id last). The current ratings were read under ``lock_ratings`` in this
    transaction, so a firm without one still has none (inserting it cannot conflict) and
    a firm with one still has it."""
    first = [row for row in current if row[_CURRENT_VERSION] == 1]
    later = [(*row[1:], row[0]) for row in current if row[_CURRENT_VERSION] != 1]
    return first, later


def _copy_postgresql(connection: sa.Connection, history: list[tuple], first: list[tuple]) -> None:
    """Write history rows, and current ratings seen for the first time, with ``COPY``. A
    row through ``COPY`` costs the server and psycopg a fraction of an ``INSERT`` in a
    pipeline (a full rescore from nothing on PostgreSQL spent half its time writing)."""
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(_copy_statement("rating", _HISTORY_COLUMNS)) as copy:
            for row in history:
                copy.write_row(row)
        if first:
            with cursor.copy(_copy_statement("current_rating", _CURRENT_COLUMNS)) as copy:
                for row in first:
                    copy.write_row(row)


@lru_cache(maxsize=4)
def _copy_statement(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def _instant(value: datetime, dialect: str) -> str:
    """A UTC instant as the stored text: naive on SQLite (like ``UtcDateTime``)."""
    utc = value.astimezone(UTC)
    if dialect == "postgresql":
        return utc.isoformat()
    return utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _stored(
    session: Session, ids: list[str], span: Selection | None
) -> dict[str, tuple[str, int, str, int]]:
    """(result digest, score, grade, version) of the enterprises' current ratings. With
    ``span`` (a batch's id range, holding every id of ``ids``), one range read of it
    instead of lists of 5,000 ids, whose statements are compiled anew each time."""
    columns = (
        CurrentRating.enterprise_id,
        CurrentRating.result_digest,
        CurrentRating.score,
        CurrentRating.grade,
        CurrentRating.version,
    )
    if span is not None:
        where = span.where(CurrentRating.enterprise_id)
        return {row[0]: row[1:] for row in driver_rows(session, sa.select(*columns).where(where))}
    stored: dict[str, tuple] = {}
    for start in range(0, len(ids), 5000):
        stored.update(
            (row[0], row[1:])
            for row in session.execute(
                sa.select(*columns).where(
                    CurrentRating.enterprise_id.in_(ids[start : start + 5000])
                )
            )
        )
    return stored


def store(
    session: Session, results: list[Result], trigger: str, span: Selection | None = None
) -> Stats:
    """Write the results that differ from the stored ones, in the caller's transaction.
    ``span``: the id range the results were read from (a batch rescore's), if any."""
    stats = Stats(rated=len(results))
    if not results:
        return stats
    stored = _stored(session, [eid for eid, _, _ in results], span)
    connection = session.connection()
    dialect = connection.dialect.name
    now = _instant(clock.now(), dialect)
    history: list[tuple] = []
    current: list[tuple] = []
    confirm: list[tuple] = []
    events: list[tuple[str, int]] = []
    moved = [
        eid
        for eid, row, digest in results
        if (before := stored.get(eid)) is not None
        and before[0] != digest
        and (before[1], before[2]) == (row[_SCORE], row[_GRADE])
    ]
    last = _last_inputs(session, moved) if moved else {}
    for eid, row, digest in results:
        before = stored.get(eid)
        if before is not None and before[0] == digest:
            continue
        if before is not None and last.get(eid) == (row[_MODEL], row[_INPUTS]):
            # Same grade, score, model and inputs: time alone moved it. Confirm, no history.
            confirm.append((digest, row[_NEXT], now, eid))
            continue
        version = 1 if before is None else before[3] + 1
        history.append((*row, trigger, now))
        current.append(
            (
                eid,
                row[_MODEL],
                row[_SCORE],
                row[_GRADE],
                row[_TIER],
                digest,
                row[_NEXT],
                version,
                now,
            )
        )
        events.append((eid, version))
    if confirm:
        connection.exec_driver_sql(_confirm_statement(dialect), confirm)
        stats.confirmed = len(confirm)
    if not history:
        return stats
    insert_history, insert_current, update_current = _statements(dialect)
    first, later = _first_and_later(current)
    if dialect == "postgresql":
        _copy_postgresql(connection, history, first)
    else:
        connection.exec_driver_sql(insert_history, history)
        if first:
            connection.exec_driver_sql(insert_current, first)
    if later:
        connection.exec_driver_sql(update_current, later)
    if events:
        uow = UnitOfWork(session)
        for eid, version in events:
            uow.record(ENTITY, eid, version)
        uow.flush_events()
    stats.written = len(history)
    stats.events = len(events)
    return stats


def rescore(
    session: Session,
    selection: Selection,
    *,
    model: ScoringModel | None = None,
    as_of: date | None = None,
    trigger: str = "change",
) -> Stats:
    """Rate the selected enterprises now and store what changed (caller commits)."""
    model = model or catalog(session).get()  # the current model as of this transaction
    started = time.perf_counter()
    facts = load_facts(session, selection)
    loaded = time.perf_counter()
    results = compute(facts.values(), model, as_of or clock.today())
    scored = time.perf_counter()
    stats = store(session, results, trigger)
    stats.load_s, stats.score_s = loaded - started, scored - loaded
    stats.store_s = time.perf_counter() - scored
    return stats


def lock_ratings(session: Session) -> None:
    """Serialise with the ratings consumer (its cursor row), so a batch rescore and the
    consumer never write one enterprise's rating from different snapshots."""
    exists = session.scalar(
        sa.select(ConsumerCursor.name).where(ConsumerCursor.name == CONSUMER_NAME).with_for_update()
    )
    if exists is None:
        session.execute(
            sa.insert(ConsumerCursor).values(name=CONSUMER_NAME, position=0, updated_at=clock.now())
        )
