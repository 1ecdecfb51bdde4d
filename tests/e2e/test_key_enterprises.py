"""Issue 16's first acceptance journey in a real browser: the commerce department uploads
a key-enterprise list through the console's file input (a bad line first: the error is
said in words, by line and column; then a good file), sees coverage by city, category and
industry with the right figures, reminds the uncovered firm; the firm signs in, sees what
is asked and by when, follows the reminder's link, files and publishes a pledge of the
type asked; the department's coverage then shows the firm covered, and the public
/key-enterprises page says so in words.

One journey on a desktop screen, with a phone-width screenshot beside each key step (the
page must not scroll sideways there either).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.regions import city_name
from tests.e2e.conftest import VIEWPORTS, new_page
from tests.e2e.test_journeys import _sign_in


def _both(page, shots, name: str) -> None:
    """Screenshot the page on the desktop and at phone width; neither scrolls sideways,
    and no script or CSP error happened."""
    for viewport in ("desktop", "phone"):
        page.set_viewport_size(VIEWPORTS[viewport])
        shots.take(page, name, viewport)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"] + 1, f"{name} scrolls sideways ({width})"
    page.set_viewport_size(VIEWPORTS["desktop"])
    assert page.js_errors == [], (name, page.js_errors)


def _table(page, caption: str) -> dict[str, list[str]]:
    """A figures table as {row header: [listed, covered]}."""
    rows = page.locator(f"table:has(caption:text-is('{caption}')) tbody tr")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        out[row.locator("th").inner_text().strip()] = [
            c.strip() for c in row.locator("td").all_inner_texts()
        ]
    return out


def _arrange(app, live_server: str):
    from credit.accounts import service as accounts
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work
    from tests.helpers import import_records, sample_records
    from tests.keyfirms.helpers import COMMERCE_SCOPES, make_department
    from tests.pages.console_parties import CONSOLE_CLIENT_ID, make_console_parties
    from tests.parties import PASSWORD, make_pledge

    with app.app_context():
        cp = make_console_parties()
        city = cp.parties.owner_city
        make_department(city)
        with unit_of_work() as uow:
            accounts.register_console_client(
                SYSTEM,
                uow,
                client_id=CONSOLE_CLIENT_ID,
                name="console",
                redirect_uris=[f"{live_server}/console/callback"],
            )
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
        # A second firm of the same city that has already published a pledge.
        known = {cp.owner_uscc, cp.other_uscc}
        other = next(
            r
            for r in sample_records(80, seed=78)
            if r["city_code"] == city and r["uscc"] not in known
        )
        import_records([other])
        make_pledge(other["uscc"], publish=True)
        firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == cp.owner_uscc))
        return cp, firm.name, other, city_name(city)


def test_department_uploads_reminds_and_sees_the_firm_covered(
    browser, clean_app, live_server, shots
) -> None:
    cp, name, other, city = _arrange(clean_app, live_server)
    today = clock.today().isoformat()
    due = (clock.today() + timedelta(days=14)).isoformat()

    dept, page = new_page(browser, "desktop", live_server)
    try:
        _sign_in(page, shots, "desktop", "com-staff", "department")
        page.goto("/console/regulator/key-enterprises")
        assert page.locator("#coverage-total").inner_text() == "0 / 0"

        # 1. A file with one bad line (a firm outside the department's city): nothing is
        #    imported, and the line and column are said in words.
        bad = (
            "统一社会信用代码,类别,列入理由,起始日期\n"
            f"{cp.owner_uscc},老字号企业,江苏老字号,{today}\n"
            f"{cp.other_uscc},老字号企业,辖区外企业,{today}\n"
        )
        page.set_input_files(
            "input[type=file]",
            {"name": "名单.csv", "mimeType": "text/csv", "buffer": bad.encode()},
        )
        page.click("#upload")
        errors = page.locator("#upload-errors")
        errors.wait_for()
        text = errors.inner_text()
        assert "未导入任何一行" in text
        assert "第 3 行 · 统一社会信用代码" in text and "不在本机关管辖范围" in text
        assert "第 2 行" not in text
        assert page.locator("#coverage-total").inner_text() == "0 / 0"
        _both(page, shots, "upload refused line by line")

        # 2. The corrected file: both firms of the city, in two categories.
        good = (
            "统一社会信用代码,类别,列入理由,起始日期\n"
            f"{cp.owner_uscc},老字号企业,江苏老字号,{today}\n"
            f"{other['uscc']},电子商务平台经营者,全市重点平台,{today}\n"
        )
        page.set_input_files(
            "input[type=file]",
            {"name": "名单.csv", "mimeType": "text/csv", "buffer": good.encode()},
        )
        page.click("#upload")
        page.wait_for_selector("text=已列入 2 家（次）重点电子商务企业")

        # 3. Coverage: one of two covered, by city, category and industry.
        assert page.locator("#coverage-total").inner_text() == "1 / 2"
        assert _table(page, "按地市") == {city: ["2", "1"]}
        by_category = {"电子商务平台经营者": ["1", "1"], "老字号企业": ["1", "0"]}
        assert _table(page, "按类别") == by_category
        industries = _table(page, "按行业")
        assert sum(int(v[0]) for v in industries.values()) == 2
        assert sum(int(v[1]) for v in industries.values()) == 1
        uncovered = page.locator("section[aria-labelledby=uncovered-h] tbody").inner_text()
        assert name in uncovered and "尚未公示承诺" in uncovered
        assert other["name"] not in uncovered
        _both(page, shots, "coverage before the reminder")

        # 4. Remind the uncovered firm; pressing again reminds nobody twice.
        page.fill("#f-due_on", due)
        page.click("#remind")
        page.wait_for_selector("text=已发送 1 条提醒；0 条")
        page.fill("#f-due_on", due)
        page.click("#remind")
        page.wait_for_selector("text=已发送 0 条提醒；1 条因 7 日内已就同一要求提醒而未重复发送")
        _both(page, shots, "reminded once")

        # 5. The firm sees what is asked and by when, follows the link and files.
        firm_ctx, fp = new_page(browser, "desktop", live_server)
        try:
            _sign_in(fp, shots, "desktop", "firm-a", "firm")
            fp.goto("/console/firm")
            box = fp.locator("section[aria-labelledby=key-h]")
            asked = box.inner_text()
            assert "老字号企业" in asked and "尚未公示承诺" in asked
            assert f"请于 {due} 前公示" in asked and "主动公示型" in asked
            _both(fp, shots, "firm sees the reminder")
            box.get_by_role("link", name="按要求填报承诺").click()
            fp.wait_for_url("**/console/firm/pledges/new?type=voluntary_public")
            assert "主动公示型" in fp.locator("#asked-type").inner_text()
            # Only templates of the type asked are offered, and none is chosen for the firm.
            offered = fp.locator("input[name=template]")
            assert offered.count() >= 1 and fp.locator("input[name=template]:checked").count() == 0
            offered.first.check()
            fp.get_by_role("button", name="下一步：填写承诺").click()
            fp.wait_for_selector("#f-clauses")
            for checkbox in fp.locator("#f-clauses input[type=checkbox]").all():
                checkbox.check()
            fp.fill("#f-signer_name", "李四")
            fp.fill("#f-signer_title", "总经理")
            fp.check("#f-consent_to_publish")
            fp.click("#save-draft")
            fp.wait_for_selector("#publish")
            fp.click("#publish")
            fp.wait_for_selector("text=承诺已公示。")
            _both(fp, shots, "firm published the pledge")
        finally:
            firm_ctx.close()

        # 6. The department's coverage now shows the firm covered.
        page.goto("/console/regulator/key-enterprises")
        assert page.locator("#coverage-total").inner_text() == "2 / 2"
        assert _table(page, "按类别") == {**by_category, "老字号企业": ["1", "1"]}
        assert page.locator("text=名单内企业均已公示有效承诺。").is_visible()
        page.click("#history-link")
        page.wait_for_url("**/key-enterprises/history")
        history = page.locator("#history tbody").inner_text()
        assert history.count("列入") == 2 and "csv:名单.csv" in history
        _both(page, shots, "coverage after the firm filed")
    finally:
        dept.close()

    # 7. The public list says the firm's state in words.
    public, pp = new_page(browser, "desktop", live_server)
    try:
        pp.goto("/key-enterprises")
        row = pp.locator("tbody tr").filter(has_text=name)
        assert row.locator("td[class^=coverage-]").inner_text() == "承诺有效"
        assert row.get_by_role("link", name=name).get_attribute("href") == (
            f"/enterprises/{cp.owner_uscc}"
        )
        _both(pp, shots, "public list")
    finally:
        public.close()
