"""Reading the public log and signing its checkpoints: what the API, the pages, the reports
and the worker ask of it.

Anyone may read the log; the answers are public by construction (an entry names a record
by its id, its event and its time, and commits to its content). The content and salt of an
entry are served only while it is the latest entry of a record that is public now.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock
from credit.errors import FieldError, NotFound, ValidationFailed
from credit.identity import Identity
from credit.permissions import can_read_public, require
from credit.translog import facts, store
from credit.translog.entries import Entry
from credit.translog.notes import Checkpoint, Signer
from credit.translog.records import LogCheckpoint, LogRecord

#: Largest index or tree size a request may name (the store's keys hold 2^48 leaves).
MAX_SIZE = (1 << 48) - 1


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# -- checkpoints -----------------------------------------------------------------------------
def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.scalar(sa.select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))


def checkpoint_at_least(session: Session, size: int) -> LogCheckpoint | None:
    """The first checkpoint that covers ``size`` entries."""
    return session.scalar(
        sa.select(LogCheckpoint)
        .where(LogCheckpoint.size >= size)
        .order_by(LogCheckpoint.size)
        .limit(1)
    )


def sign_checkpoint(session: Session, signers: Sequence[Signer]) -> LogCheckpoint | None:
    """Sign a checkpoint of the log as it is now when it grew since the last one (or none
    was signed yet); the first signer's name is the origin, the others cosign (a key
    rotation). Returns the new checkpoint, or None when there was nothing new. The caller
    commits; two signers racing insert the same size and one fails whole."""
    if not signers:
        raise ValueError("a checkpoint needs a signing key")
    size = store.size(session)
    last = latest_checkpoint(session)
    if last is not None and last.size >= size:
        return None
    root = store.root(session, size)
    text = Checkpoint(signers[0].name, size, root).text()
    note = signers[0].sign(text)
    for extra in signers[1:]:
        note += extra.sign(text).split("\n\n", 1)[1]
    row = LogCheckpoint(size=size, root=root, note=note, signed_at=clock.now())
    session.add(row)
    session.flush()
    return row


def status(session: Session) -> dict[str, Any]:
    """For ``/readyz``: the log's size and how far its latest signed checkpoint is behind."""
    size = store.size(session)
    last = latest_checkpoint(session)
    age = (clock.now() - last.signed_at).total_seconds() if last else None
    return {
        "size": size,
        "checkpoint_size": last.size if last else None,
        "checkpoint_age_seconds": round(age, 1) if age is not None else None,
        "unsigned_entries": size - (last.size if last else 0),
    }


# -- entries ---------------------------------------------------------------------------------
#: Built once per process: every page and response that names records asks it.
_LATEST_INDEXES = (
    sa.select(LogRecord.kind, LogRecord.record_id, sa.func.max(LogRecord.index))
    .where(
        LogRecord.kind.in_(sa.bindparam("kinds", expanding=True)),
        LogRecord.record_id.in_(sa.bindparam("ids", expanding=True)),
    )
    .group_by(LogRecord.kind, LogRecord.record_id)
)


def log_indexes(session: Session, kind: str, record_ids: Iterable[str]) -> dict[str, int]:
    """The index of the latest entry of each record (records never logged are absent)."""
    found = log_indexes_by_kind(session, [(kind, record_ids)])
    return {rid: index for (_, rid), index in found.items()}


def log_indexes_by_kind(
    session: Session, wanted: Iterable[tuple[str, Iterable[str]]]
) -> dict[tuple[str, str], int]:
    """``log_indexes`` of several kinds of record at once, keyed by (kind, record id): a
    profile names four kinds, and one statement answers them all (ids are unique across
    kinds, so asking every kind about every id finds nothing extra; pairs not asked for
    are dropped all the same)."""
    asked = {(kind, rid) for kind, ids in wanted for rid in ids}
    kinds = sorted({kind for kind, _ in asked})
    ids = sorted({rid for _, rid in asked})
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(_LATEST_INDEXES, {"kinds": kinds, "ids": chunk})
        out.update(((k, rid), int(index)) for k, rid, index in rows if (k, rid) in asked)
    return out


def _bounded(name: str, value: int, upper: int, what: str) -> FieldError | None:
    if not 0 <= value <= upper:
        return FieldError(name, f"{what}: 0 至 {upper} (0 to {upper})", "out_of_range")
    return None


def public_checkpoint(identity: Identity, session: Session) -> LogCheckpoint:
    """The latest signed checkpoint (404 before the first is signed)."""
    require(can_read_public(identity))
    found = latest_checkpoint(session)
    if found is None:
        raise NotFound("日志尚无签名检查点 (no checkpoint has been signed yet)")
    return found


def entry(
    identity: Identity, session: Session, index: int, today: date | None = None
) -> dict[str, Any]:
    """One entry as served: its bytes, leaf hash and fields, and the content and salt while
    they may be shown."""
    require(can_read_public(identity))
    size = store.size(session)
    if not 0 <= index < size:
        raise NotFound(f"日志中没有第 {index} 条 (the log has {size} entries)")
    leaf = store.leaf(session, index)
    record = session.get(LogRecord, index)
    if leaf is None or record is None:
        raise NotFound(f"日志中没有第 {index} 条")
    fields = Entry.decode(leaf.entry)
    latest = _latest(session, record)
    shown = _shown(session, record, latest, today or clock.today())
    return {
        "index": index,
        "entry": b64(leaf.entry),
        "leaf_hash": b64(leaf.leaf_hash),
        "type": fields.event_type,
        "kind": fields.kind,
        "record_id": fields.record_id,
        "at": fields.at,
        "commitment": b64(fields.commitment),
        "content": json.loads(record.content) if shown and record.content else None,
        "salt": b64(record.salt) if shown and record.salt else None,
        "latest_index": latest,
    }


def _latest(session: Session, record: LogRecord) -> int | None:
    return log_indexes(session, record.kind, [record.record_id]).get(record.record_id)


def _shown(session: Session, record: LogRecord, latest: int | None, today: date) -> bool:
    """The entry is the record's latest (``latest``) and the record is public now."""
    if record.content is None or record.salt is None:
        return False
    if latest != record.index:
        return False
    fact = facts.fact_of(session, record.kind, record.record_id, today)
    return fact is not None and fact.public


def content_of(
    session: Session, index: int, today: date | None = None
) -> tuple[bytes, bytes] | None:
    """The canonical content and salt of entry ``index`` when they may be shown."""
    record = session.get(LogRecord, index)
    if record is None or not _shown(
        session, record, _latest(session, record), today or clock.today()
    ):
        return None
    assert record.content is not None and record.salt is not None
    return record.content, record.salt


# -- proofs ----------------------------------------------------------------------------------
def inclusion(identity: Identity, session: Session, index: int, tree_size: int) -> dict[str, Any]:
    require(can_read_public(identity))
    size = store.size(session)
    errors = [
        e
        for e in (
            _bounded("tree_size", tree_size, min(size, MAX_SIZE), "树的大小 (tree size)"),
            _bounded(
                "index", index, max(tree_size - 1, 0), "条目序号小于树的大小 (index < tree_size)"
            ),
        )
        if e
    ]
    if tree_size < 1:
        errors.append(FieldError("tree_size", "树的大小至少为 1 (tree_size >= 1)", "out_of_range"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    leaf = store.leaf(session, index)
    assert leaf is not None
    proof = store.inclusion_proof(session, index, tree_size)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": b64(leaf.leaf_hash),
        "proof": [b64(h) for h in proof],
    }


def consistency(identity: Identity, session: Session, first: int, second: int) -> dict[str, Any]:
    require(can_read_public(identity))
    size = store.size(session)
    errors = [
        e
        for e in (
            _bounded("second", second, min(size, MAX_SIZE), "第二个树的大小 (second tree size)"),
            _bounded("first", first, max(second, 0), "第一个树不大于第二个 (first <= second)"),
        )
        if e
    ]
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    proof = store.consistency_proof(session, first, second) if 0 < first < second else []
    return {"first": first, "second": second, "proof": [b64(h) for h in proof]}


# -- log references on what the API and pages show -------------------------------------------
def attach_log_indexes(
    session: Session,
    kind: str,
    items: Sequence[Any],
    id_of: Any = None,
) -> Sequence[Any]:
    """Set ``log_index`` on each of ``items`` (objects, or dicts as a key): the index of the
    latest log entry of that record, None while it is not logged yet (the consumer runs
    after the commit). ``id_of(item)`` is the record's id (default: its ``id``). One query
    for the lot, never one per item."""
    attach_log_indexes_to_lists(session, [(kind, items)], id_of)
    return items


def attach_log_indexes_to_lists(
    session: Session, lists: Sequence[tuple[str, Sequence[Any]]], id_of: Any = None
) -> None:
    """``attach_log_indexes`` for several (kind, items) lists in one query."""
    if id_of is None:
        id_of = _item_id
    lists = [(kind, items) for kind, items in lists if items]
    if not lists:
        return
    found = log_indexes_by_kind(
        session, [(kind, [id_of(item) for item in items]) for kind, items in lists]
    )
    for kind, items in lists:
        for item in items:
            index = found.get((kind, id_of(item)))
            if isinstance(item, dict):
                item["log_index"] = index
            else:
                item.log_index = index


def _item_id(item: Any) -> str:
    return item["id"] if isinstance(item, dict) else item.id
