"""``credit log verify``: recompute the log from the database and compare it with itself,
with its signed checkpoints and with the records it speaks of.

1. **Entries.** Every index from 0 to the size has a leaf and a record row; the leaf hash is
   SHA-256(0x00 || entry); the entry is canonical and says what its record row says; where
   the content and salt are still held, the commitment opens to them.
2. **Tree.** Level by level, every stored subtree hash is recomputed from the level below
   (level 0 from the entries), so an edited, missing or extra node row is found.
3. **Checkpoints.** Each signed checkpoint opens with the log's key and its root is the
   recomputed root at its size.
4. **Records.** The latest entry of each record still public is compared with the record
   as the database has it now: a change made without a change event (a silent SQL edit)
   shows as different content. A record whose change the consumer has not logged yet, or
   whose new state only time brought (a window that ended before the sweep recorded it),
   is reported as pending, not as tampering.

It reads the log in chunks (memory stays flat at any size); findings name the index and
the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock
from credit.changes import ChangeEvent, ConsumerCursor
from credit.translog import entries, facts, store
from credit.translog.appender import CONSUMER_NAME
from credit.translog.merkle import leaf_hash, node_hash
from credit.translog.notes import Checkpoint, NoteError, Verifier, open_note
from credit.translog.records import LogCheckpoint, LogRecord
from credit.translog.store import INDEX_BITS, LogLeaf, LogNode, node_key

CHUNK = 5000
#: Pending changes read at most (a longer backlog is reported as such).
PENDING_CAP = 200_000


@dataclass(frozen=True)
class Finding:
    problem: str
    index: int | None = None
    kind: str | None = None
    record_id: str | None = None

    def line(self) -> str:
        where = f"#{self.index} " if self.index is not None else ""
        what = f"{self.kind} {self.record_id}: " if self.kind else ""
        return f"{where}{what}{self.problem}"


@dataclass
class AuditReport:
    size: int = 0
    checkpoints: int = 0
    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    pending: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _rows(session: Session, model, column, upper: int) -> Iterator:
    """Rows of ``model`` in ``column`` order below ``upper``, in chunks (keyset paging), as
    plain rows (never held in the session: memory stays flat at any size)."""
    after = -1
    while True:
        batch = session.execute(
            sa.select(*model.__table__.columns)
            .where(column > after, column < upper)
            .order_by(column)
            .limit(CHUNK)
        ).all()
        if not batch:
            return
        yield from batch
        after = getattr(batch[-1], column.key)


def _check_entries(session: Session, size: int, report: AuditReport) -> None:
    records = _rows(session, LogRecord, LogRecord.index, size)
    record = next(records, None)
    expected = 0
    for leaf in _rows(session, LogLeaf, LogLeaf.index, size):
        while expected < leaf.index:
            report.findings.append(Finding("日志条目被删除 (entry row deleted)", expected))
            expected += 1
        expected = leaf.index + 1
        while record is not None and record.index < leaf.index:
            record = next(records, None)
        _check_entry(
            leaf, record if record is not None and record.index == leaf.index else None, report
        )
    while expected < size:
        report.findings.append(Finding("日志条目被删除 (entry row deleted)", expected))
        expected += 1


def _check_entry(leaf: sa.Row, record: sa.Row | None, report: AuditReport) -> None:
    index = leaf.index
    if leaf.leaf_hash != leaf_hash(leaf.entry):
        report.findings.append(Finding("叶哈希与条目不符 (leaf hash does not match entry)", index))
    try:
        entry = entries.Entry.decode(leaf.entry)
    except (ValueError, KeyError, TypeError):
        report.findings.append(Finding("条目不是规范格式 (entry is not canonical)", index))
        return
    if record is None:
        report.findings.append(
            Finding("条目的记录行被删除 (record row deleted)", index, entry.kind, entry.record_id)
        )
        return
    said = (record.kind, record.record_id, record.event_type, record.commitment)
    if said != (entry.kind, entry.record_id, entry.event_type, entry.commitment) or (
        entries.timestamp(record.occurred_at) != entry.at
    ):
        report.findings.append(
            Finding(
                "记录行与条目不符 (record row differs from entry)",
                index,
                entry.kind,
                entry.record_id,
            )
        )
    held = record.content is not None and record.salt is not None
    if held and entries.commitment(record.salt, record.content) != entry.commitment:
        report.findings.append(
            Finding(
                "内容与承诺不符 (content does not open the commitment)",
                index,
                entry.kind,
                entry.record_id,
            )
        )


def _level(session: Session, level: int) -> Iterator[tuple[int, bytes]]:
    lo, hi = node_key(level, 0), node_key(level + 1, 0)
    after = lo - 1
    while True:
        rows = session.execute(
            sa.select(LogNode.key, LogNode.hash)
            .where(LogNode.key > after, LogNode.key < hi)
            .order_by(LogNode.key)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        for key, value in rows:
            yield key & ((1 << INDEX_BITS) - 1), value
        after = rows[-1][0]


def _expected_level0(session: Session, size: int) -> Iterator[tuple[int, bytes]]:
    for leaf in _rows(session, LogLeaf, LogLeaf.index, size):
        yield leaf.index, leaf_hash(leaf.entry)


def _expected_parents(below: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    left: tuple[int, bytes] | None = None
    for index, value in below:
        if index & 1 and left is not None and left[0] == index - 1:
            yield index >> 1, node_hash(left[1], value)
        left = (index, value)


def _corrected(
    stored: Iterator[tuple[int, bytes]], corrections: dict[int, bytes], limit: int
) -> Iterator[tuple[int, bytes]]:
    """A level as it should be: the stored hashes, with those found wrong (or missing)
    replaced by the recomputed ones, so one edited node is reported at its own level only."""
    got = next(stored, None)
    for i in range(limit):
        while got is not None and got[0] < i:
            got = next(stored, None)
        if i in corrections:
            yield i, corrections[i]
        elif got is not None and got[0] == i:
            yield got


def _check_tree(session: Session, size: int, report: AuditReport) -> None:
    level, corrections = 0, {}
    while size >> level:
        count = size >> level  # complete subtrees at this level
        if level == 0:
            expected = _expected_level0(session, size)
        else:
            limit = size >> (level - 1)
            expected = _expected_parents(_corrected(_level(session, level - 1), corrections, limit))
        stored = ((i, v) for i, v in _level(session, level) if i < count)
        corrections = _merge(expected, stored, count, level, report)
        level += 1


def _merge(expected, stored, count: int, level: int, report: AuditReport) -> dict[int, bytes]:
    """Walk both index-ordered streams together; any index whose hashes differ, or that
    one of them lacks, is a finding. Returns the recomputed hashes of those indexes."""
    corrections: dict[int, bytes] = {}
    want, got = next(expected, None), next(stored, None)
    for i in range(count):
        while want is not None and want[0] < i:
            want = next(expected, None)
        while got is not None and got[0] < i:
            got = next(stored, None)
        a = want[1] if want is not None and want[0] == i else None
        b = got[1] if got is not None and got[0] == i else None
        if a is None or a != b:
            if a is not None:
                corrections[i] = a
            report.findings.append(
                Finding(f"子树哈希被改动 (subtree hash at level {level} changed)", i << level)
            )
    return corrections


def _check_checkpoints(session: Session, verifier: Verifier | None, report: AuditReport) -> None:
    for cp in session.scalars(sa.select(LogCheckpoint).order_by(LogCheckpoint.size)):
        report.checkpoints += 1
        try:
            text = open_note(cp.note, verifier) if verifier else cp.note.split("\n\n")[0] + "\n"
            body = Checkpoint.parse(text)
        except NoteError as exc:
            report.findings.append(
                Finding(f"检查点签名无效 (checkpoint does not verify: {exc})", cp.size)
            )
            continue
        if body.size != cp.size or body.root != cp.root:
            report.findings.append(
                Finding("检查点行与签名内容不符 (checkpoint row differs)", cp.size)
            )
        try:
            root = store.root(session, cp.size)
        except LookupError:
            root = b""
        if root != body.root:
            report.findings.append(
                Finding(
                    f"日志树与第 {cp.size} 号检查点不符 (tree differs from a signed checkpoint)",
                    cp.size,
                )
            )


def _pending(session: Session) -> set[tuple[str, str]]:
    position = (
        session.scalar(
            sa.select(ConsumerCursor.position).where(ConsumerCursor.name == CONSUMER_NAME)
        )
        or 0
    )
    rows = session.execute(
        sa.select(ChangeEvent.entity_type, ChangeEvent.entity_id)
        .where(ChangeEvent.id > position)
        .limit(PENDING_CAP)
    )
    return {(t, i) for t, i in rows}


def _check_records(session: Session, size: int, report: AuditReport) -> None:
    pending = _pending(session)
    today = clock.today()
    latest = (
        sa.select(sa.func.max(LogRecord.index))
        .where(LogRecord.index < size)
        .group_by(LogRecord.kind, LogRecord.record_id)
    ).subquery()
    query = (
        sa.select(
            LogRecord.index,
            LogRecord.kind,
            LogRecord.record_id,
            LogRecord.event_type,
            LogRecord.content,
        )
        .where(LogRecord.index.in_(sa.select(latest)), LogRecord.content.isnot(None))
        .order_by(LogRecord.index)
    )
    for index, kind, rid, event_type, content in session.execute(query).yield_per(CHUNK):
        report.records += 1
        now = facts.fact_of(session, kind, rid, today)
        if (
            now is not None
            and now.event_type == event_type
            and entries.canonical(now.content) == content
        ):
            continue
        found = Finding(
            "记录与日志最后一次记载不符，且无对应变更 (record differs from its last entry "
            "with no change recorded: edited outside the platform)",
            index,
            kind,
            rid,
        )
        entity = "repair" if kind == "repair" else kind
        if (entity, rid) in pending or (
            now is not None and now.event_type in facts.TIME_DRIVEN and now.event_type != event_type
        ):
            report.pending.append(
                Finding("变更尚未载入日志 (change not logged yet)", index, kind, rid)
            )
        elif now is None:
            report.findings.append(
                Finding(
                    "记录被删除或隐藏，且无对应变更 "
                    "(record deleted or hidden with no change recorded)",
                    index,
                    kind,
                    rid,
                )
            )
        else:
            report.findings.append(found)


def verify_log(
    session: Session, verifier: Verifier | None, progress: Callable[[str], None] | None = None
) -> AuditReport:
    """Check the whole log (see the module's docstring); the caller reads, never writes."""
    say = progress or (lambda _msg: None)
    report = AuditReport(size=store.size(session))
    say("entries")
    _check_entries(session, report.size, report)
    say("tree")
    _check_tree(session, report.size, report)
    say("checkpoints")
    _check_checkpoints(session, verifier, report)
    say("records")
    _check_records(session, report.size, report)
    return report
