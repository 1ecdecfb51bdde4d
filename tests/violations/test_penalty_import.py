"""Importing penalty records in the national "双公示" format: per-row results, idempotent by
decision number, the good rows of a file kept, and a round trip that changes nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.exchange.penalties import COLUMNS
from credit.extensions import db
from credit.violations.models import Correction, Violation, ViolationClause
from tests.parties import bearer, client_token

URL = "/api/v1/exchange/penalties"
CODES = [c.code for c in COLUMNS]


def _record(client, headers, parties, **overrides) -> dict:
    body = {
        "uscc": parties.owner_uscc,
        "category": "false_advertising",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕301号",
        "legal_basis": "《反不正当竞争法》第八条",
        "facts": "在商品详情页作虚假宣传",
        "penalty_type": "fine",
        "penalty_amount": 20000,
        "decision_date": (clock.today() - timedelta(days=5)).isoformat(),
    }
    body.update(overrides)
    r = client.post("/api/v1/violations", json=body, headers=headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _row(parties, **overrides) -> dict[str, str]:
    row = dict.fromkeys(CODES, "")
    row.update(
        CF_XDR_MC="某某电子商务有限公司",
        CF_XDR_SHXYM=parties.owner_uscc,
        CF_WSH="苏市监罚〔2026〕401号",
        CF_WFXW="刷单炒信",
        CF_SY="组织虚假交易、编造用户评价",
        CF_YJ="《中华人民共和国电子商务法》第十七条",
        CF_CFLB="罚款",
        CF_NR="罚款5万元",
        CF_NR_FK="5",
        CF_JDRQ=(clock.today() - timedelta(days=3)).isoformat(),
        CF_CFJG="辖区内监管局",
        CF_SXYZCD="一般",
    )
    row.update(overrides)
    return row


def _csv(rows: list[dict[str, str]], encoding: str = "utf-8", header=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or CODES)
    for r in rows:
        writer.writerow([r.get(c, "") for c in CODES])
    return buffer.getvalue().encode(encoding)


def _post(client, headers, body: bytes, content_type: str = "text/csv"):
    return client.post(URL, data=body, headers={**headers, "Content-Type": content_type})


#: A valid code of a 机关 in the owner's city's province (made up for the tests).
AUTHORITY_USCC = "11320000524717547G"


def _give_uscc(code: str = "IN", uscc_code: str = AUTHORITY_USCC) -> None:
    from credit.accounts import service as accounts
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work

    with unit_of_work() as uow:
        accounts.set_authority_uscc(SYSTEM, uow, code, uscc_code)


def test_round_trip_export_import_export_is_identical(client, reg_in, parties) -> None:
    _give_uscc()  # the authority's own code travels as CF_CFJGDM and CF_SJLYDM
    _record(client, reg_in, parties)
    _record(
        client,
        reg_in,
        parties,
        decision_number="苏市监罚〔2026〕302号",
        category="counterfeit",
        severity="serious",
        penalty_type="confiscation",
        penalty_amount="12345.67",
        facts="销售假冒注册商标的商品",
        legal_basis="《商标法》第六十条",
    )
    _record(
        client,
        reg_in,
        parties,
        decision_number="苏市监罚〔2026〕303号",
        category="pricing",
        penalty_type="revocation",
        penalty_amount=None,
        severity="serious",
        facts="哄抬价格",
        legal_basis="《价格法》第十四条",
    )
    first = client.get(URL, query_string={"format": "csv"}).data
    first_json = client.get(URL).get_json()
    assert first_json["total"] == 3
    assert {(i["CF_CFJGDM"], i["CF_SJLYDM"]) for i in first_json["items"]} == {
        (AUTHORITY_USCC, AUTHORITY_USCC)
    }
    # An empty platform with the same registry: the records go, the firms stay.
    db.session.execute(sa.delete(ViolationClause))
    db.session.execute(sa.delete(Correction))
    db.session.execute(sa.delete(Violation))
    db.session.commit()
    assert client.get(URL).get_json()["total"] == 0
    r = _post(client, reg_in, first)
    assert r.status_code == 200, r.get_data(as_text=True)
    report = r.get_json()
    assert (report["rows"], report["created"], report["refused"]) == (3, 3, 0), report
    assert [x["row"] for x in report["results"]] == [2, 3, 4]
    assert client.get(URL, query_string={"format": "csv"}).data.decode() == first.decode()
    assert client.get(URL).get_json() == first_json


def test_the_deciding_authoritys_code_must_be_the_uploaders(client, reg_in, parties) -> None:
    other = "113205006947280111"  # valid, another authority's
    rows = [
        _row(parties, CF_WSH="苏市监罚〔2026〕501号", CF_CFJGDM=AUTHORITY_USCC),
        _row(parties, CF_WSH="苏市监罚〔2026〕502号", CF_CFJGDM=other),
        _row(parties, CF_WSH="苏市监罚〔2026〕503号", CF_CFJGDM="11320000524717547X"),
        _row(parties, CF_WSH="苏市监罚〔2026〕504号"),  # none given: the name decides
    ]
    # before the platform knows the uploader's code, any valid one passes on the name
    report = _post(client, reg_in, _csv(rows[:1])).get_json()
    assert report["created"] == 1
    _give_uscc()
    report = _post(client, reg_in, _csv(rows)).get_json()
    outcome = {
        r["row"]: (r["outcome"], [e["field"] for e in r.get("errors", [])])
        for r in report["results"]
    }
    assert outcome == {
        2: ("unchanged", []),
        3: ("refused", ["CF_CFJGDM"]),
        4: ("refused", ["CF_CFJGDM"]),
        5: ("created", []),
    }
    refused = next(r for r in report["results"] if r["row"] == 3)
    assert AUTHORITY_USCC in refused["errors"][0]["message"]


def test_authority_codes_are_checked_and_unique(app, parties) -> None:
    from api.cli_accounts import authorities_cli

    runner = app.test_cli_runner()
    ok = runner.invoke(
        authorities_cli, ["set-uscc", "--code", "IN", "--uscc", AUTHORITY_USCC.lower()]
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["uscc"] == AUTHORITY_USCC
    taken = runner.invoke(authorities_cli, ["set-uscc", "--code", "OUT", "--uscc", AUTHORITY_USCC])
    assert taken.exit_code != 0 and "IN" in taken.output
    bad = runner.invoke(
        authorities_cli, ["set-uscc", "--code", "OUT", "--uscc", "1132000052471754"]
    )
    assert bad.exit_code != 0 and "uscc" in bad.output
    created = runner.invoke(
        authorities_cli,
        [
            "create",
            "--code",
            "NEW",
            "--name",
            "新局",
            "--jurisdiction",
            "320500",
            "--uscc",
            "113205006947280111",
        ],
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["uscc"] == "113205006947280111"


def test_the_same_file_twice_changes_nothing(client, reg_in, parties) -> None:
    body = _csv([_row(parties), _row(parties, CF_WSH="苏市监罚〔2026〕402号")])
    assert _post(client, reg_in, body).get_json()["created"] == 2
    versions = dict(db.session.execute(sa.select(Violation.id, Violation.version)).all())
    events = db.session.scalar(sa.select(sa.func.count()).select_from(ChangeEvent))
    again = _post(client, reg_in, body).get_json()
    assert (again["unchanged"], again["created"], again["updated"]) == (2, 0, 0)
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Violation.id, Violation.version)).all()) == versions
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeEvent)) == events


def test_bad_rows_are_reported_and_good_rows_imported(client, reg_in, parties) -> None:
    rows = [
        _row(parties),
        _row(parties, CF_WSH="苏市监罚〔2026〕403号", CF_XDR_SHXYM="91320500MA1234567X"),
        _row(parties, CF_WSH="苏市监罚〔2026〕404号", CF_CFJG="别的监管局"),
        _row(parties, CF_WSH="苏市监罚〔2026〕405号", CF_JDRQ="2026-13-45"),
        _row(parties, CF_WSH="苏市监罚〔2026〕406号", CF_NR_FK="五万"),
        _row(parties, CF_WSH="苏市监罚〔2026〕407号", CF_CFLB="警告", CF_NR_FK="1"),
        _row(parties, CF_WSH="苏市监罚〔2026〕408号", CF_SXYZCD="很严重"),
        _row(parties, CF_WSH="苏市监罚〔2026〕409号", CF_XDR_SHXYM=parties.other_uscc),
    ]
    report = _post(client, reg_in, _csv(rows)).get_json()
    by_row = {x["row"]: x for x in report["results"]}
    assert by_row[2]["outcome"] == "created"
    refused = {n: sorted({e["field"] for e in x["errors"]}) for n, x in by_row.items() if n != 2}
    assert {n: by_row[n]["outcome"] for n in refused} == dict.fromkeys(refused, "refused")
    assert refused[3] == ["CF_XDR_SHXYM"]
    assert refused[4] == ["CF_CFJG"]
    assert refused[5] == ["CF_JDRQ"]
    assert refused[6] == ["CF_NR_FK"]
    assert refused[7] == ["CF_NR_FK"]  # a warning carries no amount
    assert refused[8] == ["CF_SXYZCD"]
    assert refused[9] == ["row"]  # another city: outside the authority's jurisdiction
    assert (report["created"], report["refused"]) == (1, 7)
    numbers = db.session.scalars(sa.select(Violation.decision_number)).all()
    assert numbers == ["苏市监罚〔2026〕401号"]


def test_a_changed_row_is_a_correction_and_a_new_date_is_refused(client, reg_in, parties) -> None:
    assert _post(client, reg_in, _csv([_row(parties)])).get_json()["created"] == 1
    changed = _row(parties, CF_SY="组织虚假交易、编造用户评价，涉及订单三百余笔", CF_NR_FK="8")
    report = _post(client, reg_in, _csv([changed])).get_json()
    assert report["updated"] == 1, report
    v = db.session.scalar(sa.select(Violation))
    assert v.facts.endswith("三百余笔") and str(v.penalty_amount) == "80000.00"
    assert sorted(c.field for c in v.corrections) == ["facts", "penalty_amount"]
    moved = _row(parties, CF_JDRQ=(clock.today() - timedelta(days=4)).isoformat())
    report = _post(client, reg_in, _csv([moved])).get_json()
    assert report["refused"] == 1
    assert [e["field"] for e in report["results"][0]["errors"]] == ["CF_JDRQ"]


def test_gb18030_chinese_headers_and_older_column_names(client, reg_in, parties) -> None:
    header = [c.name for c in COLUMNS]  # the Chinese names
    body = _csv([_row(parties)], encoding="gb18030", header=header)
    assert _post(client, reg_in, body).get_json()["created"] == 1
    older = "CF_XDR_SHXYM,cf_wsh,CF_JDRQ,CF_CFLB1,CF_CFLB2,CF_SY,CF_YJ,CF_XZJG,CF_NR_FK,CF_ZT\r\n"
    day = (clock.today() - timedelta(days=2)).strftime("%Y/%m/%d")
    older += (
        f"{parties.owner_uscc},苏市监罚〔2026〕410号,{day},罚款,没收违法所得,"
        "虚假宣传商品功效,《广告法》第二十八条,辖区内监管局,1.5,正常\r\n"
    )
    report = _post(client, reg_in, ("\ufeff" + older).encode()).get_json()
    assert report["created"] == 1, report
    assert report["ignored_columns"] == []
    v = db.session.scalar(
        sa.select(Violation).where(Violation.decision_number == "苏市监罚〔2026〕410号")
    )
    assert (v.penalty_type, str(v.penalty_amount), v.category) == (
        "fine",
        "15000.00",
        "false_advertising",
    )
    assert v.decision_date.strftime("%Y/%m/%d") == day and v.severity == "general"


def test_xlsx_json_and_multipart_uploads(client, reg_in, parties) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(CODES)
    row = _row(parties)
    cells = [row[c] for c in CODES]
    cells[CODES.index("CF_JDRQ")] = datetime.combine(
        clock.today() - timedelta(days=3), datetime.min.time()
    )
    cells[CODES.index("CF_NR_FK")] = 5
    sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _post(client, reg_in, out.getvalue(), xlsx).get_json()["created"] == 1
    body = json.dumps(
        {"items": [_row(parties, CF_WSH="苏市监罚〔2026〕411号")]}, ensure_ascii=False
    )
    assert _post(client, reg_in, body.encode(), "application/json").get_json()["created"] == 1
    form = {"file": (io.BytesIO(_csv([_row(parties, CF_WSH="苏市监罚〔2026〕412号")])), "p.csv")}
    r = client.post(URL, data=form, headers=reg_in, content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_data(as_text=True)


def test_unreadable_files_are_problems(client, reg_in, parties, monkeypatch) -> None:
    def problem(body: bytes, content_type: str = "text/csv") -> list[str]:
        r = _post(client, reg_in, body, content_type)
        assert r.status_code == 400 and r.mimetype == "application/problem+json", r.data
        return [e["field"] for e in r.get_json()["errors"]]

    assert problem(b"CF_WSH,CF_SY\r\nx,y\r\n") == [
        "CF_XDR_SHXYM",
        "CF_JDRQ",
        "CF_CFLB",
        "CF_YJ",
        "CF_CFJG",
    ]
    assert problem(b"") == ["file"]
    assert problem(b"\xff\xfe\x00garbage\x81") == ["file"]
    assert problem(b"[1, 2]", "application/json") == ["file"]
    assert problem(
        b"PK\x03\x04broken", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ) == ["file"]
    assert _post(client, reg_in, b"<xml/>", "application/xml").status_code == 415
    from credit.exchange import penalty_import

    monkeypatch.setattr(penalty_import, "ROW_LIMIT", 2)
    rows = [_row(parties, CF_WSH=f"苏市监罚〔2026〕{500 + n}号") for n in range(3)]
    assert problem(_csv(rows)) == ["file"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Violation)) == 0


def test_uploads_may_exceed_the_general_body_limit_but_not_their_own(
    client, reg_in, parties, app
) -> None:
    big = _row(parties, BZ="备" * 400_000)  # about 1.2 MB: over MAX_CONTENT_LENGTH (1 MB)
    body = json.dumps([big], ensure_ascii=False).encode()
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]
    assert _post(client, reg_in, body, "application/json").get_json()["created"] == 1
    assert (
        client.post(
            "/api/v1/violations", data=body, headers={**reg_in, "Content-Type": "application/json"}
        ).status_code
        == 413
    )
    limit = app.config["CREDIT_EXCHANGE_MAX_UPLOAD"]
    app.config["CREDIT_EXCHANGE_MAX_UPLOAD"] = 1024
    try:
        assert _post(client, reg_in, _csv([_row(parties)] * 5)).status_code == 413
    finally:
        app.config["CREDIT_EXCHANGE_MAX_UPLOAD"] = limit


def test_only_regulators_import(client, parties) -> None:
    body = _csv([_row(parties)])
    assert client.post(URL, data=body, headers={"Content-Type": "text/csv"}).status_code == 401
    owner = bearer(client_token(client, parties.clients["owner"]))
    assert _post(client, owner, body).status_code == 403


def test_a_large_upload_is_a_job_with_progress(
    client, reg_in, reg_out, parties, monkeypatch
) -> None:
    from credit.exchange import jobs

    monkeypatch.setattr(jobs, "SYNC_ROWS", 3)
    monkeypatch.setattr(jobs, "STEP", 2)
    rows = [_row(parties, CF_WSH=f"苏市监罚〔2026〕{600 + n}号") for n in range(5)]
    rows.append(_row(parties, CF_WSH="苏市监罚〔2026〕699号", CF_JDRQ="yesterday"))
    r = _post(client, reg_in, _csv(rows))
    assert r.status_code == 202, r.get_data(as_text=True)
    job = r.get_json()
    assert (job["status"], job["total_rows"], job["done_rows"], job["report"]) == (
        "queued",
        6,
        0,
        None,
    )
    assert r.headers["Location"] == f"/api/v1/exchange/jobs/{job['id']}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Violation)) == 0
    # Another authority is told it does not exist.
    assert client.get(r.headers["Location"], headers=reg_out).status_code == 404
    stop = _StopAfter(2)  # the worker stops after two steps (a shutdown mid-job)
    assert jobs.run_next_job(stop) is True
    mid = client.get(r.headers["Location"], headers=reg_in).get_json()
    assert (mid["status"], mid["done_rows"]) == ("running", 4)
    assert jobs.run_next_job() is True  # another worker goes on from the last step
    done = client.get(r.headers["Location"], headers=reg_in).get_json()
    assert (done["status"], done["done_rows"]) == ("done", 6)
    report = done["report"]
    assert (report["created"], report["refused"], report["rows"]) == (5, 1, 6)
    assert [x["row"] for x in report["results"]] == [2, 3, 4, 5, 6, 7]
    assert report["results"][-1]["errors"][0]["field"] == "CF_JDRQ"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Violation)) == 5
    assert jobs.run_next_job() is False  # nothing left


class _StopAfter:
    """A stop event that reads as set after ``n`` looks (the job checks it per step)."""

    def __init__(self, n: int) -> None:
        self.left = n

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_the_cli_imports_a_file_and_exports_the_record(app, client, parties, tmp_path) -> None:
    rows = [_row(parties), _row(parties, CF_WSH="苏市监罚〔2026〕701号", CF_XDR_SHXYM="x")]
    source = tmp_path / "penalties.csv"
    source.write_bytes(_csv(rows))
    report = tmp_path / "report.csv"
    runner = app.test_cli_runner()
    args = ["credit", "exchange", "import-penalties", str(source), "--authority", "IN"]
    result = runner.invoke(args=[*args, "--report", str(report)])
    assert result.exit_code == 2, result.output  # one row refused
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["refused"]) == (1, 1)
    lines = list(csv.reader(io.StringIO(report.read_text("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == ["created", "refused"]
    again = runner.invoke(args=[*args])
    assert json.loads(again.stdout.strip().splitlines()[-1])["unchanged"] == 1
    out = tmp_path / "out.csv"
    exported = runner.invoke(args=["credit", "exchange", "export-penalties", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes() == client.get(URL, query_string={"format": "csv"}).data
    unknown = runner.invoke(
        args=["credit", "exchange", "import-penalties", str(source), "--authority", "NOPE"]
    )
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_an_upload_is_read_only_after_authentication(client, reg_in, parties) -> None:
    """Nobody can make the server parse 16 MiB without a token: a malformed file sent
    anonymously is a 401, not a 400 from reading it."""
    for content_type in ("application/json", "multipart/form-data; boundary=x"):
        r = client.post(URL, data=b"[{" * 1000, headers={"Content-Type": content_type})
        assert r.status_code == 401, (content_type, r.get_data(as_text=True))
    # The cells it uses are checked as the fields they become: a control character in the
    # facts refuses the row.
    row = _row(parties, CF_SY="组织虚假交易\x00编造用户评价")
    body = json.dumps([row], ensure_ascii=False).encode()
    report = _post(client, reg_in, body, "application/json").get_json()
    assert report["refused"] == 1
    assert [e["field"] for e in report["results"][0]["errors"]] == ["CF_SY"]
