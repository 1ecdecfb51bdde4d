"""The public log as the platform writes and serves it: which changes become entries, what an
entry commits to, what is served while a record is public and after, and the proofs the
API gives, checked by the independent verifier of these tests (tests/translog/rfc9162.py)."""

from __future__ import annotations

import base64
import hashlib
import json

import rfc8785
import sqlalchemy as sa

from credit import changes
from credit.extensions import db
from credit.translog import service, store
from credit.translog.notes import Checkpoint, Verifier, open_note
from credit.translog.records import LogRecord
from credit.uow import unit_of_work
from tests.parties import make_parties, make_violation, regulator_identity
from tests.translog import rfc9162


def _records() -> list[LogRecord]:
    return list(db.session.scalars(sa.select(LogRecord).order_by(LogRecord.index)))


def _sign(app) -> None:
    service.sign_checkpoint(db.session, app.extensions["credit.log_signers"])
    db.session.commit()


def _checkpoint(client) -> Checkpoint:
    key = client.get("/api/v1/log/key").get_json()
    note = client.get("/api/v1/log/checkpoint")
    assert note.status_code == 200 and note.mimetype == "text/plain"
    text = open_note(note.get_data(as_text=True), Verifier.parse(key["verifier_key"]))
    found = Checkpoint.parse(text)
    assert found.origin == key["origin"]
    return found


def test_a_published_violation_is_logged_with_a_commitment_anyone_can_open(app_ctx) -> None:
    parties = make_parties()
    v = make_violation(parties)
    logged = [r for r in _records() if r.kind == "violation"]
    assert [(r.record_id, r.event_type) for r in logged] == [(v.id, "violation.published")]
    record = logged[0]
    leaf = store.leaf(db.session, record.index)
    entry = json.loads(leaf.entry)
    # The entry names the record, its event and time, and commits to the content: nothing
    # else (no firm, no facts, no names).
    assert set(entry) == {"v", "type", "kind", "id", "at", "commitment"}
    assert entry["id"] == v.id and entry["type"] == "violation.published"
    assert rfc8785.dumps(entry) == leaf.entry
    content = json.loads(record.content)
    assert content["decision_number"] == v.decision_number and content["uscc"] == parties.owner_uscc
    assert (
        base64.b64decode(entry["commitment"])
        == hashlib.sha256(record.salt + rfc8785.dumps(content)).digest()
    )
    assert leaf.leaf_hash == rfc9162.leaf(leaf.entry)
    # The rating the record changed is logged too.
    assert "rating.changed" in {r.event_type for r in _records()}


def test_replaying_the_feed_logs_nothing_twice(app_ctx) -> None:
    parties = make_parties()
    make_violation(parties)
    before = [(r.index, r.event_type, r.record_id) for r in _records()]
    db.session.execute(
        sa.update(changes.ConsumerCursor)
        .where(changes.ConsumerCursor.name == "transparency-log")
        .values(position=0)
    )
    db.session.commit()
    changes.run_all(db.session, raise_errors=True)
    assert [(r.index, r.event_type, r.record_id) for r in _records()] == before
    assert store.size(db.session) == len(before)


def test_the_api_serves_checkpoint_entries_and_proofs_that_verify(app_ctx, client) -> None:
    assert client.get("/api/v1/log/checkpoint").status_code == 404
    parties = make_parties()
    make_violation(parties)
    _sign(app_ctx)
    first = _checkpoint(client)
    assert first.size == store.size(db.session) > 0
    make_violation(parties)
    _sign(app_ctx)
    second = _checkpoint(client)
    assert second.size > first.size
    for index in range(second.size):
        got = client.get(f"/api/v1/log/entries/{index}").get_json()
        raw = base64.b64decode(got["entry"])
        assert base64.b64decode(got["leaf_hash"]) == rfc9162.leaf(raw)
        proof = client.get(
            f"/api/v1/log/proof/inclusion?index={index}&tree_size={second.size}"
        ).get_json()
        path = [base64.b64decode(h) for h in proof["proof"]]
        assert rfc9162.verify_inclusion(index, second.size, rfc9162.leaf(raw), path, second.root)
    got = client.get(
        f"/api/v1/log/proof/consistency?first={first.size}&second={second.size}"
    ).get_json()
    path = [base64.b64decode(h) for h in got["proof"]]
    assert rfc9162.verify_consistency(first.size, second.size, first.root, second.root, path)


def test_after_a_record_leaves_view_its_content_is_gone_and_its_proofs_still_verify(
    app_ctx, client
) -> None:
    from credit.violations import service as violations

    parties = make_parties()
    v = make_violation(parties)
    published = next(r.index for r in _records() if r.record_id == v.id)
    shown = client.get(f"/api/v1/log/entries/{published}").get_json()
    assert shown["content"]["id"] == v.id and shown["salt"]
    with unit_of_work() as uow:
        violations.revoke_violation(regulator_identity(), uow, v.id, "复议撤销原决定", v.version)
    mine = [r for r in _records() if r.record_id == v.id]
    assert [r.event_type for r in mine] == ["violation.published", "violation.revoked"]
    # Deleted from the platform, not only hidden: only the commitments remain.
    assert all(r.content is None and r.salt is None for r in mine)
    gone = client.get(f"/api/v1/log/entries/{published}").get_json()
    assert gone["content"] is None and gone["salt"] is None
    assert gone["commitment"] == shown["commitment"] and gone["entry"] == shown["entry"]
    assert gone["latest_index"] == mine[-1].index
    _sign(app_ctx)
    cp = _checkpoint(client)
    proof = client.get(
        f"/api/v1/log/proof/inclusion?index={published}&tree_size={cp.size}"
    ).get_json()
    path = [base64.b64decode(h) for h in proof["proof"]]
    raw = base64.b64decode(gone["entry"])
    assert rfc9162.verify_inclusion(published, cp.size, rfc9162.leaf(raw), path, cp.root)


def test_bad_proof_requests_are_problems_naming_the_field(app_ctx, client) -> None:
    parties = make_parties()
    make_violation(parties)
    size = store.size(db.session)
    cases = {
        f"/api/v1/log/proof/inclusion?index={size}&tree_size={size}": "index",
        f"/api/v1/log/proof/inclusion?index=0&tree_size={size + 1}": "tree_size",
        "/api/v1/log/proof/inclusion?index=0&tree_size=0": "tree_size",
        "/api/v1/log/proof/inclusion?index=-1&tree_size=1": "index",
        "/api/v1/log/proof/inclusion?index=x&tree_size=1": "index",
        "/api/v1/log/proof/inclusion?tree_size=1": "index",
        f"/api/v1/log/proof/consistency?first=2&second={size + 5}": "second",
        "/api/v1/log/proof/consistency?first=2&second=1": "first",
        f"/api/v1/log/proof/consistency?first=1&second={size}&extra=1": "extra",
        "/api/v1/log/proof/inclusion?index=99999999999999999999&tree_size=1": "index",
    }
    for url, name in cases.items():
        resp = client.get(url)
        assert resp.status_code in (400, 422), url
        assert resp.mimetype == "application/problem+json", url
        assert name in {e["field"] for e in resp.get_json()["errors"]}, url
    missing = client.get(f"/api/v1/log/entries/{size}")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def _verify(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["credit", "log", "verify"])
    return result.exit_code, result.output


def test_log_verify_is_clean_then_finds_a_silent_edit_and_a_deleted_row(app_ctx) -> None:
    from credit.translog.store import LogLeaf
    from credit.violations.models import Violation

    parties = make_parties()
    vid = make_violation(parties).id
    make_violation(parties)
    _sign(app_ctx)
    code, out = _verify(app_ctx)
    assert code == 0, out
    assert "日志完整" in out and "MISMATCH" not in out
    # A silent SQL edit of a logged violation: no change event, no new entry.
    db.session.execute(
        sa.update(Violation).where(Violation.id == vid).values(facts="已被篡改的事实")
    )
    db.session.commit()
    code, out = _verify(app_ctx)
    assert code == 1, out
    published = next(r.index for r in _records() if r.record_id == vid)
    assert f"MISMATCH: #{published} violation {vid}" in out, out
    # Put it back, then delete one row of the log itself.
    db.session.execute(
        sa.update(Violation).where(Violation.id == vid).values(facts="组织虚假交易、编造用户评价")
    )
    db.session.execute(sa.delete(LogLeaf).where(LogLeaf.index == 1))
    db.session.commit()
    code, out = _verify(app_ctx)
    assert code == 1 and "MISMATCH: #1 " in out and "entry row deleted" in out, out


def test_log_verify_finds_an_edited_subtree_hash_at_its_own_level(app_ctx) -> None:
    from credit.translog.store import LogNode, node_key

    parties = make_parties()
    make_violation(parties)
    make_violation(parties)
    _sign(app_ctx)
    db.session.execute(
        sa.update(LogNode).where(LogNode.key == node_key(1, 0)).values(hash=bytes(32))
    )
    db.session.commit()
    code, out = _verify(app_ctx)
    assert code == 1 and out.count("MISMATCH") == 1, out
    assert "MISMATCH: #0 子树哈希被改动 (subtree hash at level 1 changed)" in out, out


def test_log_verify_finds_a_log_rewritten_consistently_against_its_signed_checkpoint(
    app_ctx,
) -> None:
    """An insider rewrites an entry and recomputes every hash after it: the tree is
    self-consistent again, but no longer the one the published checkpoint signed."""
    from credit.translog.store import LogHead, LogLeaf, LogNode

    parties = make_parties()
    make_violation(parties)
    _sign(app_ctx)
    leaves = [
        bytes(x) for x in db.session.scalars(sa.select(LogLeaf.entry).order_by(LogLeaf.index))
    ]
    forged = json.loads(leaves[0])
    forged["at"] = "2020-01-01T00:00:00.000Z"
    leaves[0] = rfc8785.dumps(forged)
    for table in (LogLeaf, LogNode, LogHead):
        db.session.execute(sa.delete(table))
    store.append(db.session, leaves)
    db.session.commit()
    code, out = _verify(app_ctx)
    assert code == 1, out
    assert "tree differs from a signed checkpoint" in out and "subtree hash" not in out, out
