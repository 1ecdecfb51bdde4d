"""The API's error format and its robustness, over the real server (gunicorn on loopback).

Every status the API can send is caused for real and checked as a client receives it:
RFC 9457 problem+json with a Chinese title and an English one, the request id, a per-field
``errors`` list where input was wrong, and only ASCII in every header (RFC 9110 §5.5;
gunicorn refuses to send anything else, and the client then sees a 500). Non-ASCII paths,
queries and headers, and oversized request lines and headers, never give a 5xx and never
take a worker down.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests

from tests.parties import Parties, make_parties, make_pledge
from tests.server import GunicornServer, raw_request

CJK = re.compile(r"[\u4e00-\u9fff]")


def token(live, client) -> str:
    r = live.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=client.basic())
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def assert_ascii_headers(r: requests.Response) -> None:
    for name, value in r.raw.headers.items():
        assert value.isascii(), f"non-ASCII header {name}: {value!r}"


def assert_problem(r: requests.Response, status: int) -> dict:
    """What every error answer must be, whichever status it has."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    assert_ascii_headers(r)
    body = r.json()
    assert body["status"] == status
    assert CJK.search(body["title"]), body  # the Chinese title for people ...
    assert body["title_en"].isascii() and body["title_en"], body  # ... and the English one
    assert body["instance"].startswith("/")
    assert body["request_id"] == r.headers["X-Request-ID"]
    if status == 400:
        assert body["errors"], body
        for error in body["errors"]:
            assert error["field"] and error["message"], error
    return body


# --------------------------------------------------------------------------------------
# One way to cause each status. Each takes the live session and the parties and returns
# the response.


def _bad_query(live, p: Parties) -> requests.Response:
    return live.get("/api/v1/enterprises", params={"size": "many"})


def _no_token(live, p: Parties) -> requests.Response:
    return live.get(f"/api/v1/enterprises/{p.owner_uscc}/contact")


def _bad_token(live, p: Parties) -> requests.Response:
    return live.get(f"/api/v1/enterprises/{p.owner_uscc}/contact", headers=bearer("jsct_at_x"))


def _missing_scope(live, p: Parties) -> requests.Response:
    internal = token(live, p.clients["internal"])
    return live.get(f"/api/v1/enterprises/{p.owner_uscc}/contact", headers=bearer(internal))


def _unknown_firm(live, p: Parties) -> requests.Response:
    return live.get("/api/v1/enterprises/91110000600037341L")


def _unknown_route(live, p: Parties) -> requests.Response:
    return live.get("/api/v1/no-such-thing")


def _wrong_method(live, p: Parties) -> requests.Response:
    return live.request("DELETE", "/api/v1/enterprises")


def _publish_twice(live, p: Parties) -> requests.Response:
    pledge = make_pledge(p.owner_uscc, publish=True)
    owner = token(live, p.clients["owner"])
    return live.post(
        f"/api/v1/pledges/{pledge.id}/publish",
        json={},
        headers={**bearer(owner), "If-Match": f'"{pledge.version}"'},
    )


def _stale_if_match(live, p: Parties) -> requests.Response:
    owner = token(live, p.clients["owner"])
    return live.patch(
        f"/api/v1/enterprises/{p.owner_uscc}",
        json={"customer_service_email": "kefu@example.com"},
        headers={**bearer(owner), "If-Match": '"999"'},
    )


def _no_if_match(live, p: Parties) -> requests.Response:
    owner = token(live, p.clients["owner"])
    return live.patch(
        f"/api/v1/enterprises/{p.owner_uscc}",
        json={"customer_service_email": "kefu@example.com"},
        headers=bearer(owner),
    )


def _too_large(live, p: Parties) -> requests.Response:
    body = b'{"codes": ["' + b"9" * (2 * 1024 * 1024) + b'"]}'
    return live.post(
        "/api/v1/uscc/batch-check", data=body, headers={"Content-Type": "application/json"}
    )


def _not_json(live, p: Parties) -> requests.Response:
    return live.post(
        "/api/v1/uscc/batch-check", data="codes=1", headers={"Content-Type": "text/plain"}
    )


def _idempotency_key_reused(live, p: Parties) -> requests.Response:
    from tests.parties import pledge_body, seed_templates

    template = seed_templates()["ECOM-STD"]
    owner = token(live, p.clients["owner"])
    headers = {**bearer(owner), "Idempotency-Key": "conformance-1"}
    first = live.post("/api/v1/pledges", json=pledge_body(template), headers=headers)
    assert first.status_code == 201, first.text
    other = pledge_body(template, signer_title="法定代表人")
    return live.post("/api/v1/pledges", json=other, headers=headers)


def _too_many(live, p: Parties) -> requests.Response:
    """Wrong secrets until the token endpoint's limit answers (each worker or the shared
    store counts; far fewer than 400 requests either way)."""
    for _ in range(400):
        r = live.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(p.clients["owner"].client_id, "wrong-secret"),
        )
        if r.status_code == 429:
            return r
        assert r.status_code == 401, r.text
    raise AssertionError("no 429 within 400 wrong secrets")


CAUSES: dict[str, tuple[int, Callable]] = {
    "bad-query": (400, _bad_query),
    "no-token": (401, _no_token),
    "bad-token": (401, _bad_token),
    "missing-scope": (403, _missing_scope),
    "unknown-firm": (404, _unknown_firm),
    "unknown-route": (404, _unknown_route),
    "wrong-method": (405, _wrong_method),
    "publish-twice": (409, _publish_twice),
    "stale-if-match": (412, _stale_if_match),
    "too-large": (413, _too_large),
    "not-json": (415, _not_json),
    "idempotency-key-reused": (422, _idempotency_key_reused),
    "no-if-match": (428, _no_if_match),
    "too-many": (429, _too_many),
}


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_every_error_status_is_problem_json(live, app_ctx, cause: str) -> None:
    status, make = CAUSES[cause]
    parties = make_parties()
    r = make(live, parties)
    body = assert_problem(r, status)
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")
        assert CJK.search(body["detail"])  # the Chinese explanation is in the body
    if status == 403:
        assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    if status in {429, 503}:
        assert int(r.headers["Retry-After"]) > 0
    if status == 405:
        assert "GET" in r.headers["Allow"]


@pytest.fixture
def search_down(app_config: dict, tmp_path) -> GunicornServer:
    """The app with its Elasticsearch at a port where nothing listens."""
    from tests.server import free_port

    config = {**app_config, "SEARCH_URL": f"http://127.0.0.1:{free_port()}"}
    server = GunicornServer(config, tmp_path / "server.log", workers=1).start()
    yield server
    server.stop()


def test_search_outage_is_503_problem_json(live, search_down: GunicornServer) -> None:
    r = requests.get(search_down.url + "/api/v1/search", params={"q": "苏州"}, timeout=60)
    assert_problem(r, 503)
    assert int(r.headers["Retry-After"]) > 0
    # ... and the rest of the API still serves.
    assert requests.get(search_down.url + "/api/v1/vocabularies", timeout=30).status_code == 200


# --------------------------------------------------------------------------------------
# Non-ASCII where clients put it.


def test_non_ascii_paths_and_queries(live, app_ctx) -> None:
    parties = make_parties()
    assert_problem(live.get("/api/v1/enterprises/苏州华润"), 400)
    assert_problem(live.get("/api/v1/无此路径"), 404)
    assert_problem(live.get("/seal/苏州华润.svg"), 400)  # the credit seal names the code
    assert_problem(live.get(f"/seal/{parties.owner_uscc}.svg", params={"lang": "中文"}), 400)
    r = live.get("/api/v1/search", params={"q": "苏州", "city": "320500"})
    assert r.status_code == 200 and "total" in r.json()
    r = live.get("/api/v1/search", params={"q": parties.owner_uscc})
    assert r.status_code == 200
    # Browsers percent-encode; a raw UTF-8 request line is refused (RFC 9112), never a 5xx.
    raw = raw_request(live.url, "GET /api/v1/search?q=苏州 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert 400 <= raw.status < 500, raw
    assert live.get("/healthz").status_code == 200


HEADERS_TO_TRY = [
    "X-Request-ID",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "Authorization",
    "Idempotency-Key",
    "User-Agent",
    "Cookie",
    "Accept",
    "Content-Type",
]


@pytest.mark.parametrize("header", HEADERS_TO_TRY)
def test_non_ascii_header_values_never_fail_the_server(live, app_ctx, header: str) -> None:
    """Header bytes above 0x7f (UTF-8 here) reach the app as latin-1 text."""
    parties = make_parties()
    value = "苏州 ÿ é".encode()
    targets = [
        ("GET", "/api/v1/enterprises", b""),
        ("GET", f"/api/v1/enterprises/{parties.owner_uscc}/contact", b""),
        ("PATCH", f"/api/v1/enterprises/{parties.owner_uscc}", b"{}"),
        ("POST", "/api/v1/uscc/batch-check", b'{"codes": ["91110000600037341L"]}'),
        ("GET", "/", b""),
        ("GET", "/console/", b""),
        ("GET", f"/seal/{parties.owner_uscc}.svg", b""),
    ]
    for method, path, body in targets:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode()
        if header != "Content-Type":
            head += b"Content-Type: application/json\r\n"
        head += header.encode() + b": " + value + b"\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n".encode()
        r = raw_request(live.url, head + body)
        assert 200 <= r.status < 500, (header, method, path, r.status, r.body[:300])
        for name, got in r.headers.items():
            assert got.isascii(), (name, got)
    assert live.get("/healthz").status_code == 200


# --------------------------------------------------------------------------------------
# Oversized requests are refused at the edge (gunicorn's limits), the worker stays up.


def test_oversized_request_lines_and_headers_are_refused(live) -> None:
    long_line = b"GET /api/v1/search?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        f"X-H{i}: v\r\n".encode() for i in range(101)
    )
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"
    for data in (long_line, many + b"\r\n", big):
        r = raw_request(live.url, data)
        assert 400 <= r.status < 500, r
    assert live.get("/healthz").status_code == 200
