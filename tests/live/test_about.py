"""/about and the footer's identifiers over the real server (issue 17), in zh and en, with
the demo defaults and with an operator's settings given in the environment as gunicorn
would get them (non-ASCII values in CREDIT_SITE_*)."""

from __future__ import annotations

import pytest
import requests

from tests.server import GunicornServer

ICP = "苏ICP备00000000号-1"
PSB = "苏公网安备 32010200000000号"


def test_footer_and_about_in_both_languages(live) -> None:
    zh = live.get("/", params={"lang": "zh"})
    assert zh.status_code == 200
    footer = zh.text[zh.text.index("<footer") :]
    assert "主办单位：江苏省商务厅" in footer
    assert "ICP 备案号：演示环境，未备案" in footer and "公安备案号：演示环境，未备案" in footer
    assert 'href="/about"' in footer
    about = live.get("/about", params={"lang": "zh"})
    assert about.status_code == 200 and "text/html" in about.headers["Content-Type"]
    assert "隐私政策" in about.text and "数据使用条款" in about.text
    assert f'<link rel="canonical" href="{live.url}/about">' in about.text
    en = live.get("/about", params={"lang": "en"})
    assert "Run by: Department of Commerce of Jiangsu Province" in en.text
    assert "ICP filing: demo, not filed" in en.text and "Terms of data use" in en.text


@pytest.fixture
def operator_server(app_config: dict, tmp_path):
    env = {
        "CREDIT_SITE_OPERATOR": "江苏省商务厅",
        "CREDIT_SITE_ICP_FILING": ICP,
        "CREDIT_SITE_PSB_FILING": PSB,
        "CREDIT_SITE_ID_CODE": "3200000000",
        "CREDIT_SITE_CONTACT_EMAIL": "credit@example.gov.cn",
    }
    server = GunicornServer(app_config, tmp_path / "server.log", workers=1, extra_env=env)
    server.start()
    yield server
    server.stop()


def test_an_operators_filing_numbers_link_to_their_lookups(live, operator_server) -> None:
    r = requests.get(operator_server.url + "/about", params={"lang": "zh"}, timeout=30)
    assert r.status_code == 200
    footer = r.text[r.text.index("<footer") :]
    assert f'<a href="https://beian.miit.gov.cn/" rel="noopener noreferrer">{ICP}</a>' in footer
    assert "https://beian.mps.gov.cn/#/query/webSearch?code=32010200000000" in footer
    assert "网站标识码：3200000000" in footer
    assert 'href="mailto:credit@example.gov.cn"' in r.text
    en = requests.get(operator_server.url + "/", params={"lang": "en"}, timeout=30)
    assert ICP in en.text and "not filed" not in en.text
    # Header values stay ASCII whatever the settings hold (H1).
    assert all(v.isascii() for v in r.headers.values())
