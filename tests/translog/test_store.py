"""The log in the database (issue 21): appended in batches of any size, it holds the same
tree as the in-memory one (roots and proofs of every size, checked by the independent
verifier); a proof reads its nodes in one query; two appenders at the same size cannot both
win; the rows a proof needs missing is an error, never a wrong proof."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from credit.errors import Conflict
from credit.extensions import db
from credit.translog import store
from credit.translog.merkle import EMPTY_ROOT, MemoryTree
from tests.translog import rfc9162


def test_batches_of_any_size_make_the_same_tree(app_ctx) -> None:
    rng = random.Random(7)
    entries = [rng.randbytes(rng.randrange(1, 30)) for _ in range(300)]
    memory = MemoryTree()
    assert store.root(db.session, 0) == EMPTY_ROOT
    at = 0
    while at < len(entries):
        batch = entries[at : at + rng.choice((1, 2, 3, 7, 16, 33))]
        assert store.append(db.session, batch) == at
        db.session.commit()
        for e in batch:
            memory.append(e)
        at += len(batch)
        assert store.size(db.session) == at
        assert store.root(db.session, at) == memory.at().root() == rfc9162.mth(entries[:at])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(store.LogNode)) == len(
        memory.nodes
    )
    for size in (1, 2, 5, 64, 65, 127, 200, 300):
        root = store.root(db.session, size)
        for index in {0, size // 3, size - 1}:
            proof = store.inclusion_proof(db.session, index, size)
            assert proof == memory.at(size).inclusion_proof(index)
            assert rfc9162.verify_inclusion(index, size, rfc9162.leaf(entries[index]), proof, root)
        for first in {1, size // 2 or 1, size}:
            proof = store.consistency_proof(db.session, first, size)
            assert rfc9162.verify_consistency(
                first, size, store.root(db.session, first), root, proof
            )
    assert store.leaf(db.session, 5).entry == entries[5]


def test_a_proof_reads_its_nodes_in_one_query(app_ctx) -> None:
    store.append(db.session, [bytes([i % 256, i // 256]) for i in range(1000)])
    db.session.commit()
    statements: list[str] = []
    engine = db.engine

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        store.inclusion_proof(db.session, 777, 1000)
        store.consistency_proof(db.session, 333, 999)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "log_node" in s]) == 2


def test_two_appenders_at_one_size_cannot_both_win(app_ctx, monkeypatch) -> None:
    store.append(db.session, [b"a", b"b"])
    db.session.commit()
    store.append(db.session, [b"c"])  # the other appender, first to commit
    db.session.commit()
    # this one read the size before that commit: its compare-and-set finds 3, not 2
    monkeypatch.setattr(store, "size", lambda session: 2)
    with pytest.raises(Conflict):
        store.append(db.session, [b"x"])
    db.session.rollback()
    monkeypatch.undo()
    assert store.size(db.session) == 3
    assert [store.leaf(db.session, i).entry for i in range(3)] == [b"a", b"b", b"c"]
    assert store.leaf(db.session, 3) is None


def test_a_missing_node_is_an_error_not_a_wrong_proof(app_ctx) -> None:
    store.append(db.session, [bytes([i]) for i in range(20)])
    db.session.commit()
    db.session.execute(sa.delete(store.LogNode).where(store.LogNode.key == store.node_key(2, 1)))
    db.session.commit()
    with pytest.raises(LookupError, match="level 2, index 1"):
        store.inclusion_proof(db.session, 0, 20)
