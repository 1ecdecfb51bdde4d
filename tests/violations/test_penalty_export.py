"""The public penalty records in the national "双公示" format: only what is public, masked
as on the pages, in JSON and in CSV a spreadsheet reads safely."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.exchange.penalties import COLUMNS
from credit.extensions import db
from credit.masking import mask_person_name
from tests.parties import make_violation

URL = "/api/v1/exchange/penalties"
CODES = [c.code for c in COLUMNS]


def _record(client, headers, parties, **overrides) -> dict:
    body = {
        "uscc": parties.owner_uscc,
        "category": "false_advertising",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕201号",
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


def test_a_public_record_in_the_national_columns(client, reg_in, parties) -> None:
    v = _record(client, reg_in, parties)
    r = client.get(URL)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert [c["code"] for c in body["columns"]] == CODES
    assert body["total"] == 1 and len(body["items"]) == 1
    row = body["items"][0]
    assert list(row) == CODES
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == parties.owner_uscc))
    assert row["CF_XDR_MC"] == ent.name and row["CF_XDR_SHXYM"] == parties.owner_uscc
    assert row["CF_XDR_LB"] == "法人及非法人组织"
    assert row["CF_WSH"] == "苏市监罚〔2026〕201号" and row["CF_WFXW"] == "虚假宣传"
    assert row["CF_CFLB"] == "罚款" and row["CF_NR"] == "罚款20000元"
    assert row["CF_NR_FK"] == "2" and row["CF_NR_WFFF"] == ""  # 万元
    assert row["CF_JDRQ"] == v["decision_date"] and row["CF_GSJZQ"] == v["publish_until"]
    assert row["CF_CFJG"] == "辖区内监管局" == row["CF_SJLY"]
    assert row["CF_SXYZCD"] == "一般"
    assert row["CF_SY"] == "在商品详情页作虚假宣传" and row["CF_YJ"] == "《反不正当竞争法》第八条"


def test_a_natural_persons_name_is_masked(client, reg_in, parties) -> None:
    _record(client, reg_in, parties)
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == parties.owner_uscc))
    assert ent.legal_representative_kind == "natural_person" and len(ent.legal_representative) > 1
    row = client.get(URL).get_json()["items"][0]
    assert row["CF_FRDB"] == mask_person_name(ent.legal_representative)
    assert row["CF_FRDB"] != ent.legal_representative
    assert ent.legal_representative not in client.get(URL, query_string={"format": "csv"}).text


def test_only_public_records_are_exported(client, reg_in, parties) -> None:
    shown = _record(client, reg_in, parties, decision_number="苏市监罚〔2026〕1号")
    _record(  # minor: not published
        client,
        reg_in,
        parties,
        decision_number="苏市监罚〔2026〕2号",
        severity="minor",
        penalty_type="warning",
        penalty_amount=None,
    )
    make_violation(parties, days_ago=1150, decision_number="苏市监罚〔2023〕3号")  # window over
    revoked = _record(client, reg_in, parties, decision_number="苏市监罚〔2026〕4号")
    r = client.post(
        f"/api/v1/violations/{revoked['id']}/revocation",
        json={"reason": "复议决定撤销原处罚决定", "decision_revoked_on": clock.today().isoformat()},
        headers={**reg_in, "If-Match": f'"{revoked["version"]}"'},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = client.get(URL).get_json()
    assert [row["CF_WSH"] for row in body["items"]] == [shown["decision_number"]]
    assert body["total"] == client.get("/api/v1/violations").get_json()["total"] == 1


def test_filters_by_decision_date_and_city(client, reg_in, parties) -> None:
    today = clock.today()
    for n, days in ((1, 30), (2, 20), (3, 10)):
        _record(
            client,
            reg_in,
            parties,
            decision_number=f"苏市监罚〔2026〕{n}号",
            decision_date=(today - timedelta(days=days)).isoformat(),
        )
    since, until = (
        (today - timedelta(days=20)).isoformat(),
        (today - timedelta(days=10)).isoformat(),
    )
    got = client.get(URL, query_string={"since": since, "until": until}).get_json()
    assert [row["CF_WSH"] for row in got["items"]] == ["苏市监罚〔2026〕2号", "苏市监罚〔2026〕3号"]
    assert got["total"] == 2
    everything = client.get(URL).get_json()["items"]
    assert [row["CF_JDRQ"] for row in everything] == sorted(row["CF_JDRQ"] for row in everything)
    assert len(client.get(URL, query_string={"city": parties.owner_city}).get_json()["items"]) == 3
    other = next(c for c in ("320100", "320200", "321300") if c != parties.owner_city)
    assert client.get(URL, query_string={"city": other}).get_json() == {
        **client.get(URL, query_string={"city": other}).get_json(),
        "total": 0,
        "items": [],
    }


def test_bad_filters_are_problems_naming_the_field(client) -> None:
    r = client.get(URL, query_string={"since": "2026-05-02", "until": "2026-05-01"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert [e["field"] for e in r.get_json()["errors"]] == ["until"]
    for args, field in (
        ({"city": "110000"}, "city"),
        ({"format": "xml"}, "format"),
        ({"since": "9999-01-01"}, "since"),
    ):
        r = client.get(URL, query_string=args)
        assert r.status_code == 400, (args, r.get_data(as_text=True))
        assert field in [e["field"] for e in r.get_json()["errors"]]


def test_csv_has_a_bom_the_column_codes_and_no_live_formula(client, reg_in, parties) -> None:
    _record(client, reg_in, parties, facts='=HYPERLINK("http://x")虚假宣传')
    r = client.get(URL, query_string={"format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == CODES and len(rows) == 2
    row = dict(zip(CODES, rows[1], strict=True))
    assert row["CF_SY"] == '\'=HYPERLINK("http://x")虚假宣传'
    assert row["CF_WSH"] == "苏市监罚〔2026〕201号" and row["CF_NR_FK"] == "2"


def test_the_export_streams_past_one_batch(client, reg_in, parties, monkeypatch) -> None:
    from credit.exchange import penalties

    monkeypatch.setattr(penalties, "BATCH", 2)
    for n in range(5):
        _record(client, reg_in, parties, decision_number=f"苏市监罚〔2026〕{50 + n}号")
    got = client.get(URL).get_json()
    assert got["total"] == 5
    assert [row["CF_WSH"] for row in got["items"]] == sorted(
        f"苏市监罚〔2026〕{50 + n}号" for n in range(5)
    )
