"""Error texts over the real server, in the language asked for (issue 17 item 6).

What users met: a 429 saying "20 per 1 minute", and the framework's English "Not Found" on
a Chinese page. Now the 429 says the limit and the wait in words, and every framework error
(404, 405) is problem+json on the API and the site's own error page on pages, in Chinese
by default and in English when asked.
"""

from __future__ import annotations

import re

from limits import parse as parse_limit

from tests.parties import make_parties

HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,} +[A-Za-z]{2,}")
GRANT = {"grant_type": "client_credentials"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def test_429_says_the_limit_and_the_wait_in_words(live, app_ctx) -> None:
    owner = make_parties().clients["owner"]
    amount = parse_limit(app_ctx.config["CREDIT_RATELIMIT_TOKEN"]).amount
    wrong = (owner.client_id, "wrong-secret")
    for _ in range(amount):
        assert live.post("/oauth/token", data=GRANT, auth=wrong).status_code == 401
    zh = live.post("/oauth/token", data=GRANT, auth=wrong)
    en = live.post("/oauth/token", data=GRANT, auth=wrong, headers=EN)
    for r in (zh, en):
        assert r.status_code == 429 and r.headers["Content-Type"].startswith(
            "application/problem+json"
        )
        assert all(v.isascii() for v in r.headers.values())
    said = re.fullmatch(
        rf"同一客户端在同一地址每分钟最多 {amount} 次请求，请 (\d+) 秒后重试", zh.json()["detail"]
    )
    assert said, zh.json()
    assert abs(int(said.group(1)) - int(zh.headers["Retry-After"])) <= 1
    assert zh.json()["title"] == "请求过于频繁"
    assert re.fullmatch(
        rf"at most {amount} requests a minute for this client from this address; "
        r"try again in \d+ seconds?",
        en.json()["detail"],
    ), en.json()
    assert en.json()["title"] == "Too Many Requests"
    assert "per 1 minute" not in zh.text + en.text


def test_404_and_405_in_the_language_asked(live) -> None:
    # The API: problem+json, Chinese by default, English on Accept-Language.
    zh = live.get("/api/v1/no-such-thing")
    en = live.get("/api/v1/no-such-thing", headers=EN)
    assert zh.status_code == en.status_code == 404
    assert zh.json()["title"] == "未找到" and en.json()["title"] == "Not Found"
    assert HAN.search(zh.json()["detail"]) and not ENGLISH.search(zh.json()["detail"])
    assert not HAN.search(en.json()["detail"]) and "address" in en.json()["detail"]
    assert zh.headers["Content-Language"] == "zh-CN" and en.headers["Content-Language"] == "en"
    # Pages: the site's own error page, in the page's language; never werkzeug's text.
    html = {"Accept": "text/html"}
    page_zh = live.get("/no-such-page", headers=html)
    page_en = live.get("/no-such-page?lang=en", headers=html)
    page_405 = live.post("/search", headers={**html, **EN})
    for r in (page_zh, page_en, page_405):
        assert r.headers["Content-Type"].startswith("text/html"), r.text[:300]
        assert "The requested URL" not in r.text and "not allowed for the requested" not in r.text
    assert page_zh.status_code == 404 and '<html lang="zh-CN">' in page_zh.text
    assert "您访问的地址不存在" in page_zh.text and "<h1>未找到</h1>" in page_zh.text
    assert page_en.status_code == 404 and '<html lang="en">' in page_en.text
    assert (
        "there is nothing at this address" in page_en.text and "<h1>Not Found</h1>" in page_en.text
    )
    assert page_405.status_code == 405 and "does not accept POST" in page_405.text
