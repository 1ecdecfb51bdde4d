"""Subscribing (issue 20) in Chromium, on a desktop and on a phone: the profile's 订阅
button sits with the profile's other actions, fits the screen, names what it subscribes to,
and its feed is what the browser finds announced on the page."""

from __future__ import annotations

import feedparser
import pytest
import requests

from tests.e2e.conftest import VIEWPORTS, new_page


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_profile_offers_its_feed(browser, clean_app, live_server, shots, viewport) -> None:
    from tests.parties import make_parties, make_pledge, make_violation

    with clean_app.app_context():
        parties = make_parties()
        make_pledge(parties.owner_uscc, publish=True)
        make_violation(parties, days_ago=2, decision_number="苏市监罚〔2026〕9001号")
    context, page = new_page(browser, viewport, live_server)
    try:
        page.goto(f"/enterprises/{parties.owner_uscc}")
        button = page.locator("a.subscribe")
        assert button.is_visible() and button.inner_text() == "订阅"
        assert "用阅读器订阅" in button.get_attribute("title")
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]
        assert box["height"] >= 24  # a target a thumb can hit
        # beside the report button, in the profile's head
        report = page.locator(".profile-head a.button", has_text="生成信用报告")
        assert abs(report.bounding_box()["y"] - box["y"]) < 60 or viewport == "phone"
        announced = page.locator('link[rel="alternate"][type="application/atom+xml"]')
        href = announced.get_attribute("href")
        assert href == button.get_attribute("href")
        shots.take(page, "profile with subscribe", viewport)
        feed = feedparser.parse(requests.get(live_server + href, timeout=30).content)
        assert not feed.bozo
        assert any("9001号" in e.summary for e in feed.entries)
        assert page.js_errors == []
    finally:
        context.close()
