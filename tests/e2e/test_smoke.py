"""The browser harness itself: pages load in Chromium on both viewports, with no script
error and no Content-Security-Policy violation (both are reported as console errors)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_home_page_renders_without_errors(browser, live_server, shots, viewport):
    context, page = new_page(browser, viewport, live_server)
    try:
        page.goto("/")
        assert "江苏省电子商务信用公共服务平台" in page.title()
        assert page.locator("input[type=search]").first.is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], "the page scrolls sideways"
        shots.take(page, "home", viewport)
        page.goto("/?lang=en")
        assert page.locator("html").get_attribute("lang") == "en"
        shots.take(page, "home-en", viewport)
        assert page.js_errors == []
    finally:
        context.close()


def test_keyboard_alone_finds_a_firm(browser, clean_app, live_server, shots):
    """Skip link, search box, results and profile, with the keyboard only."""
    from tests.helpers import import_records, sample_records

    record = sample_records(5, seed=8)[0]
    with clean_app.app_context():
        import_records([record])
    context, page = new_page(browser, "desktop", live_server)
    try:
        page.goto("/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        for _ in range(15):  # through the header to the search box
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.type") == "search":
                break
        assert page.evaluate("document.activeElement.type") == "search"
        page.keyboard.type(record["name"][2:4])
        page.keyboard.press("Escape")  # close the suggestions, then submit
        page.keyboard.press("Enter")
        page.wait_for_url("**/search**")
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == record["name"]:
                break
        assert page.evaluate("document.activeElement.textContent") == record["name"]
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused link must be visibly marked"
        shots.take(page, "results keyboard focus", "desktop")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/enterprises/{record['uscc']}")
        assert page.js_errors == []
    finally:
        context.close()
