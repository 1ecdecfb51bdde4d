"""A credit report embeds the public log's signed checkpoint and the inclusion proof of each
record it shows, so it can be checked offline; /verify checks them and says so in words,
and finds a forged proof, a forged checkpoint or an altered log."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import re

import rfc8785
import sqlalchemy as sa

from credit.extensions import db
from credit.reports.models import CreditReport
from credit.translog import service, store
from credit.translog.notes import Checkpoint, Verifier, open_note
from tests.parties import make_parties, make_pledge, make_violation, seed_templates
from tests.translog import rfc9162


def _sign(app) -> int:
    service.sign_checkpoint(db.session, app.extensions["credit.log_signers"])
    db.session.commit()
    return service.latest_checkpoint(db.session).size


def _issue(client, uscc: str) -> CreditReport:
    page = client.get(f"/enterprises/{uscc}/report")
    assert page.status_code == 200
    number = re.search(r"<strong>(JSCR\d{8}[0-9A-F]{12})</strong>", page.get_data(as_text=True))
    db.session.expire_all()
    return db.session.get(CreditReport, number.group(1))


def _verify(client, number: str, lang: str = "zh") -> str:
    page = client.get(f"/verify/{number}", query_string={"lang": lang})
    assert page.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", page.get_data(as_text=True)))


def _firm(app_ctx):
    parties = make_parties()
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    violation = make_violation(parties)
    return parties, pledge, violation


def _tamper(number: str, change) -> None:
    proof = copy.deepcopy(db.session.get(CreditReport, number).log_proof)
    change(proof)
    db.session.execute(
        sa.update(CreditReport).where(CreditReport.report_no == number).values(log_proof=proof)
    )
    db.session.commit()
    db.session.expire_all()


def test_a_report_embeds_proofs_that_an_independent_verifier_accepts(app_ctx, client) -> None:
    parties, pledge, violation = _firm(app_ctx)
    size = _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)
    proof = report.log_proof
    # The snapshot (and so the digest and the number) is the record, not where the log
    # holds it: no log index in it.
    assert "log_index" not in report.snapshot["violations"][0]
    kinds = {(r["kind"], r["id"]) for r in proof["records"]}
    assert ("violation", violation.id) in kinds and ("pledge", pledge.id) in kinds
    assert "rating" in {k for k, _ in kinds}
    # Offline, with only the log's public key and the report: the checkpoint is signed ...
    key = client.get("/api/v1/log/key").get_json()["verifier_key"]
    cp = Checkpoint.parse(open_note(proof["checkpoint"], Verifier.parse(key)))
    assert cp.size == proof["tree_size"] == size
    for r in proof["records"]:
        entry = base64.b64decode(r["entry"])
        path = [base64.b64decode(h) for h in r["proof"]]
        # ... each entry is in the tree it signed (RFC 9162, checked by the tests' own
        # reading of the RFC) ...
        assert rfc9162.verify_inclusion(r["log_index"], cp.size, rfc9162.leaf(entry), path, cp.root)
        # ... names the record and commits to the content the report shows.
        logged = json.loads(entry)
        assert rfc8785.dumps(logged) == entry
        assert (logged["kind"], logged["id"]) == (r["kind"], r["id"])
        salt = base64.b64decode(r["salt"])
        assert hashlib.sha256(salt + rfc8785.dumps(r["content"])).digest() == base64.b64decode(
            logged["commitment"]
        )
    # The printed report carries the same proof: the table, and the JSON in full.
    page = html.unescape(client.get(f"/enterprises/{parties.owner_uscc}/report").get_data(True))
    assert "公开日志证明" in page and proof["checkpoint"].split("\n")[0] in page
    assert all(r["proof"][0] in page for r in proof["records"] if r["proof"])
    shown = {v["id"]: v for v in report.snapshot["violations"]}
    (logged_violation,) = [r for r in proof["records"] if r["kind"] == "violation"]
    assert logged_violation["content"]["decision_number"] == shown[violation.id]["decision_number"]


def test_verify_checks_the_proofs_and_says_so_in_words(app_ctx, client) -> None:
    parties, _, _ = _firm(app_ctx)
    size = _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)
    n = len(report.log_proof["records"])
    zh = _verify(client, report.report_no)
    assert f"本报告所列 {n} 条记录均已载入公开日志，第 {size} 号检查点签名有效" in zh
    en = _verify(client, report.report_no, "en")
    assert (
        f"All {n} records in this report are in the public log; checkpoint of size {size} "
        "is signed by the log's key" in en
    )
    # The log grows and a new checkpoint is signed: the report still verifies, and the
    # log today is proven consistent with the report's checkpoint.
    make_violation(parties)
    later = _sign(app_ctx)
    assert later > size
    zh = _verify(client, report.report_no)
    assert f"第 {size} 号检查点签名有效" in zh
    assert f"当前公开日志（第 {later} 号检查点）与之一致" in zh
    assert "核验未通过" not in zh


def test_records_after_the_checkpoint_are_reported_as_not_provable_yet(app_ctx, client) -> None:
    parties, _, _ = _firm(app_ctx)
    size = _sign(app_ctx)
    newer = make_violation(parties)  # logged after the checkpoint: not signed yet
    report = _issue(client, parties.owner_uscc)
    (row,) = [r for r in report.log_proof["records"] if r["id"] == newer.id]
    assert row["proof"] is None and row["reason"] == "after_checkpoint"
    assert row["log_index"] >= size
    zh = _verify(client, report.report_no)
    assert "尚无证明的记录" in zh and "晚于出具时最新的签名检查点" in zh
    assert f"第 {size} 号检查点签名有效" in zh and "核验未通过" not in zh
    # Asked again once a checkpoint covers it, the same report's proof is completed.
    _sign(app_ctx)
    again = _issue(client, parties.owner_uscc)
    assert again.report_no == report.report_no
    (row,) = [r for r in again.log_proof["records"] if r["id"] == newer.id]
    assert row["proof"] is not None
    assert "均已载入公开日志" in _verify(client, report.report_no)


def test_a_report_issued_before_any_checkpoint_says_it_cannot_be_proven(app_ctx, client):
    parties, _, _ = _firm(app_ctx)
    report = _issue(client, parties.owner_uscc)
    assert report.log_proof["checkpoint"] is None
    assert {r["reason"] for r in report.log_proof["records"]} == {"no_checkpoint"}
    zh = _verify(client, report.report_no)
    assert "报告真实有效" in zh and "尚无签名检查点可供证明" in zh


def test_a_report_issued_before_the_log_verifies_as_before(app_ctx, client) -> None:
    parties, _, _ = _firm(app_ctx)
    report = _issue(client, parties.owner_uscc)
    db.session.execute(
        sa.update(CreditReport)
        .where(CreditReport.report_no == report.report_no)
        .values(log_proof=None)
    )
    db.session.commit()
    zh = _verify(client, report.report_no)
    assert "报告真实有效" in zh and "没有变化" in zh
    assert "出具于公开日志启用之前" in zh


def test_a_forged_proof_is_reported_in_words(app_ctx, client) -> None:
    parties, _, violation = _firm(app_ctx)
    size = _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)

    def forge(proof: dict) -> None:
        row = next(r for r in proof["records"] if r["id"] == violation.id)
        row["proof"][0] = base64.b64encode(bytes(32)).decode()

    _tamper(report.report_no, forge)
    zh = _verify(client, report.report_no)
    assert "日志证明核验未通过" in zh
    assert f"违法失信信息 {violation.id}" in zh
    assert f"的包含证明与第 {size} 号检查点的根哈希不符" in zh
    en = _verify(client, report.report_no, "en")
    assert "The log proofs did not verify" in en and "does not lead to the root" in en


def test_edited_content_is_reported_in_words(app_ctx, client) -> None:
    parties, _, violation = _firm(app_ctx)
    _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)

    def edit(proof: dict) -> None:
        row = next(r for r in proof["records"] if r["id"] == violation.id)
        row["content"]["penalty_amount"] = "1.00"

    _tamper(report.report_no, edit)
    zh = _verify(client, report.report_no)
    assert "日志证明核验未通过" in zh and "的内容与条目中的承诺值不符" in zh


def test_a_forged_checkpoint_is_reported_in_words(app_ctx, client) -> None:
    parties, _, _ = _firm(app_ctx)
    _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)

    def forge(proof: dict) -> None:
        lines = proof["checkpoint"].split("\n")
        lines[2] = base64.b64encode(bytes(32)).decode()  # another root, same signature
        proof["checkpoint"] = "\n".join(lines)

    _tamper(report.report_no, forge)
    zh = _verify(client, report.report_no)
    assert "日志证明核验未通过" in zh and "报告所载的检查点签名无效" in zh
    assert "均已载入公开日志" not in zh


def test_an_altered_log_is_reported_in_words(app_ctx, client) -> None:
    parties, _, _ = _firm(app_ctx)
    size = _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)
    # Edit the stored hash of the largest complete subtree under the checkpoint's root.
    level = size.bit_length() - 1
    db.session.execute(
        sa.update(store.LogNode)
        .where(store.LogNode.key == store.node_key(level, 0))
        .values(hash=bytes(32))
    )
    db.session.commit()
    zh = _verify(client, report.report_no)
    assert "日志证明核验未通过" in zh
    assert f"公开日志现存的前 {size} 条的根哈希与报告的检查点不符" in zh


def test_a_record_whose_current_state_is_not_logged_yet_gets_no_proof(app_ctx, client) -> None:
    from credit.translog.records import LogRecord

    parties, _, _ = _firm(app_ctx)
    _sign(app_ctx)
    # As if the log's consumer had not yet logged the rating the last record brought: the
    # rating's latest entry is the one before, of another score.
    newest = db.session.scalar(
        sa.select(sa.func.max(LogRecord.index)).where(LogRecord.kind == "rating")
    )
    db.session.execute(sa.delete(LogRecord).where(LogRecord.index == newest))
    db.session.commit()
    report = _issue(client, parties.owner_uscc)
    (rating,) = [r for r in report.log_proof["records"] if r["kind"] == "rating"]
    assert rating["proof"] is None and rating["reason"] == "stale"
    assert rating["content"]["score"] != report.snapshot["rating"]["score"]
    zh = _verify(client, report.report_no)
    assert "当前的状态尚未载入公开日志" in zh and "核验未通过" not in zh


def test_a_malformed_stored_proof_is_a_failure_in_words_not_an_error(app_ctx, client) -> None:
    parties, _, violation = _firm(app_ctx)
    _sign(app_ctx)
    report = _issue(client, parties.owner_uscc)

    def garble(proof: dict) -> None:
        row = next(r for r in proof["records"] if r["id"] == violation.id)
        row["proof"], row["log_index"] = "not a list", 10**20

    _tamper(report.report_no, garble)
    zh = _verify(client, report.report_no)
    assert "日志证明核验未通过" in zh and "的证明数据不完整" in zh
    for broken in ({"records": "x"}, ["not", "an", "object"]):
        db.session.execute(
            sa.update(CreditReport)
            .where(CreditReport.report_no == report.report_no)
            .values(log_proof=broken)
        )
        db.session.commit()
        zh = _verify(client, report.report_no)
        assert "报告所载的日志证明格式无效" in zh
