"""Issue 17 item 8 and 大字版 in a real browser on a 360 px phone, as a user sees them:

- search: the results come first; the filters sit behind a "筛选" button that opens them
  (and on a desktop they are a side column with no button); the search box's placeholder
  fits in the box;
- statistics: chart labels are at least 12 px as drawn (font size times the SVG's scale);
- the firm console: its tables are cards, each cell under its label, a date on one line;
- 大字版: one click in the header, the body text grows, the mode stays on the next page,
  and 标准版 brings the standard size back.

Screenshots go to build/e2e-screenshots/test_phone_layout*/.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from credit.enterprises.models import Enterprise
from credit.extensions import db
from tests.e2e.conftest import VIEWPORTS, new_page
from tests.e2e.test_journeys import _check, _sign_in

#: The placeholder's text width against the room inside the box (canvas measure, same font).
PLACEHOLDER_FITS = """el => {
  const s = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
  const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return {text: ctx.measureText(el.placeholder).width, room, scroll: el.scrollWidth,
          client: el.clientWidth};
}"""
#: Each chart label's font size as computed and as drawn (times the SVG's screen scale).
CHART_LABELS = """() => [...document.querySelectorAll('.chart svg text')].map(t => {
  const size = parseFloat(getComputedStyle(t).fontSize);
  return {text: t.textContent, size, drawn: size * t.ownerSVGElement.getScreenCTM().a};
})"""
#: How many lines a cell's text takes (client rects of its contents).
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"""


def _arrange(app, live_server: str) -> str:
    from credit.accounts import service as accounts
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.pages.console_parties import CONSOLE_CLIENT_ID, make_console_parties
    from tests.parties import make_pledge, make_violation, owner_identity

    with app.app_context():
        cp = make_console_parties()
        with unit_of_work() as uow:
            accounts.register_console_client(
                SYSTEM,
                uow,
                client_id=CONSOLE_CLIENT_ID,
                name="console",
                redirect_uris=[f"{live_server}/console/callback"],
            )
        v = make_violation(cp.parties, days_ago=120)
        repair = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        with unit_of_work() as uow:
            workflow.apply_for_repair(
                replace(owner_identity(cp.owner_uscc), scopes=frozenset({"repairs:write"})),
                uow,
                v.id,
                repair.id,
                "已下架违规商品并完成整改",
            )
        return db.session.scalar(sa.select(Enterprise.name).where(Enterprise.uscc == cp.owner_uscc))


def test_phone_search_filters_charts_console_cards_and_large_text(
    browser, clean_app, live_server, shots
) -> None:
    name = _arrange(clean_app, live_server)
    context, page = new_page(browser, "phone", live_server)
    try:
        # Search: results first, the filters behind the button.
        page.goto(f"/search?q={name[:2]}")
        first_hit = page.locator("ol.hits > li").first
        button = page.locator("details.filters > summary")
        facets = page.locator("details.filters .facets")
        assert first_hit.is_visible() and button.is_visible()
        assert not facets.is_visible(), "the filters are collapsed on a phone"
        hit_top = first_hit.bounding_box()["y"]
        assert hit_top < VIEWPORTS["phone"]["height"], "the first result is on the first screen"
        assert button.inner_text().strip().endswith("筛选")
        fits = page.locator("#q").evaluate(PLACEHOLDER_FITS)
        assert fits["text"] <= fits["room"], f"placeholder cut off: {fits}"
        assert fits["scroll"] <= fits["client"], fits
        _check(page, shots, "search results first", "phone")
        button.click()
        assert facets.is_visible(), "the button opens the filters"
        assert page.locator("details.filters .facets summary").first.is_visible()
        _check(page, shots, "search filters open", "phone")
        # On a desktop the same page shows the filters as a column, with no button.
        page.set_viewport_size(VIEWPORTS["desktop"])
        page.reload()
        assert facets.is_visible() and not button.is_visible()
        assert facets.bounding_box()["x"] < first_hit.bounding_box()["x"]
        _check(page, shots, "search filters column", "desktop")
        page.set_viewport_size(VIEWPORTS["phone"])

        # Statistics: every chart label at least 12 px, computed and as drawn.
        page.goto("/stats")
        labels = page.evaluate(CHART_LABELS)
        assert labels, "the statistics page draws charts"
        small = [x for x in labels if x["size"] < 12 or x["drawn"] < 12]
        assert small == [], small
        _check(page, shots, "statistics charts", "phone")

        # The firm console: tables as cards, a date on one line beside its label.
        _sign_in(page, shots, "phone", "firm-a", "firm")
        page.goto("/console/firm")
        filed = page.locator("td.filed").first
        assert filed.evaluate("el => getComputedStyle(el).display") == "block"
        assert "提交日期" in filed.evaluate("el => getComputedStyle(el, '::before').content")
        assert filed.evaluate(LINES) == 1, "the filing date on one line"
        width = filed.evaluate("el => el.getBoundingClientRect().width")
        assert width > VIEWPORTS["phone"]["width"] - 100, "the cell spans the card"
        assert page.locator("table.cards thead").first.bounding_box()["height"] <= 1
        _check(page, shots, "firm console cards", "phone")

        # 大字版: one click in the header; the text grows; kept on the next page; and back.
        size = "() => parseFloat(getComputedStyle(document.body).fontSize)"
        standard = page.evaluate(size)
        page.get_by_role("link", name="大字版").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        large = page.evaluate(size)
        assert large >= 18 and large > standard, (standard, large)
        _check(page, shots, "firm console large text", "phone")
        page.goto(f"/search?q={name[:2]}")
        assert page.evaluate(size) == large, "the mode is remembered"
        fits = page.locator("#q").evaluate(PLACEHOLDER_FITS)
        assert fits["text"] <= fits["room"], f"placeholder cut off in 大字版: {fits}"
        _check(page, shots, "search large text", "phone")
        page.goto("/stats")
        small = [x for x in page.evaluate(CHART_LABELS) if x["drawn"] < 12]
        assert small == [], small
        _check(page, shots, "statistics large text", "phone")
        page.get_by_role("link", name="标准版").click()
        page.wait_for_load_state()
        assert page.evaluate(size) == standard
        assert not page.evaluate("document.documentElement.classList.contains('large-text')")
        # In English the placeholder fits too, and the switch says so in English.
        page.goto("/?lang=en")
        fits = page.locator("#q").evaluate(PLACEHOLDER_FITS)
        assert fits["text"] <= fits["room"], f"English placeholder cut off: {fits}"
        assert page.get_by_role("link", name="Large text").is_visible()
        _check(page, shots, "home english", "phone")
    finally:
        context.close()
