"""Issue 17 item 5: a refusal in the consoles (403 outside the jurisdiction, 409 conflict,
412 changed meanwhile) is said on the page with what to do next, and what was typed stays
in the inputs; never a bare error page. A firm with a pending repair sees no second form."""

from __future__ import annotations

import html as htmllib
from dataclasses import replace

from tests.pages.console_parties import page, post, sign_in

NEW = "/console/regulator/violations/new"


def _today() -> str:
    from credit import clock

    return clock.today().isoformat()


def _in_a_year() -> str:
    from datetime import timedelta

    from credit import clock

    return (clock.today() + timedelta(days=365)).isoformat()


def _violation_form(uscc: str, number: str) -> dict:
    return {
        "uscc": uscc,
        "category": "fake_orders",
        "conduct_date": _today(),
        "severity": "general",
        "decision_number": number,
        "decision_date": _today(),
        "facts": "组织虚假交易并编造好评四百条",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "penalty_type": "fine",
        "penalty_amount": "30000",
    }


def _text(r) -> str:
    return htmllib.unescape(r.get_data(as_text=True))


def _owner(uscc: str, *scopes: str):
    from tests.parties import owner_identity

    return replace(owner_identity(uscc), scopes=frozenset(scopes))


def test_step_one_refuses_a_firm_outside_the_jurisdiction_naming_the_competent_one(
    client, cp
) -> None:
    sign_in(client, "reg-out")
    html = page(client, f"{NEW}?uscc={cp.owner_uscc}&category=fake_orders&conduct_date={_today()}")
    html = htmllib.unescape(html)
    assert "不在本机关管辖范围内" in html and "outside your authority's jurisdiction" in html
    assert "辖区内监管局" in html  # whom to hand the case to
    assert 'id="uscc-error"' in html and f'value="{cp.owner_uscc}"' in html  # code kept
    assert 'id="record-violation"' not in html  # the second step is not offered


def test_a_whole_form_for_a_firm_outside_is_refused_on_the_form_with_all_kept(client, cp) -> None:
    sign_in(client, "reg-out")
    form = _violation_form(cp.owner_uscc, "苏市监罚〔2026〕7101号")
    r = post(client, NEW, form, status=403, csrf_from=NEW)
    html = _text(r)
    assert 'id="form-refused"' in html and "未能办理" in html and 'id="form-next"' in html
    assert "不在本机关管辖范围内" in html and "辖区内监管局" in html
    for name in ("decision_number", "facts", "legal_basis", "penalty_amount"):
        assert form[name] in html, name  # everything typed is still there
    assert 'id="f-uscc"' in html and 'id="record-violation"' in html  # fix the code, resend


def test_a_decision_number_recorded_twice_is_a_409_on_the_form(client, cp, clean_app) -> None:
    from tests.parties import make_violation

    number = "苏市监罚〔2026〕7202号"
    with clean_app.app_context():
        make_violation(cp.parties, decision_number=number)
    sign_in(client, "reg-in")
    form = _violation_form(cp.owner_uscc, number)
    r = post(client, NEW, form, status=409, csrf_from=NEW)
    html = _text(r)
    assert 'id="form-refused"' in html and "已录入" in html and "核对决定书文号" in html
    assert form["facts"] in html and form["decision_number"] in html


def test_a_correction_of_a_record_changed_meanwhile_is_a_412_with_input_kept(
    client, cp, clean_app
) -> None:
    from credit.uow import unit_of_work
    from credit.violations import registry
    from tests.parties import make_violation, regulator_identity

    with clean_app.app_context():
        v = make_violation(cp.parties)
        vid, stale = v.id, v.version
        with unit_of_work() as uow:  # a colleague corrects it first
            registry.correct_violation(
                regulator_identity(), uow, vid, "facts", "组织虚假交易", "笔误更正", stale
            )
    sign_in(client, "reg-in")
    path = f"/console/regulator/violations/{vid}"
    typed = {
        "field": "legal_basis",
        "new_value": "《电子商务法》第十七条第一款",
        "reason": "补充款项",
    }
    sent = {**typed, "version": str(stale)}
    r = post(client, f"{path}/correct", sent, status=412, csrf_from=path)
    html = _text(r)
    assert 'id="form-refused"' in html and "有人在您打开页面后修改了这条记录" in html
    assert typed["new_value"] in html and typed["reason"] in html
    # The page carries the current version: sending the kept input again is applied.
    post(client, f"{path}/correct", {**typed, "version": str(stale + 1)}, csrf_from=path)


def test_deciding_a_case_decided_meanwhile_is_a_409_with_the_reason_kept(
    client, cp, clean_app
) -> None:
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.parties import make_violation, regulator_identity

    with clean_app.app_context():
        v = make_violation(cp.parties, days_ago=3)
        with unit_of_work() as uow:
            objection = workflow.file_objection(
                _owner(cp.owner_uscc, "objections:write"), uow, v.id, "订单均为真实交易", []
            )
        oid = objection.id
        with unit_of_work() as uow:  # a colleague decides first
            workflow.decide_objection(
                regulator_identity("violations:review"), uow, oid, False, "证据充分"
            )
    sign_in(client, "reg-in")
    path = f"/console/regulator/objections/{oid}"
    r = post(
        client,
        path,
        {"accepted": "yes", "reason": "经复核交易记录属实"},
        status=409,
        csrf_from=path,
    )
    html = _text(r)
    assert 'id="form-refused"' in html and "该异议已处理" in html and "证据充分" in html
    assert 'id="decision-kept"' in html and "经复核交易记录属实" in html


def test_a_pending_repair_shows_no_second_form_and_a_second_post_is_a_409(
    client, cp, clean_app
) -> None:
    from credit import clock
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.parties import make_pledge, make_violation

    with clean_app.app_context():
        v = make_violation(cp.parties, days_ago=120)
        pledge = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        vid, pid = v.id, pledge.id
    sign_in(client, "firm-a")
    path = f"/console/firm/records/{vid}"
    form_page = page(client, path)  # opened before the first application was filed
    assert 'id="apply-repair"' in form_page
    with clean_app.app_context(), unit_of_work() as uow:
        filed = workflow.apply_for_repair(
            _owner(cp.owner_uscc, "repairs:write"), uow, vid, pid, "已下架违规商品"
        )
        filed_on = filed.filed_at.astimezone(clock.CHINA).date().isoformat()  # as shown
    html = htmllib.unescape(page(client, path))
    assert 'id="repair-pending"' in html and 'id="apply-repair"' not in html
    assert "信用修复申请处理中" in html and filed_on in html and "作出决定的机关审核" in html
    # The tab opened earlier still sends the form: refused on the page, the text kept.
    r = post(
        client,
        f"{path}/repair",
        {"pledge_id": pid, "statement": "已全面整改并培训客服"},
        status=409,
        csrf_from=path,
    )
    html = _text(r)
    assert 'id="form-refused"' in html and 'id="repair-pending"' in html
    assert 'id="repair-kept"' in html and "已全面整改并培训客服" in html


def test_pledge_amend_withdraw_publish_refusals_stay_on_the_page(client, cp, clean_app) -> None:
    from credit.pledges import service as pledges
    from credit.uow import unit_of_work
    from tests.parties import make_pledge, owner_identity

    with clean_app.app_context():
        pledge = make_pledge(cp.owner_uscc, publish=True)
        pid, stale = pledge.id, pledge.version
        with unit_of_work() as uow:  # an amendment draft is already open
            draft = pledges.amend_pledge(owner_identity(cp.owner_uscc), uow, pid)
        draft_id = draft.id
    sign_in(client, "firm-a")
    path = f"/console/firm/pledges/{pid}"
    html = _text(post(client, f"{path}/amend", {}, status=409, csrf_from=path))
    assert 'id="form-refused"' in html and "已有未发布的变更草稿" in html
    with clean_app.app_context():
        with unit_of_work() as uow:
            pledges.publish_pledge(owner_identity(cp.owner_uscc), uow, draft_id, 1)
        current = pledges.get_pledge(owner_identity(cp.owner_uscc), pid).version
    # The original changed meanwhile (replaced): withdrawing it is refused, the reason kept.
    r = post(
        client,
        f"{path}/withdraw",
        {"reason": "停止经营该类目", "version": str(stale)},
        status=412,
        csrf_from=path,
    )
    html = _text(r)
    assert 'id="form-refused"' in html and "停止经营该类目" in html
    r = post(client, f"{path}/publish", {"version": str(current)}, status=409, csrf_from=path)
    assert "只能发布草稿" in _text(r)


def test_commending_a_firm_outside_or_twice_is_refused_on_the_form(client, cp, clean_app) -> None:
    path = "/console/regulator/commendations/new"
    form = {
        "uscc": cp.owner_uscc,
        "title": "江苏省电子商务示范企业",
        "legal_basis": "江苏省商务厅示范企业认定通知",
        "granted_on": _today(),
        "valid_until": _in_a_year(),
    }
    sign_in(client, "reg-out")
    html = _text(post(client, path, form, status=403))
    assert 'id="form-refused"' in html and 'id="uscc-error"' in html
    assert "不在本机关管辖范围内" in html and "辖区内监管局" in html
    assert form["legal_basis"] in html and form["valid_until"] in html
    # The authority over the firm, when the title is already held: marked at the title.
    from datetime import date

    from credit.uow import unit_of_work
    from credit.violations import registry
    from tests.parties import regulator_identity

    with clean_app.app_context(), unit_of_work() as uow:
        held = {**form, "granted_on": date.fromisoformat(form["granted_on"])}
        held["valid_until"] = date.fromisoformat(form["valid_until"])
        registry.commend(regulator_identity("commendations:write"), uow, held)
    colleague = clean_app.test_client()  # another browser
    sign_in(colleague, "reg-in")
    html = _text(post(colleague, path, form, status=409))
    assert 'id="form-refused"' in html and 'id="title-error"' in html and "不重复录入" in html
    assert form["legal_basis"] in html


def test_removing_a_listing_already_removed_is_a_409_on_the_page(client, cp, clean_app) -> None:
    from datetime import timedelta

    from credit import clock
    from credit.uow import unit_of_work
    from credit.violations import registry
    from tests.parties import regulator_identity

    with clean_app.app_context():
        listed_on = clock.today() - timedelta(days=10)
        data = {
            "uscc": cp.owner_uscc,
            "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
            "reason": "一年内因刷单炒信两次受到较重行政处罚",
            "listed_on": listed_on,
            "remove_on": listed_on + timedelta(days=3 * 365),
        }
        with unit_of_work() as uow:
            entry_id = registry.list_on_serious_list(regulator_identity(), uow, data).id
        with unit_of_work() as uow:  # a colleague removes it first
            registry.remove_from_serious_list(
                regulator_identity(),
                uow,
                entry_id,
                {"ground": "error", "removed_on": clock.today(), "reason": "列入有误"},
            )
    sign_in(client, "reg-in")
    listing = "/console/regulator/serious-list"
    form = {"ground": "error", "removed_on": _today(), "reason": "列入依据不足"}
    r = post(client, f"{listing}/{entry_id}/remove", form, status=409, csrf_from=listing)
    html = _text(r)
    assert 'id="form-refused"' in html and "已移出" in html
