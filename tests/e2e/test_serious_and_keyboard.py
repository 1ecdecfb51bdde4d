"""Issue 17, items 2 and 7 in Chromium: the suggestions say the serious-dishonesty list in
words and are usable from the keyboard (a visibly selected option, Esc closes without
wiping the query, a focus ring of at least 3:1), and a listed firm's profile says the
listing within the first screen of a phone."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import VIEWPORTS, new_page

BRAND = "rgb(11, 79, 138)"  # --brand, the selected option's background
FOCUS = "rgb(180, 83, 9)"  # --focus #b45309 on light surfaces (5.02:1 on white)
FOCUS_ON_BRAND = "rgb(252, 211, 77)"  # --focus-on-brand #fcd34d in the header (5.83:1)


def _arrange(clean_app) -> tuple[str, str]:
    """A firm on the serious-dishonesty list with a public serious record: (uscc, name)."""
    from credit import clock
    from credit.uow import unit_of_work
    from credit.violations import registry
    from search.documents import SPECS
    from tests.parties import make_parties, make_violation, regulator_identity

    with clean_app.app_context():
        parties = make_parties()
        make_violation(parties, severity="serious", days_ago=3)
        listed_on = clock.today() - timedelta(days=5)
        with unit_of_work() as uow:
            registry.list_on_serious_list(
                regulator_identity(),
                uow,
                {
                    "uscc": parties.owner_uscc,
                    "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
                    "reason": "一年内因刷单炒信两次受到较重行政处罚",
                    "listed_on": listed_on,
                    "remove_on": listed_on + timedelta(days=3 * 365),
                },
            )
        backend = clean_app.extensions["credit.search"]
        for spec in SPECS.values():
            backend.refresh(spec)
        from credit.enterprises.models import Enterprise
        from credit.extensions import db

        name = db.session.query(Enterprise.name).filter_by(uscc=parties.owner_uscc).scalar()
    return parties.owner_uscc, name


def _style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


def test_suggestions_keyboard_and_focus_ring(browser, clean_app, live_server, shots) -> None:
    uscc, name = _arrange(clean_app)
    context, page = new_page(browser, "desktop", live_server)
    try:
        page.goto("/")
        page.click("#q")
        page.keyboard.type(uscc[:12])
        # The list for the whole prefix: on a busy machine a pause while typing asks for a
        # shorter one first, and its list is replaced when the answer for all 12 arrives.
        option = page.wait_for_selector(f"#q-suggestions[data-for='{uscc[:12]}'] [role=option]")
        text = option.inner_text()
        assert "列入严重失信主体名单" in text and "有公示中的严重违法失信信息" in text
        assert name in text
        page.keyboard.press("ArrowDown")
        assert option.get_attribute("aria-selected") == "true"
        assert page.get_attribute("#q", "aria-activedescendant") == option.get_attribute("id")
        selected = "#q-suggestions [aria-selected=true] a"
        assert _style(page, selected, "backgroundColor") == BRAND
        assert _style(page, selected, "color") == "rgb(255, 255, 255)"
        shots.take(page, "suggestion selected", "desktop")
        page.keyboard.press("Escape")
        assert page.is_hidden("#q-suggestions")
        assert page.input_value("#q") == uscc[:12]  # Esc closes; the query stays
        assert page.get_attribute("#q", "aria-expanded") == "false"
        page.keyboard.press("Escape")  # again, with the list closed: still nothing wiped
        assert page.input_value("#q") == uscc[:12]
        # Tab on to a link on a white card: the ring is 3 px of --focus
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate(
                "() => document.activeElement.tagName === 'A' && "
                "!!document.activeElement.closest('main')"
            ):
                break
        else:
            raise AssertionError("no link in main reached by Tab")
        ring = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
        assert ring == ["solid", "3px", FOCUS]
        shots.take(page, "focus ring on a card link", "desktop")
        # In the blue header the ring is the light colour
        page.goto("/")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the site name in the header
        assert page.evaluate("() => !!document.activeElement.closest('header.site')")
        ring = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineWidth, s.outlineColor]; }"
        )
        assert ring == ["3px", FOCUS_ON_BRAND]
        assert page.js_errors == []
    finally:
        context.close()


def test_the_listing_is_on_the_first_screen_of_a_phone(
    browser, clean_app, live_server, shots
) -> None:
    uscc, _ = _arrange(clean_app)
    context, page = new_page(browser, "phone", live_server)
    try:
        page.goto(f"/enterprises/{uscc}")
        banner = page.locator("#standing")
        assert "列入严重失信主体名单" in banner.inner_text()
        box = banner.bounding_box()
        assert box is not None and box["y"] + box["height"] < VIEWPORTS["phone"]["height"]
        shots.take(page, "listed firm profile", "phone")
        assert page.js_errors == []
    finally:
        context.close()
