"""The log in the database: its leaves, the hash of every complete subtree, and its head.

``log_leaf``  one row per entry: its index, the entry's bytes and its leaf hash;
``log_node``  one row per complete subtree (``credit.translog.merkle``), keyed by one
              integer, ``level << 48 | index`` (a single-column primary key: the proof of
              any size reads its few dozen nodes in one query, ``key = ANY(array)`` on
              PostgreSQL, an ``IN`` list on SQLite: ``read_nodes``);
``log_head``  one row: the log's size, moved forward only by an ``UPDATE ... WHERE size =
              old``, so two appenders can never both append at the same index (the loser's
              transaction fails whole, nothing half-written).

Rows are written once and never updated (the head's size aside): an edit of a leaf or a
node shows as a root no checkpoint signed, which ``credit log verify`` finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from credit import clock
from credit.errors import Conflict
from credit.extensions import db
from credit.translog.merkle import HASH_SIZE, Tree, appended, leaf_hash
from credit.types import UtcDateTime

#: Bits of a node key that hold the index within a level: room for 2^48 leaves.
INDEX_BITS = 48

T = TypeVar("T")


def node_key(level: int, index: int) -> int:
    return level << INDEX_BITS | index


class LogLeaf(db.Model):
    __tablename__ = "log_leaf"

    index: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    entry: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(HASH_SIZE), nullable=False)


class LogNode(db.Model):
    __tablename__ = "log_node"

    key: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(HASH_SIZE), nullable=False)


class LogHead(db.Model):
    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


def size(session: Session) -> int:
    found = session.scalar(sa.select(LogHead.size).where(LogHead.id == 1))
    return int(found or 0)


def _frontier(n: int) -> list[int]:
    """The keys of the complete subtrees a leaf appended at ``n`` may pair with: one per
    set bit of ``n`` (the binary decomposition of the tree's right edge)."""
    return [node_key(level, (n >> level) - 1) for level in range(n.bit_length()) if n >> level & 1]


#: Keys per ``IN`` list on SQLite (its bound-parameter limit is far above; a proof needs
#: a few dozen).
_CHUNK = 500


def read_nodes(session: Session, keys: Iterable[int]) -> dict[int, bytes]:
    """The stored hashes of ``keys`` (node keys), in one query for a proof's few dozen;
    ``LookupError`` naming the first missing node.

    The query goes to the driver as SQL text, one statement for any number of keys on
    PostgreSQL (``key = ANY(...)`` of one bound array literal: psycopg prepares it once
    per connection and the server plans it once), an ``IN`` list of bound parameters on
    SQLite, and the rows are fetched at once: the ORM's select with an expanding ``IN`` of
    ``BigInteger`` spent more in compiling, rendering and processing parameters and rows
    than the database spent finding them (issue 21's 5 ms budget at 10 million entries:
    ~1 ms of client CPU a proof, now ~0.45 ms on PostgreSQL).

    No cache: nodes are written once, so a cache keyed by node would be right for one
    log's life, but a database reset or restored (the tests' every run) would leave it
    serving the hashes of another log."""
    wanted = sorted(set(keys))
    conn = session.connection()
    found: dict[int, bytes] = {}
    if conn.dialect.name == "postgresql":
        if wanted:  # the array as one literal: psycopg's list dumper costs ~5 µs a key
            literal = "{" + ",".join(map(str, wanted)) + "}"
            rows = conn.exec_driver_sql(_SELECT_ANY, (literal,)).fetchall()
            found.update((key, bytes(value)) for key, value in rows)
    else:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            # the table and column names are constants; the keys are bound
            sql = _SELECT_IN.format(marks=", ".join([mark] * len(chunk)))
            rows = conn.exec_driver_sql(sql, tuple(chunk)).fetchall()
            found.update((key, bytes(value)) for key, value in rows)
    missing = [k for k in wanted if k not in found]
    if missing:
        level, index = missing[0] >> INDEX_BITS, missing[0] & ((1 << INDEX_BITS) - 1)
        raise LookupError(f"the log has no node at level {level}, index {index}")
    return found


_SELECT_ANY = "SELECT key, hash FROM log_node WHERE key = ANY(CAST(%s AS bigint[]))"
_SELECT_IN = "SELECT key, hash FROM log_node WHERE key IN ({marks})"


def append(session: Session, entries: Sequence[bytes]) -> int:
    """Append ``entries`` in order in the caller's transaction; the index of the first.
    The nodes they complete are computed in memory from the tree's right edge (at most
    log2(n) stored hashes read) and written with the leaves in two bulk inserts."""
    old = size(session)
    if not entries:
        return old
    nodes = {k: v for k, v in read_nodes(session, _frontier(old)).items()}

    def node(level: int, index: int) -> bytes:
        return nodes[node_key(level, index)]

    leaves, new_nodes = [], []
    for offset, entry in enumerate(entries):
        index = old + offset
        digest = leaf_hash(entry)
        leaves.append((index, entry, digest))
        for level, at, value in appended(index, digest, node):
            key = node_key(level, at)
            nodes[key] = value
            new_nodes.append((key, value))
    new = old + len(entries)
    if old == 0 and session.get(LogHead, 1) is None:
        session.execute(sa.insert(LogHead).values(id=1, size=new, updated_at=clock.now()))
    else:
        moved = session.execute(
            sa.update(LogHead)
            .where(LogHead.id == 1, LogHead.size == old)
            .values(size=new, updated_at=clock.now())
        ).rowcount
        if moved != 1:
            raise Conflict("另一写入者同时追加了日志 (the log grew under this append)")
    conn = session.connection()
    insert_many(conn, LogLeaf.__tablename__, ("index", "entry", "leaf_hash"), leaves)
    insert_many(conn, LogNode.__tablename__, ("key", "hash"), new_nodes)
    return old


def insert_many(
    conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """The driver's executemany with plain tuples: the ORM's bulk insert spent ~40 µs a
    row and Core's parameter processing ~15 µs (bytes and integers need none), which
    kept appends under 10,000 a second."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join([mark] * len(columns))
    # the table and column names are this module's constants, quoted; values are bound
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(sql, rows)


def _planned(tree_size: int, run: Callable[[Tree], T], session: Session) -> T:
    """Run ``run`` on the tree of ``tree_size`` leaves with every node it reads fetched in
    one query: a first pass records the keys (the keys depend only on the sizes and
    indexes asked, never on the hashes), the second reads them."""
    keys: list[int] = []

    def record(level: int, index: int) -> bytes:
        keys.append(node_key(level, index))
        return bytes(HASH_SIZE)

    run(Tree(tree_size, record))
    found = read_nodes(session, keys)
    return run(Tree(tree_size, lambda level, index: found[node_key(level, index)]))


def root(session: Session, tree_size: int) -> bytes:
    return _planned(tree_size, Tree.root, session)


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    return _planned(tree_size, lambda t: t.inclusion_proof(index), session)


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    return _planned(second, lambda t: t.consistency_proof(first), session)


def leaf(session: Session, index: int) -> LogLeaf | None:
    return session.get(LogLeaf, index)
