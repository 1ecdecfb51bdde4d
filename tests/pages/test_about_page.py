"""/about and the footer identifiers, in-process (issue 17): who runs the site, contact,
privacy policy, terms of data use and filing numbers, from the CREDIT_SITE_* settings.
tests/live/test_about.py checks the same over the real server in both languages."""

from __future__ import annotations

import pytest

from credit.site_policy import citations


@pytest.fixture
def configured(clean_app):
    """The settings an operator fills in (the defaults are the honest demo values)."""
    values = {
        "CREDIT_SITE_CONTACT_ADDRESS": "南京市某路 1 号",
        "CREDIT_SITE_CONTACT_PHONE": "025-0000 0000",
        "CREDIT_SITE_CONTACT_EMAIL": "credit@example.gov.cn",
        "CREDIT_SITE_ID_CODE": "3200000000",
        "CREDIT_SITE_ICP_FILING": "苏ICP备00000000号-1",
        "CREDIT_SITE_PSB_FILING": "苏公网安备 32010200000000号",
    }
    saved = {k: clean_app.config[k] for k in values}
    clean_app.config.update(values)
    yield values
    clean_app.config.update(saved)


def test_about_says_who_runs_it_and_what_it_holds(client) -> None:
    html = client.get("/about?lang=zh").get_data(as_text=True)
    assert 'id="about-operator">江苏省商务厅' in html
    for section in ("隐私政策", "数据使用条款", "备案信息", "公开哪些企业信息"):
        assert section in html
    # The defaults say "not configured / not filed" instead of inventing numbers.
    assert html.count("演示环境，未配置") == 3
    assert "演示环境，未备案" in html and "演示环境，未申请" in html
    # Retention, in months from the settings, and the law it rests on.
    assert "保存 12 个月" in html and "《中华人民共和国网络安全法》第二十一条" in html
    # Every citation of the data file is shown; an unchecked one says so.
    for key in citations():
        assert f'data-cite="{key}"' in html, key
    unverified = [k for k, c in citations().items() if not c.verified]
    assert unverified, "the data marks what could not be checked"
    shown = sum(html.count(f'data-cite="{k}"') for k in unverified)
    assert html.count('class="tag warn unverified"') == shown


def test_about_in_english(client) -> None:
    html = client.get("/about?lang=en").get_data(as_text=True)
    assert "Department of Commerce of Jiangsu Province" in html
    assert "Privacy policy" in html and "Terms of data use" in html
    assert "Personal Information Protection Law of the PRC, Art. 25" in html
    assert "demo, not filed" in html and "demo, not configured" in html
    assert "演示环境" not in html


def test_configured_identifiers_link_to_their_lookups(client, configured) -> None:
    html = client.get("/?lang=zh").get_data(as_text=True)
    footer = html[html.index("<footer") :]
    assert (
        '<a href="https://beian.miit.gov.cn/" rel="noopener noreferrer">苏ICP备00000000号-1</a>'
        in footer
    )
    assert (
        '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=32010200000000" '
        'rel="noopener noreferrer">苏公网安备 32010200000000号</a>'
    ) in footer
    assert "网站标识码：3200000000" in footer and 'href="/about"' in footer
    about = client.get("/about").get_data(as_text=True)
    assert 'href="mailto:credit@example.gov.cn"' in about and "南京市某路 1 号" in about
    assert "未配置" not in about and "未备案" not in about


def test_every_page_has_the_footer(client) -> None:
    for path in ("/", "/search?q=苏州", "/about/rating", "/stats", "/no-such-page"):
        url = path + ("&" if "?" in path else "?") + "lang=zh"
        html = client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'id="footer-icp"' in html and 'id="footer-about"' in html, path
