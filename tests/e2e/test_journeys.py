"""The three journeys of issue 8 in a real browser, on a phone and on a desktop screen:

1. a firm signs in (the platform's OAuth code flow with PKCE) and publishes a pledge;
2. a regulator signs in and records a violation that breaches one of its clauses;
3. a consumer finds the firm by a two-character fragment of its name and sees the new
   grade and the violation on its profile (and prints a credit report that verifies).

Every page is screenshotted (``build/e2e-screenshots/``); no page may raise a script
error or a Content-Security-Policy violation, or scroll sideways on a phone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from tests.e2e.conftest import new_page
from tests.pages.console_parties import make_console_parties
from tests.parties import PASSWORD


def _check(page, shots, name: str, viewport: str) -> None:
    shots.take(page, name, viewport)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"{name} scrolls sideways ({width}px)"
    assert page.js_errors == [], (name, page.js_errors)


def _sign_in(page, shots, viewport: str, username: str, who: str) -> None:
    page.goto("/console/")
    _check(page, shots, f"{who} console signed out", viewport)
    page.click("#console-sign-in")
    page.wait_for_url("**/login**")
    _check(page, shots, f"{who} sign in", viewport)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/oauth/authorize**")
    _check(page, shots, f"{who} consent", viewport)
    page.click("button[name=confirm][value=yes]")
    page.wait_for_url("**/console/**")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_firm_pledges_regulator_flags_consumer_sees(
    browser, clean_app, live_server, shots, viewport
):
    with clean_app.app_context():
        cp = make_console_parties()
        from credit.accounts import service
        from credit.identity import SYSTEM
        from credit.uow import unit_of_work
        from tests.pages.console_parties import CONSOLE_CLIENT_ID

        with unit_of_work() as uow:  # the console's callback on this server's port
            service.register_console_client(
                SYSTEM,
                uow,
                client_id=CONSOLE_CLIENT_ID,
                name="console",
                redirect_uris=[f"{live_server}/console/callback"],
            )
        firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == cp.owner_uscc))
        name, uscc = firm.name, firm.uscc
        # An older record of the firm with a repair application waiting (issue 17 item 5).
        from dataclasses import replace

        from credit.violations import workflow
        from tests.parties import make_pledge, make_violation, owner_identity

        old = make_violation(cp.parties, days_ago=120)
        repair_pledge = make_pledge(uscc, publish=True, template_code="CREDIT-REPAIR")
        with unit_of_work() as uow:
            workflow.apply_for_repair(
                replace(owner_identity(uscc), scopes=frozenset({"repairs:write"})),
                uow,
                old.id,
                repair_pledge.id,
                "已下架违规商品并完成整改",
            )
        old_id = old.id
        # A serious record not yet repairable and a serious-list listing: two caps hold
        # the grade, which the rating page says in words (issue 17 item 4).
        from credit.violations import registry
        from tests.parties import regulator_identity

        serious = make_violation(
            cp.parties,
            severity="serious",
            days_ago=200,
            decision_number=f"苏市监罚〔2026〕S{viewport[:1]}200号",
        )
        serious_no, serious_repairable = serious.decision_number, serious.repairable_from
        with unit_of_work() as uow:
            registry.list_on_serious_list(
                regulator_identity(),
                uow,
                {
                    "uscc": uscc,
                    "legal_basis": "《市场监督管理严重违法失信名单管理办法》",
                    "reason": "一年内因刷单炒信两次受到较重行政处罚",
                    "listed_on": clock.today() - timedelta(days=30),
                    "remove_on": clock.today() + timedelta(days=3 * 365),
                },
            )
        # An earlier pledge the firm withdrew: shown by its state, never as kept (issue 17).
        from credit.pledges import service as pledge_service
        from tests.parties import make_pledge, owner_identity

        gone = make_pledge(uscc, publish=True)
        with unit_of_work() as uow:
            pledge_service.withdraw_pledge(
                owner_identity(uscc), uow, gone.id, "停止网店经营", gone.version
            )
        gone_id = gone.id
    today = clock.today()

    # 1. The firm files and publishes a pledge.
    context, page = new_page(browser, viewport, live_server)
    try:
        _sign_in(page, shots, viewport, "firm-a", "firm")
        page.goto("/console/firm")
        _check(page, shots, "firm console", viewport)
        page.goto(f"/console/firm/pledges/{gone_id}")
        assert "已撤回" in page.locator("#pledge-status").inner_text()
        assert page.locator("#pledge-compliance").count() == 0
        assert "守诺" not in page.locator("main").inner_text()
        _check(page, shots, "withdrawn pledge", viewport)
        page.goto("/console/firm/pledges/new")
        # Nothing is preselected, and the repair template is not offered here.
        assert page.locator("input[name=template]").count() >= 1
        assert page.locator("input[name=template]:checked").count() == 0
        assert page.locator("#template-CREDIT-REPAIR").count() == 0
        _check(page, shots, "choose template", viewport)
        page.get_by_role("button", name="下一步：填写承诺").click()
        page.wait_for_selector("#template-error")
        assert "请先选择" in page.locator("#form-errors").inner_text()
        _check(page, shots, "choose template error", viewport)
        page.check("#template-ECOM-STD")
        page.get_by_role("button", name="下一步：填写承诺").click()
        page.wait_for_selector("#f-clauses")
        for box in page.locator("#f-clauses input[type=checkbox]").all():
            box.check()
        page.fill("#f-valid_from", today.isoformat())
        page.fill("#f-valid_until", (today - timedelta(days=1)).isoformat())  # a mistake
        page.fill("#f-signer_name", "张三丰")
        page.fill("#f-signer_title", "总经理")
        page.check("#f-consent_to_publish")
        # A validation error keeps what was typed and says what to fix, by the field.
        page.click("#save-draft")
        assert page.locator("#form-errors").is_visible()
        assert page.input_value("#f-signer_name") == "张三丰"
        assert page.locator("[aria-invalid=true]").count() >= 1
        _check(page, shots, "pledge form with an error", viewport)
        page.fill("#f-valid_until", (today + timedelta(days=365)).isoformat())
        page.click("#save-draft")
        page.wait_for_selector("#publish")
        _check(page, shots, "pledge draft", viewport)
        page.click("#publish")
        page.wait_for_load_state()
        assert (
            page.locator("text=已发布").first.is_visible()
            or page.locator("text=公示").first.is_visible()
        )
        _check(page, shots, "pledge published", viewport)
        page.goto("/console/firm/rating")
        _check(page, shots, "firm rating explained", viewport)
        # Capped: the caps in words, no points offered, each repair with its date.
        main = page.locator("main").inner_text()
        caps = page.locator("#caps").inner_text()
        assert "列入严重失信主体名单" in caps and "如何解除" in caps and "HARD_" not in main
        assert "还差" not in main and "加分不能" in page.locator("#next-grade").inner_text()
        actions = page.locator("#actions").inner_text()
        assert serious_no in actions and f"自 {serious_repairable} 起可申请信用修复" in actions
        assert f"申请中（自 {today} 起）" in actions  # the pending repair, since when
        # Figures ("+6", "C 120") stay on one line, also at 360 px.
        wrapped = page.eval_on_selector_all(
            "main .pts", "els => els.filter(e => e.getClientRects().length > 1).length"
        )
        assert wrapped == 0 and page.locator("main .pts").count() > 0
        # A repair application is pending: it is said, with no second form to fill.
        page.goto(f"/console/firm/records/{old_id}")
        pending = page.locator("#repair-pending")
        assert pending.is_visible() and "信用修复申请处理中" in pending.inner_text()
        assert page.locator("#apply-repair").count() == 0
        _check(page, shots, "firm record with a pending repair", viewport)
    finally:
        context.close()

    # 2. The regulator records a violation breaching one of its clauses.
    context, page = new_page(browser, viewport, live_server)
    decision = f"苏市监罚〔{today.year}〕E2E{viewport[:1]}号"
    try:
        _sign_in(page, shots, viewport, "reg-in", "regulator")
        page.goto("/console/regulator")
        _check(page, shots, "regulator console", viewport)
        page.goto("/console/regulator/violations/new")
        # A firm outside the jurisdiction is refused on the form, naming whom to hand it to,
        # with what was typed kept.
        page.fill("#f-uscc", cp.other_uscc)
        page.select_option("#f-category", "false_advertising")
        page.click("#find-firm")
        refusal = page.locator("#uscc-error")
        assert "不在本机关管辖范围内" in refusal.inner_text()
        assert page.locator("#record-violation").count() == 0
        assert page.input_value("#f-uscc") == cp.other_uscc
        assert page.input_value("#f-category") == "false_advertising"
        _check(page, shots, "violation form refused outside the jurisdiction", viewport)
        page.fill("#f-uscc", uscc)
        page.select_option("#f-category", "false_advertising")  # the picker offers its clauses
        page.click("#find-firm")
        page.wait_for_selector("#record-violation")
        page.select_option("#f-severity", "general")
        page.fill("#f-decision_number", decision)
        page.fill("#f-decision_date", today.isoformat())
        page.fill("#f-facts", "在网店页面对商品功效作虚假宣传，与承诺不符。")
        page.fill("#f-legal_basis", "《中华人民共和国反不正当竞争法》第八条")
        page.select_option("#f-penalty_type", "warning")
        breach = page.locator("input[id^=breach-]").first
        breach.check()
        _check(page, shots, "record violation", viewport)
        page.click("#record-violation")
        # The preview (issue 17 item 10): the record as the public will see it, not yet
        # written; only "确认公示" writes it.
        page.wait_for_selector("#confirm-publish")
        assert "虚假宣传" in page.inner_text("#decision-h + dl")
        assert page.locator("#back-to-edit").is_visible()
        assert "只有“确认公示”会录入" in page.inner_text("#preview-note")
        _check(page, shots, "violation preview", viewport)
        page.click("#confirm-publish")
        page.wait_for_url("**/console/regulator/violations/*")
        assert page.locator(f"text={decision}").first.is_visible()
        _check(page, shots, "violation recorded", viewport)
        # The dashboard counts the two older records arranged above (the one with a repair
        # application waiting in the queue, the serious one) and this one.
        page.click("#nav-overview")
        assert page.inner_text("#overview-total") == "3"
        assert page.inner_text("#queue-repairs .pending") == "1"
        assert page.inner_text("#queue-repairs .overdue") == "0"
        _check(page, shots, "regulator overview", viewport)
        page.goto("/console/regulator/objections")
        _check(page, shots, "objection queue", viewport)
    finally:
        context.close()

    # 3. A consumer finds the firm by two characters of its name.
    context, page = new_page(browser, viewport, live_server)
    try:
        page.goto("/")
        _check(page, shots, "home", viewport)
        fragment = name[2:4]
        box = page.locator("input[type=search]").first
        box.click()
        page.keyboard.type(fragment, delay=50)  # suggestions as you type
        option = page.locator("[role=option]").filter(has_text=name).first
        option.wait_for(state="visible")
        assert box.get_attribute("aria-expanded") == "true"
        _check(page, shots, "home suggestions", viewport)
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search**")
        _check(page, shots, "results", viewport)
        page.get_by_role("link", name=name).first.click()
        page.wait_for_url(f"**/enterprises/{uscc}")
        _check(page, shots, "profile", viewport)
        body = page.locator("main").inner_text()
        assert decision in body, "the violation is on the profile"
        badge = page.locator(".grade").first.inner_text().strip()
        assert badge and badge[0] in "ABC", badge
        with clean_app.app_context():
            from credit.ratings.models import CurrentRating

            rating = db.session.scalar(
                sa.select(CurrentRating).where(CurrentRating.enterprise_id == firm.id)
            )
        assert rating is not None and badge.startswith(rating.grade), (badge, rating.grade)
        assert "违反" in body or "breach" in body.lower() or "失信" in body
        withdrawn = page.locator("article.record", has_text="已撤回")
        assert withdrawn.count() == 1 and "守诺" not in withdrawn.inner_text()
        # The record's permalink, then the grade badge to the published method (issue 17).
        page.get_by_role("link", name=decision).first.click()
        page.wait_for_url("**/violations/**")
        _check(page, shots, "violation record", viewport)
        record = page.locator("main").inner_text()
        assert decision in record and "状态：公示中" in record and "公示截止" in record
        assert "✗ 已违反" in record, "the breached clause, in words"
        assert page.locator("link[rel=canonical]").get_attribute("href").endswith(page.url[-36:])
        page.go_back()
        page.locator("a.grade-link").first.click()
        page.wait_for_url("**/about/rating#grade-*")
        _check(page, shots, "rating method", viewport)
        method = page.locator("main").inner_text()
        grade = badge.split()[0]
        assert page.locator(f"#grade-{grade}").is_visible() and "封顶规则" in method
        assert "异议与信用修复" in method
        page.goto(f"/enterprises/{uscc}/report")
        _check(page, shots, "credit report", viewport)
        verify = page.locator("a[href*='/verify/']").first.get_attribute("href")
        page.goto(verify)
        assert (
            "真实" in page.locator("main").inner_text()
            or "genuine" in page.locator("main").inner_text().lower()
        )
        _check(page, shots, "report verified", viewport)
        page.goto("/stats")
        _check(page, shots, "statistics", viewport)
        page.goto(f"/uscc?code={uscc}")
        _check(page, shots, "uscc check", viewport)
        page.goto(f"/enterprises/{uscc}?lang=en")
        _check(page, shots, "profile in english", viewport)
    finally:
        context.close()
