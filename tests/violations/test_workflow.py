"""Objection and repair workflows: both outcomes, due dates in working days, overdue."""

from __future__ import annotations

from datetime import timedelta

from credit import clock, workdays
from tests.parties import bearer, client_token, make_pledge, make_violation, seed_templates


def _owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


def test_objection_rejected_keeps_the_record(client, parties, reg_in) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    r = client.post(f"/api/v1/violations/{v.id}/objections", headers=owner,
                    json={"reasons": "处罚对象认定错误，涉事店铺非本企业经营",
                          "attachments": ["店铺转让协议扫描件"]})
    assert r.status_code == 201, r.get_data(as_text=True)
    objection = r.get_json()
    assert objection["due_date"] == workdays.add_workdays(clock.today(), 5).isoformat()
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "under_objection"
    # A second objection while one is pending is refused.
    assert client.post(f"/api/v1/violations/{v.id}/objections", headers=owner,
                       json={"reasons": "再次提出异议理由"}).status_code == 409
    queue = client.get("/api/v1/regulator/objections", headers=reg_in).get_json()["items"]
    assert [q["id"] for q in queue] == [objection["id"]] and queue[0]["overdue"] is False
    r = client.post(f"/api/v1/objections/{objection['id']}/decision", headers=reg_in,
                    json={"accepted": False, "reason": "经核查，处罚对象无误"})
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "published"
    assert client.post(f"/api/v1/objections/{objection['id']}/decision", headers=reg_in,
                       json={"accepted": True, "reason": "改判"}).status_code == 409


def test_objection_upheld_revokes_the_record(client, parties, reg_in) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, days_ago=0,
                       breached=[{"pledge_id": pledge.id, "clause": "C03"}])
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["compliance"] == "breached"
    owner = _owner(client, parties)
    objection = client.post(f"/api/v1/violations/{v.id}/objections", headers=owner,
                            json={"reasons": "该订单系真实交易，有物流凭证"}).get_json()
    r = client.post(f"/api/v1/objections/{objection['id']}/decision", headers=reg_in,
                    json={"accepted": True, "reason": "经核查异议成立"})
    assert r.get_json()["status"] == "upheld"
    assert client.get(f"/api/v1/violations/{v.id}").status_code == 404
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["compliance"] == "kept"


def test_overdue_objection_is_flagged(client, parties, reg_in, frozen_clock) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    client.post(f"/api/v1/violations/{v.id}/objections", headers=owner,
                json={"reasons": "事实认定有误，请复核"})
    frozen_clock.advance(15 * 86400)  # three weeks of calendar: well past 5 working days
    fresh = bearer(client_token(client, parties.clients["reg_in"]))
    queue = client.get("/api/v1/regulator/objections", headers=fresh).get_json()["items"]
    assert queue[0]["overdue"] is True and queue[0]["workdays_left"] < 0


def test_repair_too_early_then_approved(client, parties, reg_in, frozen_clock) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=10)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True,
                                template_code="CREDIT-REPAIR")
    ordinary = make_pledge(parties.owner_uscc, publish=True)
    owner = _owner(client, parties)
    body = {"pledge_id": repair_pledge.id, "statement": "已下架违规商品并完成整改，罚款已缴清"}
    early = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=body)
    assert early.status_code == 400
    assert "violation" in [e["field"] for e in early.get_json()["errors"]]
    # The day before repairable_from: still too early; on the day: allowed.
    frozen_clock.advance((v.repairable_from - clock.today()).days * 86400 - 86400)
    owner = _owner(client, parties)
    assert client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner,
                       json=body).status_code == 400
    frozen_clock.advance(86400)
    owner = _owner(client, parties)
    wrong = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner,
                        json={**body, "pledge_id": ordinary.id})
    assert wrong.status_code == 400  # not a repair pledge
    r = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    application = r.get_json()
    assert application["due_date"] == workdays.add_workdays(clock.today(), 3).isoformat()
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    queue = client.get("/api/v1/regulator/repairs", headers=reg).get_json()["items"]
    assert [q["id"] for q in queue] == [application["id"]]
    d = client.post(f"/api/v1/repairs/{application['id']}/decision", headers=reg,
                    json={"accepted": True, "reason": "整改到位，同意修复"})
    assert d.get_json()["status"] == "approved"
    assert client.get(f"/api/v1/violations/{v.id}").status_code == 404  # publication ended
    kept = client.get(f"/api/v1/violations/{v.id}", headers=reg).get_json()
    assert kept["status"] == "repaired"


def test_repair_rejected_keeps_the_record(client, parties, reg_in, frozen_clock) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=120)  # past the 3-month minimum
    pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    owner = _owner(client, parties)
    r = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner,
                    json={"pledge_id": pledge.id, "statement": "已整改并缴清罚款"})
    d = client.post(f"/api/v1/repairs/{r.get_json()['id']}/decision", headers=reg_in,
                    json={"accepted": False, "reason": "罚款尚未缴清"})
    assert d.get_json()["status"] == "rejected"
    assert d.get_json()["decision_reason"] == "罚款尚未缴清"
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "published"


def test_only_the_issuing_authority_decides(client, parties, reg_out) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    objection = client.post(f"/api/v1/violations/{v.id}/objections", headers=owner,
                            json={"reasons": "请复核处罚依据"}).get_json()
    r = client.post(f"/api/v1/objections/{objection['id']}/decision", headers=reg_out,
                    json={"accepted": True, "reason": "越权处理"})
    assert r.status_code == 404
    other = bearer(client_token(client, parties.clients["other"]))
    assert client.post(f"/api/v1/violations/{v.id}/objections", headers=other,
                       json={"reasons": "替别人提异议"}).status_code == 403
    assert client.get(f"/api/v1/objections/{objection['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/objections/{objection['id']}").status_code == 404


def test_working_days_skip_the_national_day(frozen_clock) -> None:
    from datetime import date

    assert workdays.add_workdays(date(2026, 9, 30), 5) - date(2026, 9, 30) > timedelta(days=5)
