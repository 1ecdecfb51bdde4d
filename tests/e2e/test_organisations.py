"""Issue 16's second acceptance journey in a real browser: an industry organisation
publishes its convention and runs a pledge campaign, its member joins and files from the
campaign's template, the organisation sees the coverage and refers a breach of the
convention to the regulator, the regulator declines it, and nothing public changes: the
member's profile, grade and credit seal are as they were, while the organisation's public
page shows the campaign's coverage.

One journey on a desktop screen, with a phone-width screenshot beside each key step.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from tests.e2e.conftest import new_page
from tests.e2e.test_journeys import _sign_in
from tests.e2e.test_key_enterprises import _both


def _arrange(app, live_server: str):
    from credit.accounts import service as accounts
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work
    from tests.organisations.console_helpers import make_org_console
    from tests.organisations.helpers import confirm_member
    from tests.pages.console_parties import CONSOLE_CLIENT_ID

    cp, org = make_org_console(app)
    with app.app_context():
        with unit_of_work() as uow:
            accounts.register_console_client(
                SYSTEM,
                uow,
                client_id=CONSOLE_CLIENT_ID,
                name="console",
                redirect_uris=[f"{live_server}/console/callback"],
            )
        confirm_member(org, cp.owner_uscc)  # invitations are covered in-process
    return cp, org


def _public_state(app, page, uscc: str) -> dict:
    """What the public sees of the member: profile (grade, records), standing, seal."""
    from credit.enterprises.models import Enterprise
    from credit.ratings.models import CurrentRating
    from credit.violations.models import Violation

    with app.app_context():
        ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))
        rating = db.session.scalar(
            sa.select(CurrentRating).where(CurrentRating.enterprise_id == ent.id)
        )
        violations = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Violation)
            .where(Violation.enterprise_id == ent.id)
        )
    page.goto(f"/enterprises/{uscc}")
    badge = page.locator(".grade").first.inner_text().strip()
    standing = page.request.get(f"/api/v1/enterprises/{uscc}/standing").json()
    seal = page.request.get(f"/seal/{uscc}.svg").body()
    return {
        "grade": (rating.grade, rating.score),
        "badge": badge,
        "violations": violations,
        "standing": standing,
        "seal": seal,
        "organisations": page.locator(".organisations").inner_text(),
    }


def test_organisation_runs_a_campaign_refers_a_breach_and_nothing_public_changes(
    browser, clean_app, live_server, shots
) -> None:
    cp, org = _arrange(clean_app, live_server)
    today = clock.today()

    org_ctx, op = new_page(browser, "desktop", live_server)
    try:
        # 1. The convention: drafted, then published.
        _sign_in(op, shots, "desktop", "org-eca", "organisation")
        op.goto("/console/organisation/convention")
        op.fill("#f-title", "江苏省电子商务行业自律公约")
        op.fill("#f-title_en", "Jiangsu e-commerce self-discipline convention")
        op.fill("#f-preamble", "为规范电子商务经营行为，会员单位共同遵守本公约。")
        op.fill(
            "#f-clauses",
            "A1｜诚信经营，不刷单炒信。｜No fake orders or reviews.\n"
            "A2｜保护消费者权益，履行七日无理由退货。｜Protect consumers; honour 7-day returns.",
        )
        op.fill("#f-effective_from", today.isoformat())
        op.click("#save-convention")
        op.wait_for_selector("#publish-convention")
        _both(op, shots, "convention draft")
        op.click("#publish-convention")
        op.wait_for_selector("text=自律公约第 1 版已发布。")
        assert "现行：第 1 版" in op.locator("main").inner_text()

        # 2. A campaign over the 行业自律型 template.
        op.goto("/console/organisation/campaigns/new")
        op.fill("#f-title", "2026 年度会员诚信承诺活动")
        op.fill("#f-description", "会员单位签署行业自律承诺并在平台公示。")
        op.fill("#f-ends_on", (today + timedelta(days=90)).isoformat())
        op.click("#create-campaign")
        op.wait_for_selector("#coverage")
        assert op.locator(".campaign-figures .big").inner_text() == "0 / 1"
        assert "尚未参加" in op.locator("#coverage").inner_text()
        _both(op, shots, "campaign started")
        campaign_url = op.url

        # 3. The member joins and files from the campaign's template, then publishes.
        firm_ctx, fp = new_page(browser, "desktop", live_server)
        try:
            _sign_in(fp, shots, "desktop", "firm-a", "member")
            fp.goto("/console/firm/organisations")
            assert "2026 年度会员诚信承诺活动" in fp.locator("main").inner_text()
            _both(fp, shots, "member sees the campaign")
            fp.click(".join-campaign")
            fp.wait_for_selector("#campaign-note")
            assert "电子商务行业自律承诺书" in fp.locator("main").inner_text()
            for checkbox in fp.locator("#f-clauses input[type=checkbox]").all():
                checkbox.check()
            fp.fill("#f-signer_name", "王五")
            fp.fill("#f-signer_title", "总经理")
            fp.check("#f-consent_to_publish")
            fp.click("#save-draft")
            fp.wait_for_selector("#publish")
            fp.click("#publish")
            fp.wait_for_selector("text=承诺已公示。")
            _both(fp, shots, "member published the pledge")
        finally:
            firm_ctx.close()

        # 4. The organisation sees the coverage.
        op.goto(campaign_url)
        assert op.locator(".campaign-figures .big").inner_text() == "1 / 1"
        assert "承诺有效" in op.locator("#coverage").inner_text()
        _both(op, shots, "organisation sees coverage")

        before = _public_state(clean_app, op, cp.owner_uscc)
        assert before["violations"] == 0 and before["badge"].startswith(before["grade"][0])
        assert "江苏省电子商务协会ECA" in before["organisations"]

        # 5. It refers a breach of clause A1 to the regulator over the member's city.
        op.goto(f"/console/organisation/referrals/new?uscc={cp.owner_uscc}")
        op.select_option("#f-authority", "IN")
        op.check("#clause-A1")
        op.fill("#f-facts", "会员在直播带货中组织刷单，违反公约 A1。")
        _both(op, shots, "referral form")
        op.click("#refer")
        op.wait_for_selector("#referrals")
        assert "已转交，待监管机关处理" in op.locator("#referrals").inner_text()

        # 6. The regulator declines it, with a reason.
        reg_ctx, rp = new_page(browser, "desktop", live_server)
        try:
            _sign_in(rp, shots, "desktop", "reg-in", "regulator")
            rp.goto("/console/regulator/referrals")
            card = rp.locator("section.referral").first
            text = card.inner_text()
            assert "会员在直播带货中组织刷单" in text and "A1 诚信经营，不刷单炒信。" in text
            _both(rp, shots, "regulator inbox")
            card.locator("input[value=no]").check()
            card.locator("textarea[name=reason]").fill("证据不足，不予受理。")
            card.locator("button[type=submit]").click()
            rp.wait_for_selector("text=监管机关不予受理")
            _both(rp, shots, "regulator declined")
        finally:
            reg_ctx.close()

        op.goto("/console/organisation")
        status = op.locator("#referrals .referral-status").inner_text()
        assert "监管机关不予受理" in status and "证据不足" in status
    finally:
        org_ctx.close()

    # 7. Nothing public changed; the organisation's page shows the coverage.
    public, pp = new_page(browser, "desktop", live_server)
    try:
        after = _public_state(clean_app, pp, cp.owner_uscc)
        assert after == before
        assert "刷单" not in pp.locator("main").inner_text()
        _both(pp, shots, "member profile unchanged")
        pp.goto(f"/organisations/{org.code}")
        main = pp.locator("main").inner_text()
        assert "诚信经营，不刷单炒信。" in main and "2026 年度会员诚信承诺活动" in main
        assert pp.locator("#member-count").inner_text() == "1"
        assert pp.locator(".campaign-figures .big").inner_text() == "1 / 1"
        assert "1 家会员中，1 家已参加，1 家已公示承诺且有效" in main
        _both(pp, shots, "organisation public page")
    finally:
        public.close()
