"""The public-log proof a credit report embeds, and its check on ``/verify/<report_no>``.

At issue time a report keeps, beside its snapshot (``credit_report.log_proof``, apart from
the snapshot so that the snapshot's digest and the report number mean what they always
meant), everything needed to check offline, years later and without the platform, that
what it shows was in the public log:

- the latest signed checkpoint (the C2SP signed note, as served at
  ``/api/v1/log/checkpoint``): the log's size M and root hash, signed by the log's key;
- for each record it lists and for its rating: the record's latest log index, the entry's
  bytes (base64), the content and salt the entry commits to while the record is public,
  and the RFC 9162 inclusion proof of the entry in the tree of size M.

A record logged after that checkpoint (or not logged yet: the log's consumer runs just
after each commit) cannot be proven yet; it is kept with ``proof: null`` and the reason,
rather than signing a checkpoint on the request path.

:func:`check` verifies a stored proof: the checkpoint's signature with the log's key, each
entry against the record it stands for, each commitment against its content and salt,
each inclusion proof against the checkpoint's root, that the log still holds each entry,
and that the log today is consistent with the checkpoint (the stored tree has that root
at size M, and an RFC 9162 consistency proof leads from it to the latest checkpoint).

The proofs are checked by ``credit.translog.verify`` (RFC 9162 §2.1.3.2 and §2.1.4.2, the
monitor's verifier; the tests check them again with their own reading of the RFC,
``tests/translog/rfc9162.py``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import rfc8785
import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.translog import service as translog
from credit.translog import store
from credit.translog.entries import Entry
from credit.translog.merkle import Tree, leaf_hash
from credit.translog.notes import Checkpoint, NoteError, Verifier, open_note
from credit.translog.records import LogRecord
from credit.translog.service import b64
from credit.translog.verify import verify_consistency, verify_inclusion

VERSION = 1

#: Why a record carries no proof: its words, Chinese and English.
REASONS = {
    "not_logged": (
        "出具时该记录尚未载入公开日志（日志在每次变更提交后随即追加）",
        "the record was not in the public log yet when the report was issued (the log is "
        "appended just after each change)",
    ),
    "after_checkpoint": (
        "该记录的日志条目晚于出具时最新的签名检查点，尚无法证明",
        "the record's log entry came after the latest signed checkpoint at issue time: it "
        "could not be proven yet",
    ),
    "stale": (
        "出具时该记录当前的状态尚未载入公开日志（日志在每次变更提交后随即追加）",
        "the record's current state was not in the public log yet when the report was "
        "issued (the log is appended just after each change)",
    ),
    "no_checkpoint": (
        "出具时公开日志尚无签名检查点",
        "the public log had no signed checkpoint yet when the report was issued",
    ),
}
KIND_WORDS = {
    "violation": ("违法失信信息", "violation"),
    "pledge": ("信用承诺", "pledge"),
    "serious_list": ("严重失信主体名单", "serious list"),
    "commendation": ("表彰", "commendation"),
    "rating": ("信用评价", "rating"),
}


# -- what a report embeds ---------------------------------------------------------------------
Item = tuple[str, str, Any, dict[str, Any]]

#: Fields of a logged content that must read as the report shows the record: else the
#: record's latest entry is of an earlier state (the log's consumer had not caught up).
_SAME = {
    "violation": ("decision_number", "status"),
    "pledge": ("status",),
    "rating": ("grade", "score", "model_version"),
}


def logged_items(profile: dict[str, Any], enterprise_id: str) -> list[Item]:
    """(kind, record id, log index, the record as shown) of each record a profile lists,
    and of its rating."""
    rating = profile["rating"]
    out: list[Item] = [("rating", enterprise_id, rating.get("log_index"), rating)]
    for kind, key in (
        ("violation", "violations"),
        ("pledge", "pledges"),
        ("serious_list", "serious_list"),
        ("commendation", "commendations"),
    ):
        out += [(kind, item["id"], item.get("log_index"), item) for item in profile.get(key, [])]
    return out


def _stale(kind: str, content: dict[str, Any] | None, shown: dict[str, Any]) -> bool:
    if content is None:  # the record left view since: its entry is not what is shown
        return True
    return any(content.get(name) != shown.get(name) for name in _SAME.get(kind, ()))


def _proofs(session: Session, indexes: list[int], size: int) -> dict[int, list[bytes]]:
    """The inclusion proof of each index in the tree of ``size``, every stored hash they
    need read in one query (the hashes a proof reads depend on the sizes only)."""
    keys: list[int] = []

    def record(level: int, index: int) -> bytes:
        keys.append(store.node_key(level, index))
        return bytes(32)

    planning = Tree(size, record)
    for index in indexes:
        planning.inclusion_proof(index)
    found = store.read_nodes(session, keys)
    tree = Tree(size, lambda level, index: found[store.node_key(level, index)])
    return {index: tree.inclusion_proof(index) for index in indexes}


def build(session: Session, items: list[Item]) -> dict[str, Any]:
    """The proof a report embeds for ``items`` (:func:`logged_items`), under the latest
    signed checkpoint."""
    cp = translog.latest_checkpoint(session)
    size = cp.size if cp is not None else 0
    indexes = sorted({i for _, _, i, _ in items if i is not None})
    leaves = dict(
        session.execute(
            sa.select(store.LogLeaf.index, store.LogLeaf.entry).where(
                store.LogLeaf.index.in_(indexes)
            )
        ).all()
    )
    shown = {
        index: (content, salt)
        for index, content, salt in session.execute(
            sa.select(LogRecord.index, LogRecord.content, LogRecord.salt).where(
                LogRecord.index.in_(indexes)
            )
        )
        if content is not None and salt is not None
    }
    contents = {i: json.loads(content) for i, (content, _) in shown.items()}
    proofs = _proofs(session, [i for i in indexes if i < size], size) if size else {}
    records = []
    for kind, record_id, index, item in items:
        row: dict[str, Any] = {"kind": kind, "id": record_id, "log_index": index}
        entry = leaves.get(index) if index is not None else None
        if entry is None:
            reason = "not_logged"
        elif _stale(kind, contents.get(index), item):
            reason = "stale"
        elif cp is None:
            reason = "no_checkpoint"
        elif index >= size:
            reason = "after_checkpoint"
        else:
            reason = None
        if entry is not None:
            salt = shown.get(index, (None, None))[1]
            row |= {
                "entry": b64(entry),
                "leaf_hash": b64(leaf_hash(entry)),
                "content": contents.get(index),
                "salt": b64(salt) if salt is not None else None,
            }
        row["proof"] = [b64(h) for h in proofs[index]] if reason is None else None
        row["reason"] = reason
        if reason is not None:
            row["reason_text"] = list(REASONS[reason])
        records.append(row)
    return {
        "v": VERSION,
        "checkpoint": cp.note if cp is not None else None,
        "tree_size": size if cp is not None else None,
        "root": b64(cp.root) if cp is not None else None,
        "records": records,
    }


def proven(bundle: dict[str, Any] | None) -> int:
    """How many records of this proof carry an inclusion proof."""
    return sum(1 for r in (bundle or {}).get("records", []) if r.get("proof") is not None)


def pending(bundle: dict[str, Any] | None) -> bool:
    """Some record of this proof could not be proven when it was made."""
    return bundle is None or proven(bundle) < len(bundle.get("records", []))


# -- checking a report's proof ----------------------------------------------------------------
@dataclass
class LogCheck:
    """What ``/verify`` says of a report's log proof."""

    #: none (issued before the log), unproven (no checkpoint then), verified, failed
    status: str
    records: int = 0
    proven: int = 0
    tree_size: int | None = None
    latest_size: int | None = None
    #: each problem found, in words: [Chinese, English]
    problems: list[list[str]] = field(default_factory=list)
    #: records without a proof: (kind words, record id, reason words)
    unproven: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> list[str]:
        n, m = self.records, self.tree_size
        if self.status == "none":
            return [
                "本报告出具于公开日志启用之前，不含日志证明。",
                "This report was issued before the public log existed and carries no log proofs.",
            ]
        if self.status == "unproven":
            return [
                f"本报告所列 {n} 条记录在出具时尚无签名检查点可供证明。",
                f"No signed checkpoint existed when this report was issued: its {n} records "
                "cannot be proven in the log.",
            ]
        if self.status == "failed":
            return ["日志证明核验未通过：", "The log proofs did not verify:"]
        if self.proven == n:
            return [
                f"本报告所列 {n} 条记录均已载入公开日志，第 {m} 号检查点签名有效。",
                f"All {n} records in this report are in the public log; checkpoint of size "
                f"{m} is signed by the log's key.",
            ]
        return [
            f"本报告所列 {n} 条记录中 {self.proven} 条已载入公开日志，第 {m} 号检查点签名有效；"
            f"其余 {n - self.proven} 条出具时尚无法证明（见下）。",
            f"{self.proven} of the {n} records in this report are in the public log; "
            f"checkpoint of size {m} is signed by the log's key; the other "
            f"{n - self.proven} could not be proven when it was issued (see below).",
        ]


def _open(note: str, verifiers: Sequence[Verifier]) -> Checkpoint | None:
    for verifier in verifiers:
        try:
            return Checkpoint.parse(open_note(note, verifier))
        except NoteError:
            continue
    return None


def _bytes(value: Any) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        return None


def _index(value: Any, upper: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= upper


def _label(row: dict[str, Any]) -> tuple[str, str]:
    kind = str(row.get("kind"))
    words = KIND_WORDS.get(kind, (kind, kind))
    index = row.get("log_index")
    if index is None:
        return f"{words[0]} {row.get('id')}", f"{words[1]} {row.get('id')}"
    return (
        f"{words[0]} {row.get('id')}（日志第 {index} 条）",
        f"{words[1]} {row.get('id')} (log entry {index})",
    )


def _opens(fields: Entry, content: Any, salt: bytes) -> bool:
    """SHA-256(salt || RFC 8785 content) is the entry's commitment."""
    try:
        body = rfc8785.dumps(content)
    except (TypeError, ValueError, rfc8785.CanonicalizationError):
        return False
    return hashlib.sha256(salt + body).digest() == fields.commitment


def _check_record(
    row: dict[str, Any], cp: Checkpoint, stored: dict[int, bytes], problems: list[list[str]]
) -> bool:
    """One proven record: its entry names it, commits to its content, is in the tree the
    checkpoint signed, and is still the log's entry at that index."""
    zh, en = _label(row)
    entry, index, path = _bytes(row.get("entry")), row.get("log_index"), row.get("proof")
    proof = [_bytes(h) for h in path] if isinstance(path, list) else [None]
    if entry is None or not _index(index, cp.size - 1) or any(h is None for h in proof):
        problems.append([f"{zh}的证明数据不完整", f"the proof of {en} is incomplete"])
        return False
    try:
        fields = Entry.decode(entry)
    except (ValueError, KeyError, TypeError):
        problems.append([f"{zh}的条目格式无效", f"the entry of {en} is malformed"])
        return False
    ok = True
    if (fields.kind, fields.record_id) != (row.get("kind"), row.get("id")):
        problems.append([f"{zh}的条目指向另一条记录", f"the entry of {en} names another record"])
        ok = False
    content, salt = row.get("content"), _bytes(row.get("salt"))
    if content is not None and salt is not None and not _opens(fields, content, salt):
        problems.append(
            [
                f"{zh}的内容与条目中的承诺值不符",
                f"the content of {en} does not match the entry's commitment",
            ]
        )
        ok = False
    if not verify_inclusion(index, cp.size, leaf_hash(entry), proof, cp.root):  # type: ignore[arg-type]
        problems.append(
            [
                f"{zh}的包含证明与第 {cp.size} 号检查点的根哈希不符",
                f"the inclusion proof of {en} does not lead to the root of the checkpoint "
                f"of size {cp.size}",
            ]
        )
        ok = False
    if stored.get(index) != entry:
        problems.append(
            [
                f"公开日志中第 {index} 条已不是报告所载的条目",
                f"the public log's entry {index} is no longer the one the report holds",
            ]
        )
        ok = False
    return ok


def _check_log(
    session: Session, cp: Checkpoint, verifiers: Sequence[Verifier], result: LogCheck
) -> None:
    """The log today against the report's checkpoint: the stored tree still has its root,
    and the latest signed checkpoint extends it (RFC 9162 consistency)."""
    latest = translog.latest_checkpoint(session)
    try:
        if store.root(session, cp.size) != cp.root:
            result.problems.append(
                [
                    f"公开日志现存的前 {cp.size} 条的根哈希与报告的检查点不符（日志被改动）",
                    f"the log as stored no longer has the root of the checkpoint of size "
                    f"{cp.size} (the log was altered)",
                ]
            )
        if latest is None or latest.size < cp.size:
            result.problems.append(
                [
                    "公开日志当前的检查点小于报告的检查点（日志缩减）",
                    "the log's latest checkpoint is smaller than the report's (the log shrank)",
                ]
            )
            return
        result.latest_size = latest.size
        now = _open(latest.note, verifiers)
        if now is None or (now.size, now.root) != (latest.size, latest.root):
            result.problems.append(
                [
                    "公开日志当前的检查点签名无效",
                    "the log's latest checkpoint is not validly signed",
                ]
            )
            return
        proof = store.consistency_proof(session, cp.size, now.size) if now.size > cp.size else []
        if not verify_consistency(cp.size, now.size, cp.root, now.root, proof):
            result.problems.append(
                [
                    f"公开日志当前的第 {now.size} 号检查点与报告的第 {cp.size} 号检查点不一致",
                    f"the log's latest checkpoint (size {now.size}) is not consistent with "
                    f"the report's (size {cp.size})",
                ]
            )
    except (LookupError, ValueError):
        result.problems.append(
            [
                "公开日志缺少验证所需的数据（日志被改动）",
                "the public log lacks data the check needs (the log was altered)",
            ]
        )


def check(
    session: Session, bundle: dict[str, Any] | None, verifiers: Sequence[Verifier]
) -> LogCheck:
    """Verify a report's stored log proof (``None``: a report issued before the log)."""
    if bundle is None:
        return LogCheck("none")
    records = bundle.get("records") if isinstance(bundle, dict) else None
    if not isinstance(records, list):
        malformed = ["报告所载的日志证明格式无效", "the report's log proof is malformed"]
        return LogCheck("failed", problems=[malformed])
    rows = [r for r in records if isinstance(r, dict)]
    result = LogCheck("verified", records=len(rows))
    note = bundle.get("checkpoint")
    if not isinstance(note, str):
        result.status = "unproven"
        result.unproven = [_unproven(r) for r in rows]
        return result
    cp = _open(note, verifiers)
    if cp is None:
        result.status = "failed"
        result.problems.append(
            [
                "报告所载的检查点签名无效，或并非本日志的密钥所签",
                "the report's checkpoint is not signed by the log's key",
            ]
        )
        return result
    result.tree_size = cp.size
    if bundle.get("tree_size") != cp.size or bundle.get("root") != b64(cp.root):
        result.problems.append(
            [
                "报告所载的树大小或根哈希与签名检查点不符",
                "the tree size or root the report states differs from its signed checkpoint",
            ]
        )
    proven = [r for r in rows if r.get("proof") is not None]
    indexes = [r["log_index"] for r in proven if _index(r.get("log_index"), translog.MAX_SIZE)]
    stored = dict(
        session.execute(
            sa.select(store.LogLeaf.index, store.LogLeaf.entry).where(
                store.LogLeaf.index.in_(indexes)
            )
        ).all()
    )
    result.proven = sum(1 for r in proven if _check_record(r, cp, stored, result.problems))
    result.unproven = [_unproven(r) for r in rows if r.get("proof") is None]
    _check_log(session, cp, verifiers, result)
    if result.problems:
        result.status = "failed"
    return result


def _unproven(row: dict[str, Any]) -> dict[str, Any]:
    words = REASONS.get(str(row.get("reason")), ("未附证明", "no proof"))
    return {"record": list(_label(row)), "reason": list(words)}
