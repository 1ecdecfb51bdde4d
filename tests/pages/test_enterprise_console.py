"""The enterprise console: pledges, the rating explained, objections and repair."""

from __future__ import annotations

import re

from tests.pages.console_parties import page, post, sign_in


def _template_id(client, code: str) -> str:
    html = page(client, "/console/firm/pledges/new")
    match = re.search(r'value="([^"]+)" id="template-' + code + '"', html)
    assert match, html
    return match.group(1)


def _pledge_form(client, template_id: str) -> str:
    return page(client, f"/console/firm/pledges/new?template={template_id}")


def _clauses(html: str) -> list[str]:
    return re.findall(r'name="clauses" value="([^"]+)" id="clause-[^"]+" checked', html)


def _file(client, template_code: str = "ECOM-STD", **overrides) -> str:
    template_id = _template_id(client, template_code)
    form = _pledge_form(client, template_id)
    today = re.search(r'name="valid_from" type="date" value="([^"]+)"', form).group(1)
    until = re.search(r'name="valid_until" type="date" value="([^"]+)"', form).group(1)
    data = {
        "template_id": template_id,
        "clauses": _clauses(form),
        "valid_from": today,
        "valid_until": until,
        "signer_name": "张三明",
        "signer_title": "总经理",
        "extra_commitments": "48 小时内发货\n假一赔十",
        "consent_to_publish": "yes",
        **overrides,
    }
    r = post(
        client,
        "/console/firm/pledges/new",
        data,
        csrf_from=f"/console/firm/pledges/new?template={template_id}",
    )
    return r.headers["Location"].rsplit("/", 1)[-1]


def _version(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"') :]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def test_file_publish_amend_withdraw_a_pledge(client, cp):
    sign_in(client, "firm-a")
    pledge_id = _file(client)
    html = page(client, f"/console/firm/pledges/{pledge_id}")
    assert "编辑承诺草稿" in html and 'value="张三明"' in html and "假一赔十" in html
    # Edit the draft, then publish it.
    post(
        client,
        f"/console/firm/pledges/{pledge_id}",
        {
            "template_id": "x",
            "clauses": _clauses(html),
            "signer_name": "张三明",
            "signer_title": "法定代表人",
            "valid_from": re.search(r'name="valid_from" type="date" value="([^"]+)"', html).group(
                1
            ),
            "valid_until": re.search(r'name="valid_until" type="date" value="([^"]+)"', html).group(
                1
            ),
            "extra_commitments": "",
            "consent_to_publish": "yes",
            "version": _version(html, f"/console/firm/pledges/{pledge_id}"),
        },
    )
    html = page(client, f"/console/firm/pledges/{pledge_id}")
    assert 'value="法定代表人"' in html
    post(
        client,
        f"/console/firm/pledges/{pledge_id}/publish",
        {"version": _version(html, f"/console/firm/pledges/{pledge_id}/publish")},
        csrf_from=f"/console/firm/pledges/{pledge_id}",
    )
    html = page(client, f"/console/firm/pledges/{pledge_id}")
    assert 'id="pledge-status">已公示' in html and "承诺已公示" in html
    # The public sees it.
    public = client.get(f"/api/v1/pledges/{pledge_id}").get_json()
    assert public["status"] == "published" and public["signer_title"] == "法定代表人"
    # Amend: a new draft version; publishing it supersedes the first.
    r = post(
        client,
        f"/console/firm/pledges/{pledge_id}/amend",
        {},
        csrf_from=f"/console/firm/pledges/{pledge_id}",
    )
    draft_id = r.headers["Location"].rsplit("/", 1)[-1]
    assert draft_id != pledge_id
    html = page(client, f"/console/firm/pledges/{draft_id}")
    assert "编辑承诺草稿" in html and "第2 版" in html
    post(
        client,
        f"/console/firm/pledges/{draft_id}/publish",
        {"version": _version(html, f"/console/firm/pledges/{draft_id}/publish")},
        csrf_from=f"/console/firm/pledges/{draft_id}",
    )
    assert client.get(f"/api/v1/pledges/{pledge_id}").get_json()["status"] == "superseded"
    # Withdraw the current version.
    html = page(client, f"/console/firm/pledges/{draft_id}")
    post(
        client,
        f"/console/firm/pledges/{draft_id}/withdraw",
        {
            "reason": "停止网店经营",
            "version": _version(html, f"/console/firm/pledges/{draft_id}/withdraw"),
        },
        csrf_from=f"/console/firm/pledges/{draft_id}",
    )
    body = client.get(f"/api/v1/pledges/{draft_id}").get_json()
    assert body["status"] == "withdrawn" and body["withdrawal_reason"] == "停止网店经营"
    home = page(client, "/console/firm")
    assert "已撤回" in home and "已被新版本替代" in home


def test_validation_errors_keep_what_was_typed_and_say_what_to_fix(client, cp):
    sign_in(client, "firm-a")
    template_id = _template_id(client, "ECOM-STD")
    form = _pledge_form(client, template_id)
    clauses = _clauses(form)
    kept = clauses[1:]  # leave out a required clause
    r = post(
        client,
        "/console/firm/pledges/new",
        {
            "template_id": template_id,
            "clauses": kept,
            "valid_from": "2026-12-01",
            "valid_until": "2026-11-01",
            "signer_name": "张",
            "signer_title": "总经理",
            "extra_commitments": "七天无理由退货",
            "consent_to_publish": "yes",
        },
        status=400,
        csrf_from=f"/console/firm/pledges/new?template={template_id}",
    )
    html = r.get_data(as_text=True)
    # What the user typed is still there.
    assert 'value="2026-12-01"' in html and 'value="2026-11-01"' in html
    assert 'value="张"' in html and 'value="总经理"' in html and "七天无理由退货" in html
    assert _clauses(html) == kept
    # Each wrong field is marked and described.
    assert (
        'id="f-valid_until" name="valid_until" type="date" value="2026-11-01" required '
        'aria-invalid="true" aria-describedby="valid_until-error valid_until-hint"' in html
    )
    assert 'id="valid_until-error"' in html and "早于起始日" in html
    assert 'aria-invalid="true" aria-describedby="signer_name-error' in html
    assert 'id="signer_name-error"' in html
    assert 'role="alert" id="form-errors"' in html
    # Fix the dates and the name: the service's own check names the missing clause.
    r = post(
        client,
        "/console/firm/pledges/new",
        {
            "template_id": template_id,
            "clauses": kept,
            "valid_from": "2026-11-01",
            "valid_until": "2027-11-01",
            "signer_name": "张三明",
            "signer_title": "总经理",
            "consent_to_publish": "yes",
        },
        status=400,
        csrf_from=f"/console/firm/pledges/new?template={template_id}",
    )
    html = r.get_data(as_text=True)
    assert 'id="clauses-error"' in html and "缺少必选条款" in html and clauses[0] in html
    assert '<fieldset id="f-clauses" aria-invalid="true"' in html
    assert 'value="张三明"' in html
    # In English too.
    r = post(
        client,
        "/console/firm/pledges/new?lang=en",
        {
            "template_id": template_id,
            "clauses": clauses,
            "valid_from": "",
            "valid_until": "2027-11-01",
            "signer_name": "张三明",
            "signer_title": "总经理",
            "consent_to_publish": "yes",
        },
        status=400,
        csrf_from=f"/console/firm/pledges/new?template={template_id}",
    )
    html = r.get_data(as_text=True)
    assert "Please fix the following" in html and 'id="valid_from-error"' in html


def test_rating_explanation_shows_factors_milestones_and_actions(client, cp, clean_app):
    from tests.parties import make_violation

    with clean_app.app_context():
        v = make_violation(cp.parties, days_ago=20)
        repairable = v.repairable_from
    sign_in(client, "firm-a")
    html = page(client, "/console/firm/rating")
    assert 'id="grade"' in html and "评分因素" in html
    assert 'id="milestones"' in html and str(repairable) in html  # becomes repairable
    assert "可申请信用修复" in html
    assert 'id="actions"' in html
    en = page(client, "/console/firm/rating?lang=en")
    assert "Your rating explained" in en and "becomes repairable" in en


def test_objection_on_a_record(client, cp, clean_app):
    from tests.parties import make_violation

    with clean_app.app_context():
        v = make_violation(cp.parties, days_ago=5)
        vid = v.id
    sign_in(client, "firm-a")
    assert v.decision_number in page(client, "/console/firm")
    path = f"/console/firm/records/{vid}"
    # Too short: kept, and said why.
    r = post(
        client,
        f"{path}/objection",
        {"reasons": "错", "attachments": "签收记录"},
        status=400,
        csrf_from=path,
    )
    html = r.get_data(as_text=True)
    assert 'id="reasons-error"' in html and "签收记录" in html
    post(
        client,
        f"{path}/objection",
        {"reasons": "处罚所认定的交易均为真实订单", "attachments": "物流签收记录\n支付流水"},
        csrf_from=path,
    )
    html = page(client, path)
    assert "异议处理中" in html and "处理中" in html and 'id="file-objection"' not in html
    assert client.get(f"/api/v1/violations/{vid}").get_json()["status"] == "under_objection"
    home = page(client, "/console/firm")
    assert "异议" in home and "处理中" in home


def test_repair_application_once_repairable(client, cp, clean_app):
    from tests.parties import make_pledge, make_violation

    with clean_app.app_context():
        early = make_violation(cp.parties, days_ago=5)
        late = make_violation(cp.parties, days_ago=120)
        early_id, late_id = early.id, late.id
    sign_in(client, "firm-a")
    html = page(client, f"/console/firm/records/{early_id}")
    assert 'id="repair-not-yet"' in html and str(early.repairable_from) in html
    path = f"/console/firm/records/{late_id}"
    html = page(client, path)
    assert 'id="apply-repair"' in html and "需要先发布一份" in html
    # Without a repair pledge: refused, field by field, statement kept.
    r = post(
        client,
        f"{path}/repair",
        {"pledge_id": "", "statement": "已下架违规商品并整改"},
        status=400,
        csrf_from=path,
    )
    html = r.get_data(as_text=True)
    assert 'id="pledge_id-error"' in html and "已下架违规商品并整改" in html
    with clean_app.app_context():
        repair_pledge = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        repair_id = repair_pledge.id
    html = page(client, path)
    assert f'value="{repair_id}"' in html
    post(
        client,
        f"{path}/repair",
        {"pledge_id": repair_id, "statement": "已下架违规商品并整改"},
        csrf_from=path,
    )
    html = page(client, path)
    assert "信用修复" in html and "处理中" in html
    with clean_app.app_context():
        from credit.extensions import db
        from credit.violations.models import RepairApplication

        app_row = db.session.query(RepairApplication).filter_by(violation_id=late_id).one()
        assert app_row.status == "pending" and app_row.filed_by == "user:firm-a"


def test_another_firms_records_and_pledges_are_not_found(client, cp, clean_app):
    from tests.parties import make_pledge, make_violation

    with clean_app.app_context():
        v = make_violation(cp.parties, severity="minor", days_ago=5)  # not public
        draft = make_pledge(cp.owner_uscc)
        vid, did = v.id, draft.id
    sign_in(client, "firm-b")
    assert client.get(f"/console/firm/records/{vid}").status_code == 404
    assert client.get(f"/console/firm/pledges/{did}").status_code == 404
