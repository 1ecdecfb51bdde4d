"""What every page shares: language choice, security headers, CSRF, HTML error pages."""

from __future__ import annotations

from api.pages.security import PAGE_CSP


def test_chinese_by_default_english_on_request_and_remembered(client):
    zh = client.get("/")
    assert zh.status_code == 200
    assert '<html lang="zh-CN">' in zh.get_data(as_text=True)
    assert "查询电子商务经营者信用" in zh.get_data(as_text=True)

    en = client.get("/?lang=en")
    assert '<html lang="en">' in en.get_data(as_text=True)
    assert "Look up an online merchant" in en.get_data(as_text=True)
    assert "lang=en" in en.headers["Set-Cookie"]
    # the cookie now decides without the parameter
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_accept_language_decides_without_a_choice(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)


def test_pages_carry_a_strict_content_security_policy(client):
    resp = client.get("/")
    assert resp.headers["Content-Security-Policy"] == PAGE_CSP
    assert "frame-ancestors 'none'" in PAGE_CSP and "script-src 'self'" in PAGE_CSP
    assert "unsafe-inline" not in PAGE_CSP
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style_in_pages(client):
    """The CSP forbids them, so a page that had one would silently break."""
    for path in ("/", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path


def test_form_post_without_the_session_token_is_refused(client):
    resp = client.post("/login", data={"username": "x", "password": "y"})
    assert resp.status_code == 400
    resp = client.post("/login", data={"username": "x", "password": "y", "csrf": "forged"})
    assert resp.status_code == 400


def test_a_browser_gets_an_html_error_page_and_an_api_client_problem_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "未找到" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_stylesheet_is_served(client):
    resp = client.get("/assets/site.css")
    assert resp.status_code == 200 and resp.mimetype == "text/css"
    assert ".grade.tier-A" in resp.get_data(as_text=True)
