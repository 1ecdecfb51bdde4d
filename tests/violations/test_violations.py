"""Recording violations, their publicity windows over time, revocation, pledge breaches."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit import clock
from tests.parties import make_pledge, seed_templates


def _body(parties, **overrides) -> dict:
    body = {
        "uscc": parties.owner_uscc,
        "category": "false_advertising",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕101号",
        "legal_basis": "《反不正当竞争法》第八条",
        "facts": "在商品详情页作虚假宣传",
        "penalty_type": "fine",
        "penalty_amount": 20000,
        "decision_date": (clock.today() - timedelta(days=5)).isoformat(),
    }
    body.update(overrides)
    return body


def test_record_and_read(client, reg_in, parties) -> None:
    r = client.post("/api/v1/violations", json=_body(parties), headers=reg_in)
    assert r.status_code == 201, r.get_data(as_text=True)
    v = r.get_json()
    assert v["severity"] == "general" and v["severity_name"] == "一般"
    assert v["category_name"] == "虚假宣传" and v["status"] == "published"
    assert v["authority"] == "辖区内监管局" and v["penalty_amount"] == "20000.00"
    decided = date.fromisoformat(v["decision_date"])
    assert v["rule_version"] == ("NDRC-36-2026" if decided >= date(2026, 4, 1) else "NDRC-58-2023")
    public = client.get(f"/api/v1/violations/{v['id']}").get_json()
    assert public["decision_number"] == "苏市监罚〔2026〕101号"
    listed = client.get("/api/v1/violations", query_string={"severity": "general"}).get_json()
    assert [x["id"] for x in listed["items"]] == [v["id"]]
    mine = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/violations").get_json()
    assert [x["id"] for x in mine["items"]] == [v["id"]]


def test_outside_jurisdiction_is_refused(client, reg_out, parties) -> None:
    r = client.post("/api/v1/violations", json=_body(parties), headers=reg_out)
    assert r.status_code == 403


def test_enterprises_cannot_record(client, parties) -> None:
    from tests.parties import bearer, client_token

    owner = bearer(client_token(client, parties.clients["owner"]))
    assert client.post("/api/v1/violations", json=_body(parties), headers=owner).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"decision_date": "2099-01-01"}, "decision_date"),
        ({"penalty_amount": None}, "penalty_amount"),
        ({"penalty_amount": -5}, "penalty_amount"),
        ({"severity": "fatal"}, "severity"),
        ({"category": "murder"}, "category"),
        ({"decision_date": "2019-01-01"}, "decision_date"),
        ({"status": "revoked"}, "status"),
        ({"authority_id": "x"}, "authority_id"),
        ({"breached_clauses": [{"pledge_id": "nope", "clause": "C03"}]}, "breached_clauses.0"),
    ],
)
def test_invalid_records_are_refused(client, reg_in, parties, overrides, field) -> None:
    r = client.post("/api/v1/violations", json=_body(parties, **overrides), headers=reg_in)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert field in [e["field"] for e in r.get_json()["errors"]]


def test_the_old_tier_field_is_refused_and_severity_is_required(client, reg_in, parties) -> None:
    """Migration 0013 renamed a record's ``tier`` to ``severity`` (the rating keeps tier):
    a body still saying ``tier`` is a 400 naming it as unknown, and severity as missing."""
    body = _body(parties)
    body["tier"] = body.pop("severity")
    # Messages in English (the request's language; Chinese by default).
    r = client.post("/api/v1/violations", json=body, headers={**reg_in, "Accept-Language": "en"})
    assert r.status_code == 400 and r.content_type == "application/problem+json"
    errors = {e["field"]: e for e in r.get_json()["errors"]}
    assert set(errors) == {"tier", "severity"}, errors
    assert errors["tier"]["location"] == "json" and "Unknown" in errors["tier"]["message"]
    assert errors["severity"]["location"] == "json"
    assert "Missing" in errors["severity"]["message"]
    r = client.post("/api/v1/violations", json=_body(parties, severity="A"), headers=reg_in)
    assert r.status_code == 400
    assert [e["field"] for e in r.get_json()["errors"]] == ["severity"]
    r = client.get("/api/v1/violations", query_string={"tier": "general"})
    assert r.status_code == 400
    assert [e["field"] for e in r.get_json()["errors"]] == ["tier"]
    assert client.get("/api/v1/violations").get_json()["total"] == 0  # nothing was recorded


def test_same_decision_number_twice_is_409(client, reg_in, parties) -> None:
    assert client.post("/api/v1/violations", json=_body(parties), headers=reg_in).status_code == 201
    assert client.post("/api/v1/violations", json=_body(parties), headers=reg_in).status_code == 409


def test_minor_records_are_not_published(client, reg_in, parties) -> None:
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, severity="minor", penalty_type="warning", penalty_amount=None),
        headers=reg_in,
    )
    v = r.get_json()
    assert r.status_code == 201 and v["status"] == "not_published"
    assert client.get(f"/api/v1/violations/{v['id']}").status_code == 404
    assert client.get("/api/v1/violations").get_json()["total"] == 0
    assert client.get(f"/api/v1/violations/{v['id']}", headers=reg_in).status_code == 200


@pytest.mark.parametrize("decided", [date(2026, 3, 31), date(2026, 4, 1)])
def test_publicity_window_edges(client, reg_in, parties, frozen_clock, decided) -> None:
    """The day before and the day of each edge, for decisions under both rule versions."""
    from datetime import UTC, datetime

    frozen_clock.now = datetime(decided.year, decided.month, decided.day, 4, tzinfo=UTC)
    r = client.post(
        "/api/v1/violations", json=_body(parties, decision_date=decided.isoformat()), headers=reg_in
    )
    v = r.get_json()
    url = f"/api/v1/violations/{v['id']}"
    repairable = date.fromisoformat(v["repairable_from"])
    until = date.fromisoformat(v["publish_until"])
    # The decision day is not counted (Civil Code Art. 201): repair from the day after the
    # 3 months run out; Order 58 keeps 3 years public, Order 36 1 year for a general record.
    assert repairable == (date(2026, 7, 1) if decided.month == 3 else date(2026, 7, 2))
    assert until == (date(2029, 3, 31) if decided.month == 3 else date(2027, 4, 1))

    def at(day: date) -> None:
        frozen_clock.now = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)

    at(until)
    assert client.get(url).get_json()["status"] == "published"
    assert client.get("/api/v1/violations").get_json()["total"] == 1
    at(until + timedelta(days=1))
    assert client.get(url).status_code == 404  # left public view by itself
    assert client.get("/api/v1/violations").get_json()["total"] == 0
    from tests.parties import bearer, client_token

    fresh = bearer(client_token(client, parties.clients["reg_in"]))  # months later
    shown = client.get(url, headers=fresh).get_json()  # still on record for regulators
    assert shown["status"] == "ended"


def test_revocation_leaves_public_view_at_once(client, reg_in, reg_out, parties) -> None:
    r = client.post("/api/v1/violations", json=_body(parties), headers=reg_in)
    url = f"/api/v1/violations/{r.get_json()['id']}"
    etag = r.headers["ETag"]
    assert (
        client.post(
            url + "/revocation", json={"reason": "复议撤销"}, headers={**reg_out, "If-Match": etag}
        ).status_code
        == 403
    )
    assert (
        client.post(url + "/revocation", json={"reason": "复议撤销"}, headers=reg_in).status_code
        == 428
    )
    ok = client.post(
        url + "/revocation", json={"reason": "复议撤销"}, headers={**reg_in, "If-Match": etag}
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "revoked"
    assert client.get(url).status_code == 404
    kept = client.get(url, headers=reg_in).get_json()
    assert kept["revocation_reason"] == "复议撤销" and kept["decision_number"]


def test_named_clause_marks_the_pledge_breached(client, reg_in, parties) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    body = _body(
        parties,
        decision_date=clock.today().isoformat(),
        breached_clauses=[{"pledge_id": pledge.id, "clause": "C04"}],
    )
    r = client.post("/api/v1/violations", json=body, headers=reg_in)
    assert r.status_code == 201, r.get_data(as_text=True)
    shown = client.get(f"/api/v1/pledges/{pledge.id}").get_json()
    assert shown["compliance"] == "breached" and shown["breached_clauses"] == ["C04"]
    # Revoking the violation lifts the breach.
    client.post(
        f"/api/v1/violations/{r.get_json()['id']}/revocation",
        json={"reason": "撤销"},
        headers={**reg_in, "If-Match": r.headers["ETag"]},
    )
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["compliance"] == "kept"


def test_clause_of_a_pledge_not_valid_on_the_decision_date(client, reg_in, parties) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)  # valid from today
    body = _body(
        parties,
        decision_date=(clock.today() - timedelta(days=30)).isoformat(),
        breached_clauses=[{"pledge_id": pledge.id, "clause": "C04"}],
    )
    r = client.post("/api/v1/violations", json=body, headers=reg_in)
    assert r.status_code == 400
