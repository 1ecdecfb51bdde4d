"""Every 401/403 and every OAuth error answer reaches the client through gunicorn with ASCII
headers (H1): the challenge in English, the Chinese in the problem+json body.

gunicorn refuses a header value it cannot send as Latin-1 and answers 500 instead; the
bearer challenge once carried Chinese text, so every refused token became a 500. These
tests drive the real server and check each answer's status, body and every header.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.parties import REDIRECT, make_parties, pkce_pair
from tests.server import GunicornServer, raw_request

CONTACT = "/api/v1/enterprises/{uscc}/contact"
STATISTICS = "/api/v1/regulator/statistics"


def assert_ascii_headers(r: requests.Response) -> None:
    """Every header value is printable ASCII (what RFC 9110 §5.5 lets a server send)."""
    for name, value in r.headers.items():
        assert value.isascii() and value.isprintable(), (name, value)


def assert_no_server_error(log: str) -> None:
    """No answer was a 500 and gunicorn refused no header (the log of this server's life;
    unrelated warnings, such as a search service that is slow to answer, may be there)."""
    assert "InvalidResponseHeader" not in log and "Invalid response header" not in log
    assert not re.search(r"credit\.access: \S+ \S+ 500 ", log), log[-3000:]
    assert "unhandled error" not in log, log[-3000:]


def assert_problem(r: requests.Response, status: int, title: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] == title
    assert_ascii_headers(r)
    return body


@pytest.fixture
def parties(app_ctx, live):
    return make_parties()


def token_for(live, client, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    r = live.post("/oauth/token", data=data, auth=(client.client_id, client.secret))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_bearer_401_and_403_variants_are_ascii_challenges_with_chinese_bodies(
    live, parties, app_ctx
) -> None:
    contact = CONTACT.format(uscc=parties.owner_uscc)
    owner = parties.clients["owner"]

    # No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    r = live.get(contact)
    body = assert_problem(r, 401, "需要有效的访问令牌")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="credit"'
    assert "缺少访问令牌" in body["detail"]

    # Malformed, unknown and empty credentials: invalid_token.
    for header in ("Basic Zm9vOmJhcg==", "Bearer", "Bearer jsct_at_unknown", "Bearer 令牌"):
        r = live.get(contact, headers={"Authorization": header.encode()})
        body = assert_problem(r, 401, "需要有效的访问令牌")
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="credit", error="invalid_token"'), challenge
        assert 'error_description="The access token is invalid, expired or revoked"' in challenge
        assert "访问令牌无效" in body["detail"] and body["error"] == "invalid_token"

    # A valid token works; the same token revoked is refused on the next request.
    token = token_for(live, owner)
    assert live.get(contact, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = live.post("/oauth/revoke", data={"token": token}, auth=(owner.client_id, owner.secret))
    assert r.status_code == 200
    assert_ascii_headers(r)
    r = live.get(contact, headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 401, "需要有效的访问令牌")

    # An expired token (issued an hour ago, as if the clock had moved).
    expired = token_for(live, owner)
    from credit import clock
    from credit.accounts import store
    from credit.extensions import db
    from credit.uow import unit_of_work

    with unit_of_work():
        row = store.find_access_token(expired)
        row.issued_at = clock.now() - timedelta(seconds=row.expires_in + 60)
    db.session.remove()
    r = live.get(contact, headers={"Authorization": f"Bearer {expired}"})
    assert_problem(r, 401, "需要有效的访问令牌")

    # A live token without the route's scope: 403 insufficient_scope, naming the scope.
    r = live.get(STATISTICS, headers={"Authorization": f"Bearer {token_for(live, owner)}"})
    body = assert_problem(r, 403, "权限范围不足")
    assert r.headers["WWW-Authenticate"] == (
        'Bearer realm="credit", error="insufficient_scope", '
        'error_description="The access token lacks the scope violations:write", '
        'scope="violations:write"'
    )
    assert "需要权限范围 violations:write" in body["detail"]

    # A route open to anyone that also reads a token: a bad token is 401, not ignored.
    r = live.get("/api/v1/rating-models", headers={"Authorization": "Bearer jsct_at_nope"})
    assert_problem(r, 401, "需要有效的访问令牌")
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="credit", error="invalid_token"')
    assert live.get("/api/v1/rating-models").status_code == 200

    assert_no_server_error(live.server.log_text())


def test_oauth_error_answers_are_ascii(live, parties) -> None:
    owner, console = parties.clients["owner"], parties.clients["console"]

    def token(data: dict, auth=None) -> requests.Response:
        r = live.post("/oauth/token", data=data, auth=auth)
        assert_ascii_headers(r)
        assert r.headers["Content-Type"].startswith("application/json")
        return r

    r = token({"grant_type": "client_credentials"}, auth=(owner.client_id, "jscs_wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    r = token({"grant_type": "密码"}, auth=(owner.client_id, owner.secret))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = token(
        {"grant_type": "client_credentials", "scope": "管理"}, (owner.client_id, owner.secret)
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = token({"grant_type": "authorization_code", "code": "授权码", "client_id": "客户端"})
    assert r.status_code in {400, 401} and r.json()["error"] == "invalid_client"
    r = token({"grant_type": "refresh_token", "refresh_token": "刷新"}, (owner.client_id, "x"))
    assert r.status_code == 401

    r = live.post(
        "/oauth/revoke", data={"token": "令牌"}, auth=("客户端".encode(), "密钥".encode())
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert_ascii_headers(r)
    r = live.post("/oauth/introspect", data={"token": "x"}, auth=(owner.client_id, owner.secret))
    assert r.status_code == 403 and r.json()["error"] == "unauthorized_client"
    assert_ascii_headers(r)

    # The authorization endpoint redirects its errors to the (registered) redirect URI:
    # Chinese in the request comes back percent-encoded in Location.
    login = live.get("/oauth/authorize", params={"client_id": console.client_id})
    assert login.status_code == 302 and login.headers["Location"].startswith("/login?next=")
    assert_ascii_headers(login)
    _, challenge = pkce_pair()
    sign_in_as(live, "staff-a")
    params = {
        "response_type": "token",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "state": "状态",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    r = live.get("/oauth/authorize", params=params)
    assert r.status_code == 302
    assert_ascii_headers(r)
    query = parse_qs(urlparse(r.headers["Location"]).query)
    assert r.headers["Location"].startswith(REDIRECT + "?")
    assert query["error"] == ["unsupported_response_type"] and query["state"] == ["状态"]
    # A parameter authlib would have to quote in its error text (Chinese, a quote): authlib
    # refuses to build that error (it was a 500); now a plain invalid_request, no redirect.
    for bad in ("代码", 'code"', "code\\"):
        r = live.get("/oauth/authorize", params={**params, "response_type": bad})
        assert r.status_code == 400 and "Location" not in r.headers, (bad, r.status_code)
        assert r.json()["error"] == "invalid_request"
        assert_ascii_headers(r)
    r = live.get("/oauth/authorize", params={"client_id": "客户端", "response_type": "code"})
    assert r.status_code == 400 and "Location" not in r.headers
    assert_ascii_headers(r)

    # A sign-in that goes back to a Chinese address: Location percent-encoded.
    r = live.get("/login", params={"next": "/search?q=苏州"})
    assert r.status_code == 200
    assert_ascii_headers(r)
    assert_no_server_error(live.server.log_text())


def sign_in_as(live, username: str) -> None:
    from tests.parties import PASSWORD, csrf_of

    page = live.get("/login")
    r = live.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/"},
    )
    assert r.status_code == 302, r.text[:500]


def test_console_and_page_answers_are_ascii(live, parties) -> None:
    """Signed out, wrong kind, unknown page, a Chinese path or query: never a 500."""
    for path in ("/console/firm?q=苏州", "/console/regulator", "/console/不存在", "/企业"):
        r = live.get(path)
        assert r.status_code in {302, 404}, (path, r.status_code)
        assert_ascii_headers(r)
    r = live.get("/console/firm", params={"next": "/console/firm?q=苏州"})
    assert r.status_code == 302 and r.headers["Location"].isascii()
    # Bytes no client library sends: a raw UTF-8 path and query.
    raw = raw_request(
        live.server.url,
        "GET /console/firm?q=苏州 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    assert raw.status in {302, 400, 404}, raw
    assert all(v.isascii() for v in raw.headers.values()), raw.headers


def test_a_login_redirect_to_a_chinese_address_is_percent_encoded(live, parties) -> None:
    from tests.parties import PASSWORD, csrf_of

    page = live.get("/login", params={"next": "/search?q=苏州"})
    r = live.post(
        "/login",
        data={
            "username": "staff-a",
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
            "next": "/search?q=苏州",
        },
    )
    assert r.status_code == 302
    assert_ascii_headers(r)
    assert r.headers["Location"].endswith("/search?q=%E8%8B%8F%E5%B7%9E")


@pytest.fixture(scope="module")
def net_server(app, app_config: dict, tmp_path_factory: pytest.TempPathFactory):
    """The app with a route that sets non-ASCII headers (tests/live/header_net_app.py)."""
    log = tmp_path_factory.mktemp("gunicorn-net") / "server.log"
    server = GunicornServer(
        app_config, log, workers=1, app_spec="tests.live.header_net_app:app"
    ).start()
    yield server
    server.stop()


def test_a_non_ascii_header_value_never_becomes_a_500(net_server) -> None:
    """The safety net: a header that slipped through is dropped (and logged as an error
    naming it), a Location is percent-encoded; the response itself goes out."""
    with requests.Session() as http:
        http.trust_env = False
        r = http.get(net_server.url + "/_test/non-ascii-headers", timeout=30)
        assert r.status_code == 200 and r.text == "正文 body"
        assert_ascii_headers(r)
        assert "X-Note" not in r.headers and "Content-Disposition" not in r.headers
        assert r.headers["X-Fine"] == "ascii"
        r = http.get(
            net_server.url + "/_test/non-ascii-location", timeout=30, allow_redirects=False
        )
        assert r.status_code == 302
        assert r.headers["Location"] == "/search?q=%E8%8B%8F%E5%B7%9E"
    log = net_server.log_text()
    assert "non-ASCII X-Note header dropped on GET /_test/non-ascii-headers" in log
    assert "non-ASCII Content-Disposition header dropped" in log
    assert_no_server_error(log)


def test_invalid_scope_over_gunicorn(live, parties, app_ctx) -> None:
    """Only unheld scopes: 400 invalid_scope and an audit row, never an empty-scope token;
    held and unheld mixed: the held ones, named in the response (RFC 6749 §5.2, §3.3)."""
    import sqlalchemy as sa

    from credit.accounts.models import AuthEvent, Token
    from credit.extensions import db

    owner = parties.clients["owner"]
    auth = (owner.client_id, owner.secret)
    r = live.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "violations:write"},
        auth=auth,
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    assert r.headers["Cache-Control"] == "private, no-store"  # RFC 6749 §5.1: no-store
    assert_ascii_headers(r)
    r = live.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "violations:write enterprises:read"},
        auth=auth,
    )
    assert r.status_code == 200 and r.json()["scope"] == "enterprises:read"
    db.session.remove()
    events = db.session.scalars(
        sa.select(AuthEvent).where(AuthEvent.event == "token").order_by(AuthEvent.id)
    ).all()
    assert [(e.outcome, e.detail) for e in events] == [
        ("failure", "grant_type=client_credentials error=invalid_scope"),
        ("success", "grant_type=client_credentials"),
    ]
    assert [t.scope for t in db.session.scalars(sa.select(Token))] == ["enterprises:read"]
    # At the consent page: the user (staff-a) holds none of the scopes asked for.
    sign_in_as(live, "staff-a")
    _, challenge = pkce_pair()
    r = live.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": parties.clients["console"].client_id,
            "redirect_uri": REDIRECT,
            "scope": "violations:write",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert r.status_code == 302 and r.headers["Location"].startswith(REDIRECT + "?")
    query = parse_qs(urlparse(r.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"] and query["state"] == ["s1"]
    assert "code" not in query
