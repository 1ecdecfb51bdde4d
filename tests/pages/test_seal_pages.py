"""The credit seal on the pages: the published rules (/seal), the state on the public
profile, and the firm's console page with its status, reasons and embed snippet."""

from __future__ import annotations

import html
import re

from credit import clock, seal
from tests.pages.console_parties import page, sign_in
from tests.parties import make_parties, make_pledge, make_violation


def _no_inline_code(text: str) -> None:
    assert "<script>" not in text and "<style" not in text and " style=" not in text


def test_the_rules_page_gives_each_rule_its_reason_in_both_languages(client) -> None:
    zh = client.get("/seal")
    assert zh.status_code == 200
    assert "frame-ancestors 'none'" in zh.headers["Content-Security-Policy"]
    raw = zh.get_data(as_text=True)
    text = html.unescape(raw)
    en = html.unescape(client.get("/seal?lang=en").get_data(as_text=True))
    for rule in seal.rules():
        assert rule.title in text and f'id="{rule.code}"' in text and rule.reason in text
        assert rule.title_en in en and rule.reason_en in en
    assert "中华人民共和国电子商务法 Art. 86" in text and "未核实原文" in text
    assert "/api/v1/seal-rules" in text
    _no_inline_code(raw)


def test_the_profile_shows_the_seal_state(client, app_ctx) -> None:
    parties = make_parties()
    r = client.get(f"/enterprises/{parties.owner_uscc}")
    text = html.unescape(r.get_data(as_text=True))
    assert "未获诚信标识" in text
    assert "没有已公示且在有效期内的信用承诺" in text
    make_pledge(parties.owner_uscc, publish=True)
    text = html.unescape(client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True))
    assert "符合条件，可展示" in text and f"自 {clock.today()} 起连续符合" in text
    assert 'href="/seal"' in text
    en = client.get(f"/enterprises/{parties.owner_uscc}?lang=en").get_data(as_text=True)
    assert "in good standing: may show the seal" in en


def test_the_firm_sees_why_not_then_its_seal_and_the_snippet(client, cp, clean_app) -> None:
    sign_in(client, "firm-a")
    home = page(client, "/console/firm")
    assert 'id="seal-summary"' in home and "暂不能展示" in home and "/console/firm/seal" in home

    text = page(client, "/console/firm/seal")
    assert 'id="seal-reasons"' in text and "没有已公示且在有效期内的信用承诺" in text
    assert "没有已公示的承诺" in text and "/console/firm/pledges/new" in text
    _no_inline_code(text)

    with clean_app.app_context():
        make_pledge(cp.owner_uscc, publish=True)
    text = page(client, "/console/firm/seal")
    assert 'id="seal-reasons"' not in text and "可以在网店页面展示诚信标识" in text
    assert f"连续符合条件自 {clock.today()} 起" in text
    assert f'<img src="/seal/{cp.owner_uscc}.svg"' in text
    snippets = [
        html.unescape(s)
        for s in re.findall(r'<textarea id="snippet-[^"]+"[^>]*>([^<]*)</textarea>', text)
    ]
    assert len(snippets) == 4
    profile = f"http://localhost/enterprises/{cp.owner_uscc}"
    image = f"http://localhost/seal/{cp.owner_uscc}.svg"
    assert snippets[0].startswith(f'<a href="{profile}"')
    assert f'<img src="{image}"' in snippets[0] and 'alt="' in snippets[0]
    assert f'src="{image}?theme=dark&amp;lang=en"' in snippets[3]
    assert "有效期至" in text


def test_a_violation_shows_on_the_firms_seal_page_at_once(client, cp, clean_app) -> None:
    with clean_app.app_context():
        make_pledge(cp.owner_uscc, publish=True)
        make_violation(cp.parties, "serious", days_ago=0)
    sign_in(client, "firm-a")
    text = page(client, "/console/firm/seal")
    assert "有公示期内的严重违法失信信息" in text and "(no_serious_record)" in text
