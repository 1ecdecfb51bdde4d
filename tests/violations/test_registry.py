"""Corrections, the serious dishonesty list, commendations, statistics."""

from __future__ import annotations

from datetime import timedelta

from credit import clock
from tests.parties import bearer, client_token, make_violation


def test_correction_is_appended(client, parties, reg_in, reg_out) -> None:
    v = make_violation(parties)
    url = f"/api/v1/violations/{v.id}"
    etag = client.get(url).headers["ETag"]
    body = {"field": "penalty_amount", "new_value": 30000, "reason": "计算错误，更正罚款金额"}
    assert (
        client.post(
            url + "/corrections", json=body, headers={**reg_out, "If-Match": etag}
        ).status_code
        == 403
    )
    r = client.post(url + "/corrections", json=body, headers={**reg_in, "If-Match": etag})
    assert r.status_code == 200, r.get_data(as_text=True)
    shown = client.get(url).get_json()
    assert shown["penalty_amount"] == "30000.00" and shown["status"] == "corrected"
    assert shown["corrections"][0]["old_value"] == "50000.00"
    assert shown["corrections"][0]["new_value"] == "30000.00"
    stale = client.post(
        url + "/corrections", json={**body, "new_value": 1}, headers={**reg_in, "If-Match": etag}
    )
    assert stale.status_code == 412
    bad = client.post(
        url + "/corrections",
        headers={**reg_in, "If-Match": r.headers["ETag"]},
        json={"field": "decision_date", "new_value": "x", "reason": "改日期"},
    )
    assert bad.status_code == 400


def test_serious_list_and_commendations(client, parties, reg_in, reg_out) -> None:
    today = clock.today()
    listing = {
        "uscc": parties.owner_uscc,
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》",
        "reason": "一年内因刷单炒信两次受到行政处罚",
        "listed_on": today.isoformat(),
        "remove_on": (today + timedelta(days=3 * 365)).isoformat(),
    }
    assert client.post("/api/v1/serious-list", json=listing, headers=reg_out).status_code == 403
    r = client.post("/api/v1/serious-list", json=listing, headers=reg_in)
    assert r.status_code == 201, r.get_data(as_text=True)
    honour = {
        "uscc": parties.owner_uscc,
        "title": "江苏省电子商务示范企业",
        "legal_basis": "江苏省商务厅认定文件",
        "granted_on": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }
    assert client.post("/api/v1/commendations", json=honour, headers=reg_in).status_code == 201
    standing = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/standing").get_json()
    assert standing["serious_list"][0]["authority"] == "辖区内监管局"
    assert standing["commendations"][0]["title"] == "江苏省电子商务示范企业"
    owner = bearer(client_token(client, parties.clients["owner"]))
    assert client.post("/api/v1/commendations", json=honour, headers=owner).status_code == 403
    wrong = {**listing, "remove_on": listing["listed_on"]}
    assert client.post("/api/v1/serious-list", json=wrong, headers=reg_in).status_code == 400


def test_statistics_by_jurisdiction(client, parties, reg_in, reg_out) -> None:
    from tests.helpers import import_records, sample_records

    with client.application.app_context():  # a second firm in the same city counts nothing
        neighbour = next(
            r for r in sample_records(60, seed=77) if r["city_code"] == parties.owner_city
        )
        import_records([neighbour])
    make_violation(parties, severity="general")
    make_violation(parties, severity="serious")
    inside = client.get("/api/v1/regulator/statistics", headers=reg_in).get_json()
    assert dict((k, n) for k, n in inside["severity"]) == {"general": 1, "serious": 1}
    assert inside["city"] == [[parties.owner_city, 2]]
    outside = client.get("/api/v1/regulator/statistics", headers=reg_out).get_json()
    assert outside == {"city": [], "category": [], "severity": []}
    owner = bearer(client_token(client, parties.clients["owner"]))
    assert client.get("/api/v1/regulator/statistics", headers=owner).status_code == 403


def test_demo_records_cover_severities_and_states(clean_app) -> None:
    runner = clean_app.test_cli_runner()
    r = runner.invoke(args=["credit", "demo", "--enterprises", "3000", "--seed", "1"])
    assert r.exit_code == 0, r.output
    client = clean_app.test_client()
    listed = client.get("/api/v1/violations", query_string={"size": 100}).get_json()
    assert listed["total"] > 10
    severities = {v["severity"] for v in listed["items"]}
    assert {"general", "serious"} <= severities
    import sqlalchemy as sa

    from credit.extensions import db
    from credit.violations.models import Correction, Objection, RepairApplication, Violation

    with clean_app.app_context():
        states = dict(
            db.session.execute(
                sa.select(Violation.status, sa.func.count()).group_by(Violation.status)
            ).all()
        )
        unpublished = db.session.scalar(
            sa.select(sa.func.count()).where(Violation.published.is_(False))
        )
        objections = db.session.scalar(sa.select(sa.func.count()).select_from(Objection))
        corrections = db.session.scalar(sa.select(sa.func.count()).select_from(Correction))
        repairs = dict(
            db.session.execute(
                sa.select(RepairApplication.status, sa.func.count()).group_by(
                    RepairApplication.status
                )
            ).all()
        )
    assert sum(states.values()) >= 30 and states.get("active", 0) > 10
    assert states.get("revoked", 0) + states.get("repaired", 0) > 0
    assert unpublished > 0 and objections > 0 and corrections > 0
    assert repairs.get("pending", 0) > 0 and repairs.get("approved", 0) > 0
    assert states.get("repaired", 0) == repairs["approved"]
    again = runner.invoke(args=["credit", "demo", "--enterprises", "3000", "--seed", "1"])
    assert '"violations": 0' in again.output
