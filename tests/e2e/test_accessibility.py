"""Every page, checked by axe-core in headless Chromium: no serious or critical violation
(WCAG 2.x A/AA and best-practice rules as axe-core ships them), in Chinese and in English,
on a phone and on a desktop screen, and on the phone in 大字版 (the large-text mode).

The pages are the app's own routes, not a hand-kept list: every HTML ``GET`` route of the
public pages, the OAuth sign-in and the consoles is visited, as the visitor it is for
(anonymous, a firm, a market regulator, a commerce department, an industry organisation),
with real records behind the routes that take an id. A new page route fails
``test_every_page_route_is_checked`` until it is visited here or excluded with a reason.

axe-core comes from npm at the version ``scripts/services.sh`` pins
(``CREDIT_TEST_AXE`` names the file); it is injected into each page, so the check runs
with the CSP bypassed for the injected script only (the page's own scripts still run
under it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from credit.extensions import db
from tests.conftest import unavailable
from tests.e2e.conftest import VIEWPORTS
from tests.parties import PASSWORD

#: Routes that are not an HTML page for people, or that only redirect: never visited.
NOT_PAGES = {
    "pages.static": "files",
    "static": "files",
    "health.healthz": "JSON",
    "health.readyz": "JSON",
    "oauth.metadata": "JSON",
    "seal.svg": "an image (tests/live/test_seal.py checks it)",
    "console.callback": "redirects to the console",
    "console.login": "redirects to the authorization endpoint",
    "console.regulator_records_csv": "CSV (tests/pages/test_regulator_overview.py)",
    "feeds.enterprise_atom": "an Atom feed (tests/pages/test_feeds.py, read by feedparser)",
    "feeds.violations_atom": "an Atom feed (tests/pages/test_feeds.py, read by feedparser)",
    "feeds.enterprise_json": "a JSON Feed (tests/pages/test_feeds.py, JSON Feed 1.1's rules)",
    "feeds.violations_json": "a JSON Feed (tests/pages/test_feeds.py, JSON Feed 1.1's rules)",
}
#: Pages with an id no journey here arranges: checked where they are arranged.
ELSEWHERE = {
    "console.objection_view": "an objection case (tests/pages/test_regulator_workflow_pages.py)",
    "console.repair_view": "a repair case (tests/pages/test_regulator_workflow_pages.py)",
}
#: Which visitor sees a console route (by path prefix); the rest are public.
VISITORS = (
    ("/console/regulator/key-enterprises", "com-staff"),
    ("/console/regulator", "reg-in"),
    ("/console/organisation", "org-eca"),
    ("/console/firm", "firm-a"),
)
SERIOUS = ("serious", "critical")
#: (language, display mode) passes per viewport: every page in Chinese and English, and on
#: the phone once more in 大字版 (large text, high contrast), in Chinese.
PASSES = {
    "phone": (("zh", "standard"), ("en", "standard"), ("zh", "large")),
    "desktop": (("zh", "standard"), ("en", "standard")),
}
LARGE = "document.documentElement.classList.contains('large-text')"


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = os.environ.get("CREDIT_TEST_AXE", "")
    if not path or not Path(path).is_file():
        unavailable("axe-core not found (CREDIT_TEST_AXE; `scripts/services.sh up` installs it)")
    return Path(path).read_text(encoding="utf-8")


def _page_rules(app) -> list:
    return [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods
        and not r.rule.startswith("/api/")
        and r.endpoint not in NOT_PAGES
        and r.endpoint not in ELSEWHERE
    ]


def _arrange(app, live_server: str) -> dict[str, str]:
    """Records behind every route that takes an id, and the console users; the values
    to fill each route argument with."""
    from credit.accounts import service as accounts
    from credit.identity import SYSTEM
    from credit.organisations.models import Campaign
    from credit.reports import service as reports
    from credit.uow import unit_of_work
    from tests.keyfirms.helpers import COMMERCE_SCOPES, add, make_department
    from tests.organisations.console_helpers import make_org_console
    from tests.organisations.helpers import confirm_member, make_campaign, publish_convention
    from tests.pages.console_parties import CONSOLE_CLIENT_ID
    from tests.parties import make_pledge, make_violation

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
        department = make_department(cp.parties.owner_city)
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
        add(department, cp.owner_uscc)
        confirm_member(org, cp.owner_uscc)
        publish_convention(org)
        make_campaign(org)
        pledge = make_pledge(cp.owner_uscc, publish=True)
        violation = make_violation(
            cp.parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}]
        )
        campaign = db.session.scalar(sa.select(Campaign.id))
        with unit_of_work() as uow:
            report = reports.issue_report(SYSTEM, uow, cp.owner_uscc)
        return {
            "uscc": cp.owner_uscc,
            "code": org.code,
            "pledge_id": pledge.id,
            "violation_id": violation.id,
            "campaign_id": campaign,
            "report_no": report.report_no,
        }


def _path(rule, values: dict[str, str]) -> str:
    return rule.build(values, append_unknown=False)[1]


def _check(page, axe_source: str, path: str, label: str) -> list[str]:
    response = page.goto(path)
    assert response is not None
    page.add_script_tag(content=axe_source)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [
        f"{label} {path} [{response.status}]: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def _sign_in(page, username: str) -> None:
    page.goto("/console/")
    page.click("#console-sign-in")
    page.wait_for_url("**/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url("**/oauth/authorize**")
    page.click("button[name=confirm][value=yes]")
    page.wait_for_url("**/console/**")


def test_every_page_route_is_checked(clean_app) -> None:
    """Each HTML route either has its arguments arranged below or is excluded with a
    reason: a new page cannot slip past the check."""
    arranged = {"uscc", "code", "pledge_id", "violation_id", "campaign_id", "report_no"}
    missing = sorted(
        f"{r.rule} ({r.endpoint})"
        for r in _page_rules(clean_app)
        if not set(r.arguments) <= arranged
    )
    assert missing == [], "arrange these routes' ids or say where they are checked"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_no_serious_accessibility_violation_on_any_page(
    browser, clean_app, live_server, axe_source, viewport
) -> None:
    values = _arrange(clean_app, live_server)
    by_visitor: dict[str, list[str]] = {}
    for rule in _page_rules(clean_app):
        visitor = next((who for prefix, who in VISITORS if rule.rule.startswith(prefix)), "")
        by_visitor.setdefault(visitor, []).append(_path(rule, values))
    problems: list[str] = []
    checked = 0
    for visitor, paths in sorted(by_visitor.items()):
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            base_url=live_server,
            locale="zh-CN",
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
            bypass_csp=True,
        )
        page = context.new_page()
        try:
            if visitor:
                _sign_in(page, visitor)
            for lang, display in PASSES[viewport]:
                # both remembered in cookies (lang, display)
                page.goto(f"/?lang={lang}&display={display}")
                assert page.evaluate(LARGE) == (display == "large")
                for path in sorted(paths):
                    where = f"{visitor or 'public'}/{lang}/{display}"
                    problems += _check(page, axe_source, path, where)
                    checked += 1
        finally:
            context.close()
    assert checked >= len(PASSES[viewport]) * 30, checked
    assert problems == [], "\n".join(problems)
