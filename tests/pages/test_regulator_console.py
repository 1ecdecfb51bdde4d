"""The regulator console: record, correct and revoke violations; queues; commendations."""

from __future__ import annotations

import re

from tests.pages.console_parties import page, post, record_violation, sign_in, sign_out


def _version(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"') :]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def _today() -> str:
    from credit import clock

    return clock.today().isoformat()


def _violation(cp, **overrides) -> dict:
    from credit import clock

    return {
        "uscc": cp.owner_uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕8801号",
        "decision_date": clock.today().isoformat(),
        "facts": "组织虚假交易、编造用户评价",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "penalty_type": "fine",
        "penalty_amount": "50000",
        **overrides,
    }


def test_flag_a_violation_naming_a_clause_marks_the_pledge_breached(client, cp, clean_app):
    from tests.parties import make_pledge

    with clean_app.app_context():
        pledge = make_pledge(cp.owner_uscc, publish=True)
        draft = make_pledge(cp.owner_uscc)
        pledge_id, draft_id = pledge.id, draft.id
    sign_in(client, "reg-in")
    step_one = page(client, f"/console/regulator/violations/new?uscc={cp.owner_uscc}")
    assert 'id="f-category"' in step_one and 'id="f-conduct_date"' in step_one
    html = page(
        client,
        f"/console/regulator/violations/new?uscc={cp.owner_uscc}&category=fake_orders"
        f"&conduct_date={_today()}",
    )
    # The clause picker lists the published pledge's clauses, never a draft's; those the
    # category can breach by the breach table first, the others apart (a reason needed).
    assert f'value="{pledge_id}:C03"' in html and draft_id not in html
    assert f'id="breach-{pledge_id}-C03"' in html and f'id="breach-{pledge_id}-C07"' not in html
    assert f'id="other-breach-{pledge_id}-C07"' in html
    path = "/console/regulator/violations/new"
    r = record_violation(  # the preview, then "确认公示"
        client,
        {**_violation(cp), "breached": [f"{pledge_id}:C03"]},
        csrf_from=f"{path}?uscc={cp.owner_uscc}",
    )
    vid = r.headers["Location"].rsplit("/", 1)[-1]
    html = page(client, f"/console/regulator/violations/{vid}")
    # The breached clause by its words, not its code.
    assert "苏市监罚〔2026〕8801号" in html and "不虚构交易、不编造用户评价、不刷单炒信。" in html
    public = client.get(f"/api/v1/pledges/{pledge_id}").get_json()
    assert public["compliance"] == "breached" and public["breached_clauses"] == ["C03"]
    # The firm sees it too.
    sign_out(client)
    sign_in(client, "firm-a")
    assert 'id="pledge-compliance">违诺' in page(client, f"/console/firm/pledges/{pledge_id}")


def test_violation_form_errors_are_shown_per_field_and_kept(client, cp):
    sign_in(client, "reg-in")
    path = "/console/regulator/violations/new"
    r = post(
        client,
        path,
        _violation(
            cp, severity="", decision_number="x", penalty_amount="", decision_date="2099-01-01"
        ),
        status=400,
        csrf_from=f"{path}?uscc={cp.owner_uscc}",
    )
    html = r.get_data(as_text=True)
    assert 'id="severity-error"' in html and 'id="decision_number-error"' in html
    assert 'value="x"' in html and "组织虚假交易" in html
    # Field errors first, then the service's own checks (future date, fine without amount).
    r = post(
        client,
        path,
        _violation(cp, penalty_amount="", decision_date="2099-01-01"),
        status=400,
        csrf_from=f"{path}?uscc={cp.owner_uscc}",
    )
    html = r.get_data(as_text=True)
    assert 'id="decision_date-error"' in html and 'id="penalty_amount-error"' in html
    assert 'value="2099-01-01"' in html
    # A firm outside the jurisdiction is refused.
    r = client.get(f"{path}?uscc={cp.other_uscc}")
    assert r.status_code == 200
    r = post(
        client,
        path,
        _violation(cp, uscc=cp.other_uscc),
        status=403,
        csrf_from=f"{path}?uscc={cp.other_uscc}",
    )


def test_correct_then_revoke_a_violation(client, cp, clean_app):
    from tests.parties import make_pledge, make_violation

    with clean_app.app_context():
        pledge = make_pledge(cp.owner_uscc, publish=True)
        v = make_violation(
            cp.parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}]
        )
        vid, pledge_id = v.id, pledge.id
    sign_in(client, "reg-in")
    path = f"/console/regulator/violations/{vid}"
    html = page(client, path)
    r = post(
        client,
        f"{path}/correct",
        {
            "field": "facts",
            "new_value": "",
            "reason": "笔误",
            "version": _version(html, f"{path}/correct"),
        },
        status=400,
        csrf_from=path,
    )
    assert 'id="new_value-error"' in r.get_data(as_text=True)
    post(
        client,
        f"{path}/correct",
        {
            "field": "facts",
            "new_value": "组织刷单 120 笔",
            "reason": "笔误",
            "version": _version(html, f"{path}/correct"),
        },
        csrf_from=path,
    )
    html = page(client, path)
    assert "组织刷单 120 笔" in html and "已更正" in html
    post(
        client,
        f"{path}/revoke",
        {"reason": "复议撤销原决定", "version": _version(html, f"{path}/revoke")},
        csrf_from=path,
    )
    html = page(client, path)
    assert "已撤销" in html and "复议撤销原决定" in html and 'id="revoke"' not in html
    assert client.get(f"/api/v1/pledges/{pledge_id}").get_json()["compliance"] == "kept"
    # A stale form (old version) is refused, not applied.
    r = client.post(
        f"{path}/correct",
        data={
            "field": "facts",
            "new_value": "x" * 5,
            "reason": "再改",
            "version": "1",
            "csrf": re.search(r'name="csrf" value="([^"]+)"', html).group(1),
        },
    )
    assert r.status_code in {409, 412}


def test_another_authority_cannot_correct_or_revoke(client, cp, clean_app):
    from tests.parties import make_violation

    with clean_app.app_context():
        vid = make_violation(cp.parties).id
    sign_in(client, "reg-out")
    html = page(client, f"/console/regulator/violations/{vid}")  # public record: readable
    assert 'id="revoke"' not in html
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    r = client.post(
        f"/console/regulator/violations/{vid}/revoke",
        data={"reason": "越权", "version": "1", "csrf": token},
    )
    assert r.status_code == 403


def test_queues_show_due_dates_and_overdue_flags_and_decide(client, cp, clean_app, frozen_clock):
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.parties import make_pledge, make_violation, owner_identity

    with clean_app.app_context():
        owner = owner_identity(cp.owner_uscc)
        v1 = make_violation(cp.parties, days_ago=5)
        v2 = make_violation(cp.parties, days_ago=120)
        repair_pledge = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        with unit_of_work() as uow:
            objection = workflow.file_objection(owner, uow, v1.id, "事实认定有误", [])
            repair = workflow.apply_for_repair(owner, uow, v2.id, repair_pledge.id, "已整改")
        objection_id, repair_id = objection.id, repair.id
        objection_due, repair_due = objection.due_date, repair.due_date
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/objections")
    assert str(objection_due) in html and "已逾期" not in html
    html = page(client, "/console/regulator")
    assert "逾期" not in html
    # Three weeks later both are overdue.
    frozen_clock.advance(21 * 86400)
    sign_in(client, "reg-in")  # the first sign-in has long expired
    html = page(client, "/console/regulator/objections")
    assert 'class="overdue"' in html and "已逾期" in html and str(objection_due) in html
    html = page(client, "/console/regulator/repairs")
    assert 'class="overdue"' in html and str(repair_due) in html
    assert "件逾期" in page(client, "/console/regulator")
    # Decide: a missing choice is named; then reject the objection, approve the repair.
    path = f"/console/regulator/objections/{objection_id}"
    r = post(client, path, {"reason": "维持原决定"}, status=400, csrf_from=path)
    assert 'id="accepted-error"' in r.get_data(as_text=True)
    assert "维持原决定" in r.get_data(as_text=True)
    post(client, path, {"accepted": "no", "reason": "经复核，原认定事实清楚"}, csrf_from=path)
    path = f"/console/regulator/repairs/{repair_id}"
    post(client, path, {"accepted": "yes", "reason": "整改到位，同意修复"}, csrf_from=path)
    assert "队列为空" in page(client, "/console/regulator/objections")
    assert "经复核" in page(client, "/console/regulator/objections?status=rejected")
    assert client.get(f"/api/v1/violations/{v2.id}").status_code == 404  # no longer public
    sign_out(client)
    sign_in(client, "firm-a")
    home = page(client, "/console/firm")
    assert "未获支持" in home and "已同意修复" in home


def test_grant_a_commendation(client, cp):
    sign_in(client, "reg-in")
    path = "/console/regulator/commendations/new"
    form = page(client, path)
    granted = re.search(r'name="granted_on" type="date" value="([^"]+)"', form).group(1)
    r = post(
        client,
        path,
        {
            "uscc": cp.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "",
            "granted_on": granted,
            "valid_until": "2000-01-01",
        },
        status=400,
    )
    html = r.get_data(as_text=True)
    assert 'id="legal_basis-error"' in html and "江苏省电子商务示范企业" in html
    r = post(
        client,
        path,
        {
            "uscc": cp.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "省商务厅认定",
            "granted_on": granted,
            "valid_until": "2000-01-01",
        },
        status=400,
    )
    assert 'id="valid_until-error"' in r.get_data(as_text=True)
    post(
        client,
        path,
        {
            "uscc": cp.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "省商务厅认定",
            "granted_on": granted,
            "valid_until": "2030-12-31",
        },
    )
    standing = client.get(f"/api/v1/enterprises/{cp.owner_uscc}/standing").get_json()
    assert [c["title"] for c in standing["commendations"]] == ["江苏省电子商务示范企业"]
    # Outside the jurisdiction: refused.
    post(
        client,
        path,
        {
            "uscc": cp.other_uscc,
            "title": "示范企业",
            "legal_basis": "认定",
            "granted_on": granted,
            "valid_until": "2030-12-31",
        },
        status=403,
    )
