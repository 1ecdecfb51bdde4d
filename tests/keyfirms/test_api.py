"""The key-enterprise API in-process: the department's writes with problem+json per
field, the CSV upload, coverage, reminders, the firm's view and the public list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit import clock
from tests.keyfirms.clients import department_client
from tests.parties import bearer, client_token, make_pledge

URL = "/api/v1/key-enterprises"


@pytest.fixture
def dept(client, parties):
    return bearer(client_token(client, department_client(parties.owner_city)))


def _body(code: str, **extra) -> dict:
    return {
        "uscc": code,
        "category": "platform_operator",
        "reason": "全省重点平台",
        "listed_from": clock.today().isoformat(),
        **extra,
    }


def test_department_journey(client, parties, dept) -> None:
    r = client.post(URL, json=_body(parties.owner_uscc), headers=dept)
    assert r.status_code == 201, r.get_data(as_text=True)
    listing = r.get_json()
    assert listing["category"] == "platform_operator" and listing["removed_at"] is None
    assert client.post(URL, json=_body(parties.owner_uscc), headers=dept).status_code == 409

    public = client.get(URL).get_json()
    assert [i["uscc"] for i in public["items"]] == [parties.owner_uscc]
    item = public["items"][0]
    assert (item["coverage"], item["coverage_zh"]) == ("none", "尚未公示承诺")
    assert item["profile"] == f"/enterprises/{parties.owner_uscc}"
    assert "reason" not in item and "added_by" not in item
    assert public["figures"]["total"] == 1 and public["figures"]["covered"] == 0

    cov = client.get("/api/v1/regulator/key-enterprises/coverage", headers=dept).get_json()
    assert [i["uscc"] for i in cov["not_covered"]] == [parties.owner_uscc]
    due = (clock.today() + timedelta(days=10)).isoformat()
    r = client.post(f"{URL}/reminders", json={"due_on": due}, headers=dept)
    assert r.status_code == 201 and r.get_json()["sent"] == 1

    owner = bearer(client_token(client, parties.clients["owner"]))
    asked = client.get(f"{URL}/asked", headers=owner).get_json()
    assert [x["due_on"] for x in asked["reminders"]] == [due]
    assert asked["listings"][0]["category_zh"] == "电子商务平台经营者"

    make_pledge(parties.owner_uscc, publish=True)  # the firm files from the reminder
    assert client.get(URL).get_json()["items"][0]["coverage"] == "in_force"
    assert client.get(URL, query_string={"coverage": "none"}).get_json()["total"] == 0

    r = client.delete(f"{URL}/{listing['id']}", json={}, headers=dept)
    assert r.status_code == 400 and [e["field"] for e in r.get_json()["errors"]] == ["reason"]
    r = client.delete(f"{URL}/{listing['id']}", json={"reason": "不再符合条件"}, headers=dept)
    assert r.status_code == 200 and r.get_json()["removal_reason"] == "不再符合条件"
    assert client.get(URL).get_json()["total"] == 0
    history = client.get(f"{URL}/history", headers=dept).get_json()["items"]
    assert [h["action"] for h in history] == ["removed", "added"]


def test_bad_input_is_listed_per_field(client, parties, dept) -> None:
    body = _body(
        parties.owner_uscc,
        category="nope",
        listed_until=(clock.today() - timedelta(days=1)).isoformat(),
    )
    r = client.post(URL, json=body, headers=dept)
    assert r.status_code == 400
    assert r.content_type == "application/problem+json"
    assert {e["field"] for e in r.get_json()["errors"]} == {"category"}
    body = _body(parties.owner_uscc, listed_until=(clock.today() - timedelta(days=1)).isoformat())
    r = client.post(URL, json=body, headers=dept)
    assert [e["field"] for e in r.get_json()["errors"]] == ["listed_until"]
    r = client.post(URL, json=_body(parties.owner_uscc, added_by="me"), headers=dept)
    assert [e["field"] for e in r.get_json()["errors"]] == ["added_by"]
    r = client.get(URL, query_string={"coverage": "maybe", "city": "999999"})
    assert r.status_code == 400
    assert {e["field"] for e in r.get_json()["errors"]} == {"coverage", "city"}


def _upload(client, headers, text: str, name: str = "list.csv"):
    return client.post(f"{URL}/upload", json={"filename": name, "content": text}, headers=headers)


def test_csv_upload(client, parties, dept) -> None:
    today = clock.today().isoformat()
    bad = (
        "uscc,category,reason,listed_from\n"
        f"{parties.owner_uscc},platform_operator,重点平台,{today}\n"
        f"{parties.owner_uscc},platform_operator,重复,{today}\n"
        f"{parties.other_uscc},老字号企业,辖区外,{today}\n"
    )
    r = _upload(client, dept, bad)
    assert r.status_code == 400, r.get_data(as_text=True)
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"line 2: uscc", "line 3: uscc", "line 4: uscc"}
    assert client.get(URL).get_json()["total"] == 0
    good = (
        "\ufeff统一社会信用代码,类别,列入理由,起始日期\n"
        f"{parties.owner_uscc},老字号企业,江苏老字号,{today}\n"
    )
    r = _upload(client, dept, good)
    assert r.status_code == 201 and r.get_json()["added"] == 1
    assert client.get(URL).get_json()["items"][0]["category"] == "time_honoured_brand"
    r = _upload(client, dept, "uscc,colour\nx,y\n")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "file"
    r = _upload(client, dept, "uscc\u0000,category\n")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "content"


def test_jurisdiction_and_authority_kind(client, parties, dept) -> None:
    r = client.post(URL, json=_body(parties.other_uscc), headers=dept)
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "uscc"
    listing = client.post(URL, json=_body(parties.owner_uscc), headers=dept).get_json()
    other_city = next(c for c in ("320100", "320200", "321300") if c != parties.owner_city)
    outside = bearer(client_token(client, department_client(other_city, code="COM2")))
    r = client.delete(f"{URL}/{listing['id']}", json={"reason": "越权移出"}, headers=outside)
    assert r.status_code == 404
    market = bearer(
        client_token(client, department_client(parties.owner_city, "SCJG", "market_regulation"))
    )
    r = client.post(
        URL, json=_body(parties.owner_uscc, category="live_commerce_base"), headers=market
    )
    assert r.status_code == 403 and r.content_type == "application/problem+json"
    owner = bearer(client_token(client, parties.clients["owner"]))
    assert (
        client.get("/api/v1/regulator/key-enterprises/coverage", headers=owner).status_code == 403
    )


def test_a_second_reminder_run_says_who_was_skipped(client, parties, dept, monkeypatch) -> None:
    assert client.post(URL, json=_body(parties.owner_uscc), headers=dept).status_code == 201
    due = (clock.today() + timedelta(days=10)).isoformat()
    first = client.post(f"{URL}/reminders", json={"due_on": due}, headers=dept).get_json()
    assert (first["sent"], first["skipped"], first["quiet_days"]) == (1, 0, 7)
    second = client.post(f"{URL}/reminders", json={"due_on": due}, headers=dept).get_json()
    assert (second["sent"], second["skipped"], second["items"]) == (0, 1, [])
    skipped = second["skipped_items"][0]
    assert (skipped["uscc"], skipped["category"]) == (parties.owner_uscc, "platform_operator")
    assert skipped["last_sent"] == first["items"][0]["created_at"]
    # The quiet period is the setting's: 0 reminds every time.
    monkeypatch.setitem(client.application.config, "CREDIT_KEY_REMINDER_QUIET_DAYS", 0)
    third = client.post(f"{URL}/reminders", json={"due_on": due}, headers=dept).get_json()
    assert (third["sent"], third["skipped"], third["quiet_days"]) == (1, 0, 0)
