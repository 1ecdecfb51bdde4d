"""A consumer who mistypes a name (issue 19): the search page finds the firm anyway and
says why the results do not match what was typed, on a desktop and on a phone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_name_one_character_off_is_found_and_the_page_says_so(
    browser, clean_app, live_server, shots, viewport: str
) -> None:
    from tests.helpers import import_records, sample_records

    firm = {**sample_records(1, seed=31)[0], "name": "南京云海科技有限公司"}
    with clean_app.app_context():
        import_records([firm, *sample_records(10, seed=32)])
    context, page = new_page(browser, viewport, live_server)
    try:
        page.goto("/search?q=南京云河科技有限公司")  # 河 for 海
        notice = page.locator(".searched-as")
        assert notice.is_visible()
        assert notice.inner_text() == "没有找到“南京云河科技有限公司”，以下是与它相差一个字的名称"
        first = page.locator("li.card.hit").first
        assert first.is_visible() and "南京云海科技有限公司" in first.inner_text()
        # what matched is marked, so the character that differs stands out unmarked
        assert "<em>南京云</em>海<em>科技有限公司</em>" in first.inner_html()
        # the notice comes before the results, where a reader looks first
        assert notice.bounding_box()["y"] < first.bounding_box()["y"]
        shots.take(page, "name one character off", viewport)
        assert page.js_errors == []
    finally:
        context.close()
