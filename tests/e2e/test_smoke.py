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
