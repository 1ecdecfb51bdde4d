"""The USCC check page's script (issue 15): it asks the API without reloading and shows the
same answer as the server-rendered page, positions included, for a full-width code and for
a ligature that must not pass."""

from __future__ import annotations

from credit import uscc
from tests.e2e.conftest import new_page

WIDE = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}


def test_the_in_page_check_folds_and_names_positions(browser, clean_app, live_server, shots):
    from tests.helpers import import_records, sample_records

    record = sample_records(1, seed=12)[0]
    code = uscc.complete("91" + record["district_code"] + "FF000001")
    with clean_app.app_context():
        import_records([{**record, "uscc": code, "entity_type": "enterprise"}])
    context, page = new_page(browser, "desktop", live_server)
    try:
        page.goto("/uscc")
        page.fill("#code", code.lower().translate(WIDE))
        page.click("#uscc-form button[type=submit]")
        page.wait_for_selector("#uscc-result .notice")
        shown = page.inner_text("#uscc-result")
        assert code in shown and record["name"] in shown and "第 1 位" in shown
        page.fill("#code", code.replace("FF", "ﬀ", 1))
        page.click("#uscc-form button[type=submit]")
        page.wait_for_selector("#uscc-result .alert")
        shown = page.inner_text("#uscc-result")
        # The position and the rule in words, never the rule's code (issue 17 item 6).
        assert "第 9 位：含有不允许的字符" in shown and "U+FB00" in shown
        assert "charset" not in shown
        shots.take(page, "uscc check ligature", "desktop")
        assert page.js_errors == []
    finally:
        context.close()
