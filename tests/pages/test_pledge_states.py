"""Issue 17 items 1, 3 and 9: no template is preselected and the credit-repair pledge is filed
only within a repair application; a pledge no longer in force never shows the kept mark; the
rating chart draws one point per day and none for a re-rating that changed nothing; a
mistyped code in the search box says which position is wrong."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import sqlalchemy as sa

from credit import uscc
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import SYSTEM
from credit.pledges import service as pledge_service
from credit.ratings import service as ratings
from credit.ratings.models import RatingRecord
from credit.uow import unit_of_work
from search.documents import SPECS
from tests.pages.console_parties import page, post, sign_in
from tests.parties import (
    bearer,
    client_token,
    make_parties,
    make_pledge,
    make_violation,
    owner_identity,
    pledge_body,
    seed_templates,
)


def _refresh(app) -> None:
    backend = app.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)


def _ids(html: str) -> dict[str, str]:
    """Template code -> id, as the choice page offers them."""
    return {
        code: tid for tid, code in re.findall(r'value="([^"]+)" id="template-([A-Z0-9-]+)"', html)
    }


# -- item 1: choosing a template ------------------------------------------------------------
def test_nothing_is_preselected_and_choosing_nothing_is_an_error_on_the_form(client, cp):
    sign_in(client, "firm-a")
    html = page(client, "/console/firm/pledges/new?type=voluntary_public")
    offered = _ids(html)
    assert "ECOM-STD" in offered and "CREDIT-REPAIR" not in offered
    assert not re.search(r'name="template"[^>]*checked', html)
    # "下一步" without a choice: the same page, the error tied to the choice, the type kept.
    r = client.get("/console/firm/pledges/new?step=template&type=voluntary_public")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="template-error"' in html and "请先选择一份承诺书模板" in html
    assert 'aria-invalid="true"' in html and 'id="form-errors"' in html
    assert 'name="type" value="voluntary_public"' in html
    en = client.get("/console/firm/pledges/new?step=template&lang=en").get_data(as_text=True)
    assert "choose a pledge template first" in en


def test_the_ordinary_form_refuses_the_repair_template_keeping_the_input(client, cp, clean_app):
    sign_in(client, "firm-a")
    with clean_app.app_context():
        repair = seed_templates()["CREDIT-REPAIR"]
        repair_id, clauses = repair.id, repair.required_codes()
    path = f"/console/firm/pledges/new?template={repair_id}"
    form = {
        "template_id": repair_id,
        "clauses": clauses,
        "valid_from": date.today().isoformat(),
        "valid_until": date.today().replace(year=date.today().year + 1).isoformat(),
        "signer_name": "张三明",
        "signer_title": "总经理",
        "extra_commitments": "",
        "consent_to_publish": "yes",
    }
    r = post(client, "/console/firm/pledges/new", form, status=400, csrf_from=path)
    html = r.get_data(as_text=True)
    assert "信用修复承诺只能在信用修复申请中填报" in html and 'value="张三明"' in html
    with clean_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(pledge_service.Pledge)) == 0


def test_the_repair_pledge_is_filed_from_the_record_and_then_used_to_apply(
    client, cp, clean_app, frozen_clock
):
    from datetime import timedelta

    with clean_app.app_context():
        v = make_violation(cp.parties, severity="general", days_ago=120)
        vid = v.id
    sign_in(client, "firm-a")
    record = f"/console/firm/records/{vid}"
    html = page(client, record)
    link = f"/console/firm/pledges/new?repair_for={vid}"
    assert f'href="{link}"' in html
    form = page(client, link)  # one repair template: straight to its form
    assert "CREDIT-REPAIR" in form and f'name="repair_for" value="{vid}"' in form
    assert 'id="repair-for-note"' in form
    template_id = re.search(r'name="template_id" value="([^"]+)"', form).group(1)
    clauses = re.findall(r'name="clauses" value="([^"]+)" id="clause-[^"]+" checked', form)
    today = frozen_clock.now.date()
    data = {
        "template_id": template_id,
        "repair_for": vid,
        "clauses": clauses,
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=300)).isoformat(),
        "signer_name": "张三明",
        "signer_title": "总经理",
        "extra_commitments": "",
        "consent_to_publish": "yes",
    }
    r = post(client, "/console/firm/pledges/new", data, csrf_from=link)
    pledge_id = r.headers["Location"].rsplit("/", 1)[-1]
    view = f"/console/firm/pledges/{pledge_id}"
    version = re.search(r'name="version" value="(\d+)"', page(client, view)).group(1)
    post(client, f"{view}/publish", {"version": version}, csrf_from=view)
    html = page(client, record)
    assert f'value="{pledge_id}"' in html
    statement = {"pledge_id": pledge_id, "statement": "已下架违规商品并整改"}
    post(client, f"{record}/repair", statement, csrf_from=record)
    assert "处理中" in page(client, record)


def test_the_api_files_a_repair_pledge_only_for_a_record(client, app_ctx):
    parties = make_parties()
    templates = seed_templates()
    headers = bearer(client_token(client, parties.clients["owner"]))
    refused = client.post(
        "/api/v1/pledges", json=pledge_body(templates["CREDIT-REPAIR"]), headers=headers
    )
    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.get_json()["errors"]] == ["template_id"]
    other = make_violation(parties, days_ago=5)
    wrong = client.post(
        "/api/v1/pledges",
        json=pledge_body(templates["ECOM-STD"], repair_for=other.id),
        headers=headers,
    )
    assert wrong.status_code == 400
    assert [e["field"] for e in wrong.get_json()["errors"]] == ["repair_for"]
    unknown = client.post(
        "/api/v1/pledges",
        json=pledge_body(templates["CREDIT-REPAIR"], repair_for="no-such-record"),
        headers=headers,
    )
    assert [e["field"] for e in unknown.get_json()["errors"]] == ["repair_for"]
    ok = client.post(
        "/api/v1/pledges",
        json=pledge_body(templates["CREDIT-REPAIR"], repair_for=other.id),
        headers=headers,
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert ok.get_json()["type"] == "credit_repair"


def test_home_labels_a_repair_pledge_in_words(client, app_ctx):
    parties = make_parties()
    seed_templates()
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, days_ago=120)
    make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    html = client.get("/").get_data(as_text=True)
    latest = html[html.index('id="latest-pledges"') :]
    latest = latest[: latest.index("</section>")]
    assert latest.count('class="tag repair-pledge"') == 1 and "信用修复承诺" in latest
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "credit-repair pledge" in en


# -- item 3: states in words -------------------------------------------------------------------
def test_a_withdrawn_pledge_shows_its_state_not_the_kept_mark(client, app_ctx):
    parties = make_parties()
    seed_templates()
    make_pledge(parties.owner_uscc, publish=True)
    gone = make_pledge(parties.owner_uscc, publish=True)
    with unit_of_work() as uow:
        pledge_service.withdraw_pledge(
            owner_identity(parties.owner_uscc), uow, gone.id, "停止网店经营", gone.version
        )
    _refresh(app_ctx)
    profile = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    section = profile[profile.index('id="pledges-h"') :]
    titles = re.findall(r"<h3>(.*?)</h3>", section[: section.index("</section>")], re.S)
    assert len(titles) == 2
    assert sum("✓ 守诺" in h for h in titles) == 1
    withdrawn = [h for h in titles if "已撤回" in h]
    assert len(withdrawn) == 1 and "守诺" not in withdrawn[0]
    en = client.get(f"/enterprises/{parties.owner_uscc}?lang=en").get_data(as_text=True)
    assert "withdrawn" in en


def test_an_expired_pledge_in_search_results_shows_its_state(client, app_ctx, frozen_clock):
    parties = make_parties()
    seed_templates()
    old = make_pledge(parties.owner_uscc, publish=True)
    frozen_clock.advance((old.valid_until - old.valid_from).days * 86400 + 2 * 86400)
    make_pledge(parties.owner_uscc, publish=True)
    with unit_of_work() as uow:
        assert pledge_service.expire_due_pledges(SYSTEM, uow) >= 1
    _refresh(app_ctx)
    results = client.get("/search", query_string={"type": "pledge"}).get_data(as_text=True)
    hits = results[results.index('class="hits"') :]
    hits = hits[: hits.index("</ol>")]
    assert hits.count('class="card hit"') == 2
    assert "已过期" in hits and hits.count("✓ 守诺") == 1


def test_the_console_shows_a_withdrawn_pledge_without_the_kept_mark(client, cp, clean_app):
    with clean_app.app_context():
        gone = make_pledge(cp.owner_uscc, publish=True)
        with unit_of_work() as uow:
            pledge_service.withdraw_pledge(
                owner_identity(cp.owner_uscc), uow, gone.id, "停止网店经营", gone.version
            )
        live = make_pledge(cp.owner_uscc, publish=True)
        gone_id, live_id = gone.id, live.id
    sign_in(client, "firm-a")
    html = page(client, f"/console/firm/pledges/{gone_id}")
    assert 'id="pledge-status"' in html and "已撤回" in html
    assert 'id="pledge-compliance"' not in html and "守诺" not in html
    assert "✓ 守诺" in page(client, f"/console/firm/pledges/{live_id}")


def test_the_rating_chart_has_one_point_per_day_and_only_changes(client, app_ctx, frozen_clock):
    parties = make_parties()
    seed_templates()
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, severity="general", days_ago=3)
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, severity="general", days_ago=2)
    make_violation(parties, severity="minor", days_ago=1)
    eid = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == parties.owner_uscc))
    rows = list(
        db.session.scalars(
            sa.select(RatingRecord)
            .where(RatingRecord.enterprise_id == eid)
            .order_by(RatingRecord.id)
        )
    )
    assert len(rows) >= 4 and len({r.as_of for r in rows}) == 1  # many recomputes, one day
    frozen_clock.advance(86400)
    make_violation(parties, severity="serious", days_ago=0)
    db.session.expire_all()
    rows = list(
        db.session.scalars(
            sa.select(RatingRecord)
            .where(RatingRecord.enterprise_id == eid)
            .order_by(RatingRecord.id)
        )
    )
    days = sorted({r.as_of for r in rows})
    assert len(days) == 2
    trend = ratings.rating_trend(SYSTEM, parties.owner_uscc)
    # one point per day (that day's last result), each a change from the one before
    assert [p.as_of for p in trend] == days
    last_of = {r.as_of: r for r in rows}
    assert [(p.score, p.grade) for p in trend] == [
        (last_of[d].score, last_of[d].grade) for d in days
    ]
    assert (trend[0].score, trend[0].grade) != (trend[1].score, trend[1].grade)
    html = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    assert html.count('class="score-dot"') == 2
    # The full list of results stays in the API's history.
    body = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating/history?size=50")
    assert body.get_json()["total"] == len(rows)


def test_a_recompute_that_changed_nothing_draws_no_point(client, app_ctx, frozen_clock):
    from datetime import timedelta

    parties = make_parties()
    seed_templates()
    make_pledge(parties.owner_uscc, publish=True)
    frozen_clock.advance(86400)
    make_violation(parties, severity="general", days_ago=1)
    eid = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == parties.owner_uscc))
    last = db.session.scalars(
        sa.select(RatingRecord)
        .where(RatingRecord.enterprise_id == eid)
        .order_by(RatingRecord.id.desc())
    ).first()
    # The next day a re-rating writes a row (its inputs changed) with the same score and
    # grade, as the rater does when a record lands under a cap.
    with unit_of_work() as uow:
        columns = {c.key: getattr(last, c.key) for c in RatingRecord.__table__.columns}
        columns.pop("id")
        columns.update(as_of=last.as_of + timedelta(days=1), inputs_digest="0" * 64)
        uow.session.add(RatingRecord(**columns))
    before = ratings.rating_trend(SYSTEM, parties.owner_uscc)
    assert len(before) == 2 and before[-1].as_of == last.as_of
    assert [p.as_of for p in before] == sorted({p.as_of for p in before})
    html = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    assert html.count('class="score-dot"') == 2


# -- item 9: a mistyped code in the search box ----------------------------------------------
def test_a_mistyped_code_says_which_position_is_wrong(client, app_ctx):
    good = uscc.complete("9132050000000099")
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    html = client.get("/search", query_string={"q": wrong_check}).get_data(as_text=True)
    assert "这像是统一社会信用代码，但未通过校验" in html and "第 18 位" in html
    assert "没有找到符合条件的记录" in html
    tips = html[html.index('class="tips"') :]
    tips = unescape(tips[: tips.index("</ul>")])
    # the tips name the position, from the same check as the code-check page
    expected = uscc.check(wrong_check).faults[0]
    assert "第 18 位" in tips and expected.message in tips
    assert "检查错别字" not in tips
    en = client.get("/search", query_string={"q": wrong_check, "lang": "en"})
    assert "Position 18" in en.get_data(as_text=True)


def test_a_code_with_one_wrong_character_lists_the_firm_meant(client, app_ctx):
    from search.documents import ENTERPRISES
    from tests.helpers import import_records, sample_records

    rec = sample_records(1, seed=31)[0]
    import_records([rec])
    app_ctx.extensions["credit.search"].refresh(ENTERPRISES)
    code = rec["uscc"]
    typo = code[:10] + next(c for c in uscc.CHARSET if c != code[10]) + code[11:]
    html = client.get("/search", query_string={"q": typo}).get_data(as_text=True)
    assert "这像是统一社会信用代码，但未通过校验" in html
    assert "下面是与它只差一个字符的有效代码" in html
    assert rec["name"] in html and "没有找到符合条件的记录" not in html
