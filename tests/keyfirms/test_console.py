"""The department's journey in the consoles (in-process, signed in as a browser is): upload
a list, see coverage, remind the firms without a pledge; the firm sees the reminder, files
a pledge, and coverage updates."""

from __future__ import annotations

import io
from datetime import timedelta

from credit import clock
from credit.accounts import service as accounts
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from tests.keyfirms.helpers import COMMERCE_SCOPES, make_department
from tests.pages.console_parties import make_console_parties, page, sign_in, sign_out
from tests.parties import PASSWORD, csrf_of, make_pledge


def _arrange(app):
    with app.app_context():
        cp = make_console_parties()
        city = cp.parties.owner_city
        make_department(city)
        with unit_of_work() as uow:
            accounts.create_user(
                SYSTEM,
                uow,
                username="com-staff",
                password=PASSWORD,
                kind="regulator",
                display_name="商务局",
                authority_code="COM",
                scope_list=COMMERCE_SCOPES,
            )
    return cp


def _upload(client, text: str):
    token = csrf_of(page(client, "/console/regulator/key-enterprises"))
    return client.post(
        "/console/regulator/key-enterprises/upload",
        data={"csrf": token, "file": (io.BytesIO(text.encode()), "名单.csv")},
        content_type="multipart/form-data",
    )


def test_department_and_firm_journey(clean_app) -> None:
    cp = _arrange(clean_app)
    client = clean_app.test_client()
    sign_in(client, "com-staff")
    html = page(client, "/console/regulator/key-enterprises")
    assert (
        "重点电子商务企业：承诺覆盖" in html and 'href="/console/regulator/key-enterprises"' in html
    )

    today = clock.today().isoformat()
    r = _upload(
        client, f"uscc,category,reason,listed_from\n{cp.other_uscc},老字号企业,辖区外企业,{today}\n"
    )
    assert r.status_code == 400
    assert "第 2 行 · 统一社会信用代码" in r.get_data(as_text=True)
    r = _upload(
        client,
        f"统一社会信用代码,类别,列入理由,起始日期\n{cp.owner_uscc},老字号企业,江苏老字号,{today}\n",
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    html = page(client, "/console/regulator/key-enterprises")
    assert "尚未公示承诺" in html and cp.owner_uscc in html

    due = (clock.today() + timedelta(days=7)).isoformat()
    token = csrf_of(html)
    r = client.post(
        "/console/regulator/key-enterprises/remind", data={"csrf": token, "due_on": "x"}
    )
    assert r.status_code == 400
    r = client.post(
        "/console/regulator/key-enterprises/remind", data={"csrf": token, "due_on": due}
    )
    assert r.status_code == 303
    sign_out(client)

    sign_in(client, "firm-a")
    html = page(client, "/console/firm")
    assert f"请于 {due} 前公示" in html and "老字号企业" in html
    with clean_app.app_context():
        make_pledge(cp.owner_uscc, publish=True)  # the firm files from the reminder
    sign_out(client)

    sign_in(client, "com-staff")
    html = page(client, "/console/regulator/key-enterprises")
    assert "名单内企业均已公示有效承诺" in html


def test_other_regulators_and_firms_do_not_get_the_page(clean_app) -> None:
    _arrange(clean_app)
    client = clean_app.test_client()
    sign_in(client, "firm-a")
    page(client, "/console/regulator/key-enterprises", status=403)
    sign_out(client)
    sign_in(client, "reg-in")  # holds keyfirms:write, but its authority is not commerce
    r = client.get("/console/regulator/key-enterprises")
    assert r.status_code == 403


def test_add_and_remove_one_firm_in_the_console(clean_app) -> None:
    import sqlalchemy as sa

    from credit.extensions import db
    from credit.keyfirms.models import KeyListing, KeyListingEvent

    cp = _arrange(clean_app)
    client = clean_app.test_client()
    sign_in(client, "com-staff")
    token = csrf_of(page(client, "/console/regulator/key-enterprises"))
    form = {
        "csrf": token,
        "uscc": cp.owner_uscc,
        "category": "cross_border_leader",
        "reason": "",
        "listed_from": clock.today().isoformat(),
    }
    r = client.post("/console/regulator/key-enterprises/add", data=form)
    assert r.status_code == 400 and 'id="reason-error"' in r.get_data(as_text=True)
    r = client.post("/console/regulator/key-enterprises/add", data={**form, "reason": "跨境龙头"})
    assert r.status_code == 303, r.get_data(as_text=True)
    r = client.post("/console/regulator/key-enterprises/add", data={**form, "reason": "跨境龙头"})
    assert r.status_code == 409
    with clean_app.app_context():
        listing_id = db.session.scalar(sa.select(KeyListing.id))
    url = f"/console/regulator/key-enterprises/{listing_id}/remove"
    assert client.post(url, data={"csrf": token, "reason": ""}).status_code == 400
    assert client.post(url, data={"csrf": token, "reason": "不再符合条件"}).status_code == 303
    with clean_app.app_context():
        sources = db.session.scalars(
            sa.select(KeyListingEvent.source).order_by(KeyListingEvent.id)
        ).all()
    assert sources == ["console", "console"]


def test_a_second_reminder_says_how_many_were_skipped(clean_app) -> None:
    from tests.keyfirms.helpers import add

    cp = _arrange(clean_app)
    with clean_app.app_context():
        add(make_department(cp.parties.owner_city), cp.owner_uscc)
    client = clean_app.test_client()
    sign_in(client, "com-staff")
    html = page(client, "/console/regulator/key-enterprises")
    assert "7 日内已就同一要求提醒过的企业不再重复提醒" in html
    due = (clock.today() + timedelta(days=7)).isoformat()
    data = {"csrf": csrf_of(html), "due_on": due}
    url = "/console/regulator/key-enterprises/remind"
    assert client.post(url, data=data).status_code == 303
    assert "已发送 1 条提醒；0 条" in page(client, "/console/regulator/key-enterprises")
    assert client.post(url, data=data).status_code == 303
    html = page(client, "/console/regulator/key-enterprises")
    assert "已发送 0 条提醒；1 条因 7 日内已就同一要求提醒而未重复发送" in html


def test_the_firm_follows_its_reminder_to_the_template_of_the_type_asked(clean_app) -> None:
    from tests.keyfirms.helpers import add

    cp = _arrange(clean_app)
    with clean_app.app_context():
        dept = make_department(cp.parties.owner_city)
        add(dept, cp.owner_uscc, category="time_honoured_brand")
        from credit.keyfirms import service

        due = clock.today() + timedelta(days=9)
        with unit_of_work() as uow:
            service.send_reminders(dept, uow, {"due_on": due})
    client = clean_app.test_client()
    sign_in(client, "firm-a")
    html = page(client, "/console/firm")
    assert f"请于 {due} 前公示" in html
    assert "所需承诺类型（任一即可）：<strong>主动公示型</strong>" in html
    link = "/console/firm/pledges/new?type=voluntary_public"
    assert f'href="{link}"' in html
    chosen = page(client, link)
    assert 'id="asked-type"' in chosen and "主动公示型" in chosen
    assert 'id="template-ECOM-STD"' in chosen and 'id="template-CREDIT-REPAIR"' not in chosen
    # An unknown type offers every template but the repair one (offered only when applying
    # for repair).
    every = page(client, "/console/firm/pledges/new?type=nonsense")
    assert 'id="asked-type"' not in every and 'id="template-ECOM-STD"' in every
    assert 'id="template-CREDIT-REPAIR"' not in every


def test_history_view_and_removing_a_listing_not_started(clean_app, monkeypatch) -> None:
    import re

    import sqlalchemy as sa

    from credit.extensions import db
    from credit.keyfirms.models import KeyListing
    from tests.keyfirms.helpers import add

    cp = _arrange(clean_app)
    start = clock.today() + timedelta(days=30)
    with clean_app.app_context():
        dept = make_department(cp.parties.owner_city)
        for i, category in enumerate(
            ["platform_operator", "cross_border_leader", "provincial_demonstration"]
        ):
            add(dept, cp.owner_uscc, category=category, reason=f"理由{i}")
        add(dept, cp.owner_uscc, category="time_honoured_brand", listed_from=start)
        future = db.session.scalar(
            sa.select(KeyListing.id).where(KeyListing.category == "time_honoured_brand")
        )
    client = clean_app.test_client()
    sign_in(client, "com-staff")
    html = page(client, "/console/regulator/key-enterprises")
    scheduled = html[html.index('id="scheduled"') :]
    assert "老字号企业" in scheduled and str(start) in scheduled
    token = csrf_of(html)
    url = f"/console/regulator/key-enterprises/{future}/remove"
    assert client.post(url, data={"csrf": token, "reason": "认定尚未公布"}).status_code == 303
    html = page(client, "/console/regulator/key-enterprises")
    assert 'id="scheduled"' not in html and "没有尚未开始的列入" in html

    import api.pages.console.keyfirms as console

    history = page(client, "/console/regulator/key-enterprises/history")
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td>", history)  # cells carry data-label
    assert len(rows) == 5 and rows == sorted(rows, reverse=True)
    first = history[history.index("<tbody>") :]
    assert first.index("认定尚未公布") < first.index("理由2")  # newest first
    assert "移出" in first and "列入" in first and "console" in first
    assert "共 5 条，第 1 / 1 页" in history
    monkeypatch.setattr(console, "HISTORY_PAGE_SIZE", 2)
    one = page(client, "/console/regulator/key-enterprises/history")
    assert "共 5 条，第 1 / 3 页" in one and 'rel="next"' in one and 'rel="prev"' not in one
    three = page(client, "/console/regulator/key-enterprises/history?page=3")
    assert "理由0" in three and 'rel="prev"' in three and 'rel="next"' not in three
    junk = page(client, "/console/regulator/key-enterprises/history?page=x")
    assert "第 1 / 3 页" in junk
