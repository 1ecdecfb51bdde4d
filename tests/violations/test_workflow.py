"""Objection and repair workflows: both outcomes, due dates in working days, overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit import clock, workdays
from tests.parties import bearer, client_token, make_pledge, make_violation, seed_templates


def _owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


def test_objection_rejected_keeps_the_record(client, parties, reg_in) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    r = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={
            "reasons": "处罚对象认定错误，涉事店铺非本企业经营",
            "attachments": ["店铺转让协议扫描件"],
        },
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    objection = r.get_json()
    assert objection["due_date"] == workdays.add_workdays(clock.today(), 5).isoformat()
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "under_objection"
    # A second objection while one is pending is refused.
    assert (
        client.post(
            f"/api/v1/violations/{v.id}/objections",
            headers=owner,
            json={"reasons": "再次提出异议理由"},
        ).status_code
        == 409
    )
    queue = client.get("/api/v1/regulator/objections", headers=reg_in).get_json()["items"]
    assert [q["id"] for q in queue] == [objection["id"]] and queue[0]["overdue"] is False
    r = client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        headers=reg_in,
        json={"accepted": False, "reason": "经核查，处罚对象无误"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "published"
    assert (
        client.post(
            f"/api/v1/objections/{objection['id']}/decision",
            headers=reg_in,
            json={"accepted": True, "reason": "改判"},
        ).status_code
        == 409
    )


def test_objection_upheld_revokes_the_record(client, parties, reg_in) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}])
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["compliance"] == "breached"
    owner = _owner(client, parties)
    objection = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "该订单系真实交易，有物流凭证"},
    ).get_json()
    r = client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        headers=reg_in,
        json={"accepted": True, "reason": "经核查异议成立"},
    )
    assert r.get_json()["status"] == "upheld"
    assert client.get(f"/api/v1/violations/{v.id}").status_code == 404
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["compliance"] == "kept"


def test_overdue_objection_is_flagged(client, parties, reg_in, frozen_clock) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "事实认定有误，请复核"},
    )
    frozen_clock.advance(15 * 86400)  # three weeks of calendar: well past 5 working days
    fresh = bearer(client_token(client, parties.clients["reg_in"]))
    queue = client.get("/api/v1/regulator/objections", headers=fresh).get_json()["items"]
    assert queue[0]["overdue"] is True and queue[0]["workdays_left"] < 0


def test_repair_too_early_then_approved(client, parties, reg_in, frozen_clock) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=10)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    ordinary = make_pledge(parties.owner_uscc, publish=True)
    owner = _owner(client, parties)
    body = {"pledge_id": repair_pledge.id, "statement": "已下架违规商品并完成整改，罚款已缴清"}
    early = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=body)
    assert early.status_code == 400
    assert "violation" in [e["field"] for e in early.get_json()["errors"]]
    # The day before repairable_from: still too early; on the day: allowed.
    frozen_clock.advance((v.repairable_from - clock.today()).days * 86400 - 86400)
    owner = _owner(client, parties)
    assert (
        client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=body).status_code
        == 400
    )
    frozen_clock.advance(86400)
    owner = _owner(client, parties)
    wrong = client.post(
        f"/api/v1/violations/{v.id}/repairs", headers=owner, json={**body, "pledge_id": ordinary.id}
    )
    assert wrong.status_code == 400  # not a repair pledge
    r = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    application = r.get_json()
    assert application["due_date"] == workdays.add_workdays(clock.today(), 3).isoformat()
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    queue = client.get("/api/v1/regulator/repairs", headers=reg).get_json()["items"]
    assert [q["id"] for q in queue] == [application["id"]]
    d = client.post(
        f"/api/v1/repairs/{application['id']}/decision",
        headers=reg,
        json={"accepted": True, "reason": "整改到位，同意修复"},
    )
    assert d.get_json()["status"] == "approved"
    assert client.get(f"/api/v1/violations/{v.id}").status_code == 404  # publication ended
    kept = client.get(f"/api/v1/violations/{v.id}", headers=reg).get_json()
    assert kept["status"] == "repaired"


def test_repair_rejected_keeps_the_record(client, parties, reg_in, frozen_clock) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=120)  # past the 3-month minimum
    pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    owner = _owner(client, parties)
    r = client.post(
        f"/api/v1/violations/{v.id}/repairs",
        headers=owner,
        json={"pledge_id": pledge.id, "statement": "已整改并缴清罚款"},
    )
    d = client.post(
        f"/api/v1/repairs/{r.get_json()['id']}/decision",
        headers=reg_in,
        json={"accepted": False, "reason": "罚款尚未缴清"},
    )
    assert d.get_json()["status"] == "rejected"
    assert d.get_json()["decision_reason"] == "罚款尚未缴清"
    assert client.get(f"/api/v1/violations/{v.id}").get_json()["status"] == "published"


def test_only_the_issuing_authority_decides(client, parties, reg_out) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    objection = client.post(
        f"/api/v1/violations/{v.id}/objections", headers=owner, json={"reasons": "请复核处罚依据"}
    ).get_json()
    r = client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        headers=reg_out,
        json={"accepted": True, "reason": "越权处理"},
    )
    assert r.status_code == 404
    other = bearer(client_token(client, parties.clients["other"]))
    assert (
        client.post(
            f"/api/v1/violations/{v.id}/objections", headers=other, json={"reasons": "替别人提异议"}
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/objections/{objection['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/objections/{objection['id']}").status_code == 404


def test_working_days_skip_the_national_day(frozen_clock) -> None:
    from datetime import date

    assert workdays.add_workdays(date(2026, 9, 30), 5) - date(2026, 9, 30) > timedelta(days=5)


def test_objection_due_date_can_be_extended_within_limits(client, parties, reg_in) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    objection = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "需调取平台数据核实"},
    ).get_json()
    url = f"/api/v1/objections/{objection['id']}/extension"
    r = client.post(url, headers=reg_in, json={"days": 10, "reason": "需向平台调取交易数据"})
    assert r.status_code == 200
    from datetime import date

    due = date.fromisoformat(objection["due_date"])
    assert r.get_json()["due_date"] == workdays.add_workdays(due, 10).isoformat()
    assert r.get_json()["extended_days"] == 10
    too_much = client.post(url, headers=reg_in, json={"days": 6, "reason": "再延期"})
    assert too_much.status_code == 400


@pytest.mark.parametrize("decided", ["2026-03-31", "2026-04-01"])
def test_repairable_edge_under_each_rule_version(
    client, parties, frozen_clock, decided: str
) -> None:
    """The day before repairable_from repair is refused; on the day it is accepted."""
    from datetime import UTC, date, datetime

    from credit.pledges import service as pledge_service
    from credit.uow import unit_of_work
    from tests.parties import owner_identity, pledge_body

    day = date.fromisoformat(decided)
    frozen_clock.now = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    seed_templates()
    v = make_violation(parties, days_ago=0)
    assert v.rule_version == ("NDRC-58-2023" if day.month == 3 else "NDRC-36-2026")
    frozen_clock.now = datetime(
        v.repairable_from.year, v.repairable_from.month, v.repairable_from.day, 4, tzinfo=UTC
    ) - timedelta(days=1)
    repair_template = seed_templates()["CREDIT-REPAIR"]
    body = pledge_body(repair_template, repair_for=v.id)
    body["valid_from"] = date.fromisoformat(body["valid_from"])
    body["valid_until"] = date.fromisoformat(body["valid_until"])
    owner_id = owner_identity(parties.owner_uscc)
    with unit_of_work() as uow:
        p = pledge_service.create_pledge(owner_id, uow, body)
        p = pledge_service.publish_pledge(owner_id, uow, p.id, p.version)
    req = {"pledge_id": p.id, "statement": "已整改到位并缴清罚款"}
    early = client.post(
        f"/api/v1/violations/{v.id}/repairs", json=req, headers=_owner(client, parties)
    )
    assert early.status_code == 400
    frozen_clock.advance(86400)
    on_day = client.post(
        f"/api/v1/violations/{v.id}/repairs", json=req, headers=_owner(client, parties)
    )
    assert on_day.status_code == 201, on_day.get_data(as_text=True)


def test_sweep_records_end_of_publicity(client, parties, frozen_clock) -> None:
    import sqlalchemy as sa

    from credit.changes import ChangeEvent
    from credit.extensions import db

    v = make_violation(parties, days_ago=0)
    frozen_clock.advance((v.publish_until - clock.today()).days * 86400 + 86400)
    runner = client.application.test_cli_runner()
    out = runner.invoke(args=["credit", "sweep"]).output
    assert '"changed": 1' in out
    assert '"changed": 0' in runner.invoke(args=["credit", "sweep"]).output
    events = db.session.scalars(sa.select(ChangeEvent).where(ChangeEvent.entity_id == v.id)).all()
    assert len(events) == 2  # recorded, then publicity ended


def test_public_list_status_filter(client, parties, reg_in) -> None:
    a = make_violation(parties)
    b = make_violation(parties)
    owner = _owner(client, parties)
    client.post(
        f"/api/v1/violations/{b.id}/objections", headers=owner, json={"reasons": "对事实有异议"}
    )
    under = client.get("/api/v1/violations", query_string={"status": "under_objection"})
    plain = client.get("/api/v1/violations", query_string={"status": "published"})
    assert [x["id"] for x in under.get_json()["items"]] == [b.id]
    assert [x["id"] for x in plain.get_json()["items"]] == [a.id]
