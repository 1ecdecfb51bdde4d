"""The organisations in the consoles, in-process and signed in as a browser is: every
form of the organisation's console (invite, convention draft and publish, campaign,
referral), the firm's (confirm or decline an invitation, join a campaign, file from its
template) and the regulator's referral inbox (accept or decline with a reason), each with
its errors shown on the form; and who may open which page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from credit.organisations.models import Campaign, Membership, Referral
from tests.organisations.console_helpers import make_org_console
from tests.pages.console_parties import page, sign_in, sign_out
from tests.parties import csrf_of

HOME = "/console/organisation"


def _post(client, path: str, data: dict, form_page: str):
    return client.post(path, data={**data, "csrf": csrf_of(page(client, form_page))})


def _one(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(model).where(*where))


def test_the_organisation_the_member_and_the_regulator_use_every_form(clean_app) -> None:
    cp, _ = make_org_console(clean_app)
    client = clean_app.test_client()
    today = clock.today()

    # The organisation invites the firm (a wrong code is said by the field).
    sign_in(client, "org-eca")
    home = page(client, HOME)
    assert "江苏省电子商务协会ECA" in home and "尚无会员" in home
    r = _post(client, f"{HOME}/invite", {"uscc": "123"}, HOME)
    assert r.status_code == 400 and 'id="uscc-error"' in r.get_data(as_text=True)
    r = _post(client, f"{HOME}/invite", {"uscc": cp.owner_uscc, "message": "欢迎入会"}, HOME)
    assert r.status_code == 303
    r = _post(client, f"{HOME}/invite", {"uscc": cp.owner_uscc}, HOME)
    assert r.status_code == 409 and 'id="form-errors"' in r.get_data(as_text=True)
    assert "待企业确认" in page(client, HOME)

    # The convention: clause lines in a wrong shape, then a draft, then published.
    conv = f"{HOME}/convention"
    bad = {"title": "自律公约", "title_en": "Convention", "preamble": "会员共同遵守。"}
    bad |= {"clauses": "A1 没有分隔符", "effective_from": today.isoformat()}
    r = _post(client, conv, bad, conv)
    assert r.status_code == 400 and 'id="clauses-error"' in r.get_data(as_text=True)
    good = {
        **bad,
        "clauses": "A1｜诚信经营，不刷单炒信。｜No fake orders.\n"
        "A2|保护消费者权益。|Protect consumers.",
    }
    assert _post(client, conv, good, conv).status_code == 303
    html = page(client, conv)
    assert "草稿：第 1 版" in html and "保护消费者权益" in html
    r = client.post(
        f"{conv}/{_draft_id(clean_app)}/publish", data={"csrf": csrf_of(html), "version": "999"}
    )
    assert r.status_code == 409  # stale version: said on the page
    r = client.post(
        f"{conv}/{_draft_id(clean_app)}/publish",
        data={"csrf": csrf_of(html), "version": _draft_version(clean_app)},
    )
    assert r.status_code == 303
    assert "现行：第 1 版" in page(client, conv)

    # A campaign: a period ending before it starts is refused by the field.
    new = f"{HOME}/campaigns/new"
    body = {"title": "2026 年度会员诚信承诺", "description": "签署行业自律承诺。"}
    body |= {"starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()}
    r = _post(client, f"{HOME}/campaigns", body, new)
    assert r.status_code == 400 and 'id="ends_on-error"' in r.get_data(as_text=True)
    body["ends_on"] = (today + timedelta(days=90)).isoformat()
    r = _post(client, f"{HOME}/campaigns", body, new)
    assert r.status_code == 303
    sign_out(client)

    # The firm confirms, joins and files from the campaign's template.
    sign_in(client, "firm-a")
    home = page(client, "/console/firm")
    assert 'id="invitations"' in home and "江苏省电子商务协会ECA：欢迎入会" in home
    mine = page(client, "/console/firm/organisations")
    assert "欢迎入会" in mine and "确认加入" in mine
    membership = _one(clean_app, Membership.id, Membership.status == "pending")
    r = _post(
        client,
        f"/console/firm/memberships/{membership}/confirm",
        {"version": "1"},
        "/console/firm/organisations",
    )
    assert r.status_code == 303
    mine = page(client, "/console/firm/organisations")
    assert "会员" in mine and "2026 年度会员诚信承诺" in mine
    campaign = _one(clean_app, Campaign.id)
    r = _post(client, f"/console/firm/campaigns/{campaign}/join", {}, "/console/firm/organisations")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/campaigns/{campaign}/pledge")
    form = page(client, f"/console/firm/campaigns/{campaign}/pledge")
    assert 'id="campaign-note"' in form and "电子商务行业自律承诺书" in form
    assert f'action="/console/firm/campaigns/{campaign}/pledge"' in form
    clauses = sorted(set(_checkbox_values(form)))
    pledge = {"clauses": clauses, "valid_from": today.isoformat()}
    pledge |= {"valid_until": (today + timedelta(days=365)).isoformat(), "signer_title": "总经理"}
    pledge |= {"signer_name": "", "consent_to_publish": "yes"}
    r = client.post(
        f"/console/firm/campaigns/{campaign}/pledge", data={**pledge, "csrf": csrf_of(form)}
    )
    assert r.status_code == 400 and 'id="signer_name-error"' in r.get_data(as_text=True)
    r = client.post(
        f"/console/firm/campaigns/{campaign}/pledge",
        data={**pledge, "signer_name": "王五", "csrf": csrf_of(form)},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    draft = page(client, r.headers["Location"])
    pledge_id = r.headers["Location"].rsplit("/", 1)[-1]
    r = client.post(
        f"/console/firm/pledges/{pledge_id}/publish",
        data={"csrf": csrf_of(draft), "version": _pledge_version(clean_app, pledge_id)},
    )
    assert r.status_code in (302, 303), r.get_data(as_text=True)
    sign_out(client)

    # The organisation sees the coverage and refers a breach (clauses are required).
    sign_in(client, "org-eca")
    coverage = page(client, f"{HOME}/campaigns/{campaign}")
    assert "1 / 1" in coverage and "承诺有效" in coverage
    refer = f"{HOME}/referrals/new"
    form = page(client, refer)
    # A choice of the authorities covering a member, never a code to guess.
    assert '<option value="IN"' in form and "辖区内监管局" in form
    assert '<option value="OUT"' not in form
    report = {"uscc": cp.owner_uscc, "authority": "IN", "facts": "会员在直播中组织刷单，违反公约。"}
    r = _post(client, f"{HOME}/referrals", report, refer)
    assert r.status_code == 400 and 'id="clauses-error"' in r.get_data(as_text=True)
    r = _post(client, f"{HOME}/referrals", {**report, "clauses": ["A1"]}, refer)
    assert r.status_code == 303
    assert "已转交，待监管机关处理" in page(client, HOME)
    sign_out(client)

    # The regulator declines it: a reason is required.
    sign_in(client, "reg-in")
    inbox = page(client, "/console/regulator/referrals")
    assert "会员在直播中组织刷单" in inbox and "A1 诚信经营" in inbox
    referral = _one(clean_app, Referral.id)
    url = f"/console/regulator/referrals/{referral}/decide"
    r = _post(
        client,
        url,
        {"accepted": "no", "reason": "", "version": "1"},
        "/console/regulator/referrals",
    )
    assert r.status_code == 400 and 'id="form-errors"' in r.get_data(as_text=True)
    r = _post(
        client,
        url,
        {"accepted": "no", "reason": "证据不足，不予受理", "version": "1"},
        "/console/regulator/referrals",
    )
    assert r.status_code == 303
    assert "证据不足，不予受理" in page(client, "/console/regulator/referrals")
    sign_out(client)
    sign_in(client, "org-eca")
    assert "监管机关不予受理：证据不足，不予受理" in page(client, HOME)


def test_the_firm_declines_an_invitation(clean_app) -> None:
    cp, _ = make_org_console(clean_app)
    client = clean_app.test_client()
    sign_in(client, "org-eca")
    assert _post(client, f"{HOME}/invite", {"uscc": cp.owner_uscc}, HOME).status_code == 303
    sign_out(client)
    sign_in(client, "firm-a")
    membership = _one(clean_app, Membership.id, Membership.status == "pending")
    path = f"/console/firm/memberships/{membership}/decline"
    r = _post(client, path, {"reason": "否", "version": "1"}, "/console/firm/organisations")
    assert r.status_code == 400  # a reason, when given, has at least two characters
    r = _post(client, path, {"reason": "暂不加入", "version": "1"}, "/console/firm/organisations")
    assert r.status_code == 303
    assert "企业已拒绝" in page(client, "/console/firm/organisations")


def test_each_console_page_is_for_its_own_kind(clean_app) -> None:
    make_org_console(clean_app)
    client = clean_app.test_client()
    sign_in(client, "firm-a")
    page(client, HOME, status=403)
    page(client, "/console/regulator/referrals", status=403)
    assert 'href="/console/firm/organisations"' in page(client, "/console/firm")
    sign_out(client)
    sign_in(client, "org-eca")
    assert client.get("/console/").headers["Location"].endswith(HOME)
    nav = page(client, HOME)
    assert 'href="/console/organisation/convention"' in nav
    page(client, "/console/firm/organisations", status=403)
    page(client, "/console/regulator/referrals", status=403)
    sign_out(client)
    sign_in(client, "reg-in")
    assert 'href="/console/regulator/referrals"' in page(client, "/console/regulator")
    page(client, HOME, status=403)


def _draft_id(app) -> str:
    from credit.organisations.models import Convention

    return _one(app, Convention.id, Convention.status == "draft")


def _draft_version(app) -> str:
    from credit.organisations.models import Convention

    return str(_one(app, Convention.version, Convention.status == "draft"))


def _pledge_version(app, pledge_id: str) -> str:
    from credit.pledges.models import Pledge

    return str(_one(app, Pledge.version, Pledge.id == pledge_id))


def _checkbox_values(html: str) -> list[str]:
    import re

    return re.findall(r'name="clauses" value="([^"]+)"', html)
