"""Issue 14, item 5 over the real server: nobody can cause a 500 with bad input.

Each test drives gunicorn (``deploy/gunicorn.conf.py``, 2 workers) with what the outside
attack sent (a forged cursor, deeply nested JSON, non-ASCII header bytes, NUL in fields
and query strings, concurrent writes that clash) and checks for a 4xx problem+json (or
the HTML error page for a page), no response with a 5xx, and no unhandled error in the
server's log. Data is arranged in-process with the helpers of ``tests/parties.py``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from search.documents import SPECS
from tests.helpers import import_records, sample_records
from tests.parties import make_parties, make_pledge, pledge_body, seed_templates
from tests.server import raw_request


class Watch:
    """Every status the test saw, and the server's log lines written meanwhile."""

    def __init__(self, live) -> None:
        self.live = live
        self.statuses: list[int] = []
        self._mark = len(live.server.log_text())

    def saw(self, status: int) -> int:
        self.statuses.append(status)
        return status

    def check(self) -> None:
        assert self.statuses and all(s < 500 for s in self.statuses), self.statuses
        log = self.live.server.log_text()[self._mark :]
        assert "unhandled error" not in log and "Traceback" not in log, log[-3000:]


@pytest.fixture
def watch(live):
    w = Watch(live)
    yield w
    w.check()


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def _token(live, parties, name: str) -> str:
    c = parties.clients[name]
    r = live.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(c.client_id, c.secret)
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def _raw(live, head: bytes, body: bytes = b"") -> Any:
    """A request with header bytes no library sends (gunicorn passes bytes above 0x7f on
    as latin-1 text)."""
    length = f"Content-Length: {len(body)}\r\n".encode() if body else b""
    return raw_request(live.url, head + length + b"Host: test\r\nConnection: close\r\n\r\n" + body)


def _together(n: int, call: Callable[[int], requests.Response]) -> list[requests.Response]:
    """``n`` requests released at the same moment from their own threads."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        out[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


# -- the search cursor -------------------------------------------------------------------------
def test_forged_cursor_is_400_on_the_api_and_the_page(live, app_ctx, watch) -> None:
    import_records(sample_records(8, seed=4))
    for spec in SPECS.values():
        app_ctx.extensions["credit.search"].refresh(spec)
    query = {"q": "", "size": 3}
    first = live.get("/api/v1/search", params=query)
    assert watch.saw(first.status_code) == 200
    cursor = first.json()["next_cursor"]
    forged = base64.urlsafe_b64encode(b'{"f":"0","a":[1]}').decode()  # the attack's cursor
    tampered = cursor[:-2] + ("xx" if not cursor.endswith("xx") else "yy")
    for bad in (forged, tampered, cursor[:20]):
        r = live.get("/api/v1/search", params={**query, "cursor": bad})
        watch.saw(r.status_code)
        assert [e["field"] for e in _problem(r, 400)["errors"]] == ["cursor"]
    page = live.get("/search", params={"cursor": forged, "page": 60})
    assert watch.saw(page.status_code) == 400
    assert page.headers["Content-Type"].startswith("text/html") and "cursor" in page.text
    good = live.get("/api/v1/search", params={**query, "cursor": cursor})
    assert watch.saw(good.status_code) == 200 and good.json()["items"]


# -- JSON depth and shape ----------------------------------------------------------------------
def test_deeply_nested_json_on_batch_check_is_400(live, watch) -> None:
    for depth in (40, 100_000):
        body = '{"codes": ' + "[" * depth + "]" * depth + "}"
        r = live.post(
            "/api/v1/uscc/batch-check", data=body, headers={"Content-Type": "application/json"}
        )
        watch.saw(r.status_code)
        errors = _problem(r, 400)["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("body", "too_deep")]
    for body in ("[]", '"x"', "7", "null"):
        r = live.post(
            "/api/v1/uscc/batch-check", data=body, headers={"Content-Type": "application/json"}
        )
        _problem(r, watch.saw(r.status_code))
        assert r.status_code == 400


# -- headers -----------------------------------------------------------------------------------
def test_non_ascii_if_match_is_400_naming_the_header(live, parties, watch) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    token = _token(live, parties, "owner")
    path = f"/api/v1/pledges/{pledge.id}/withdraw".encode()
    for tag in (b'"\xb2"', b'"\xe9"', b"\xef\xbc\x93", b'"1"\xa0'):  # ², é, full-width 3
        r = _raw(
            live,
            b"POST " + path + b" HTTP/1.1\r\nAuthorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: application/json\r\nIf-Match: " + tag + b"\r\n",
            '{"reason": "停止经营"}'.encode(),
        )
        assert watch.saw(r.status) == 400, r.body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert b'"field": "If-Match"' in r.body and b'"location": "header"' in r.body
    # The same through a client library (requests sends str headers as latin-1).
    r = live.post(
        path.decode(),
        json={"reason": "停止经营"},
        headers={"Authorization": f"Bearer {token}", "If-Match": '"\u00b2"'},
    )
    assert [e["field"] for e in _problem(r, watch.saw(r.status_code))["errors"]] == ["If-Match"]


def test_other_headers_with_non_ascii_bytes_are_never_a_500(live, parties, watch) -> None:
    seed_templates()
    token = _token(live, parties, "owner")
    bearer = b"Authorization: Bearer " + token.encode() + b"\r\n"

    r = _raw(
        live, b"GET /api/v1/regulator/objections HTTP/1.1\r\nAuthorization: Bearer \xe9\xff\r\n"
    )
    assert watch.saw(r.status) == 401 and r.headers["www-authenticate"].isascii()
    r = _raw(live, b"GET /api/v1/regulator/objections HTTP/1.1\r\nAuthorization: Basic \xe9\r\n")
    assert watch.saw(r.status) == 401

    for basic in (b"\xe9\xe9", base64.b64encode(b"\xff:\xfe")):
        r = _raw(
            live,
            b"POST /oauth/token HTTP/1.1\r\nAuthorization: Basic " + basic + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n",
            b"grant_type=client_credentials",
        )
        assert watch.saw(r.status) == 401 and b'"invalid_client"' in r.body, r.body[:300]

    r = _raw(live, b"GET /api/v1/vocabularies HTTP/1.1\r\nX-Request-ID: \xe9t\xe9\r\n")
    assert watch.saw(r.status) == 200 and len(r.headers["x-request-id"]) == 32

    page_head = b"GET /search?q=%E8%8B%8F%E5%B7%9E HTTP/1.1\r\n"
    for extra in (
        b"Accept-Language: \xe9\xe9;q=\xff, zh\r\n",
        b"Cookie: session=\xe9\xe9; lang=\xff\r\n",
        b"Cookie: \xff\xfe=\xfd\r\n",
    ):
        r = _raw(live, page_head + extra)
        assert watch.saw(r.status) == 200, (extra, r.body[:300])
    # A NUL in a header never reaches the app: gunicorn refuses the request itself.
    assert watch.saw(_raw(live, page_head + b"Cookie: lang=\x00\r\n").status) == 400
    r = _raw(live, b"GET /console/firm HTTP/1.1\r\nCookie: session=\xe9.\xff.\xfe\r\n")
    assert watch.saw(r.status) in (302, 303), r.body[:300]

    body = '{"codes": ["苏州"]}'.encode()
    for charset in (b"\xe9", b"utf-16", b"latin-1", b'"x'):
        r = _raw(
            live,
            b"POST /api/v1/uscc/batch-check HTTP/1.1\r\n"
            b"Content-Type: application/json; charset=" + charset + b"\r\n",
            body,
        )
        assert watch.saw(r.status) == 200, (charset, r.body[:300])
    r = _raw(
        live,
        b"POST /api/v1/uscc/batch-check HTTP/1.1\r\nContent-Type: application/json\r\n",
        '{"codes": ["苏州"]}'.encode("gb18030"),
    )
    assert watch.saw(r.status) == 400 and b'"code": "encoding"' in r.body

    r = _raw(
        live,
        b"POST /api/v1/pledges HTTP/1.1\r\n" + bearer + b"Content-Type: application/json\r\n"
        b"Idempotency-Key: \xe9\xe9\r\n",
        b"{}",
    )
    assert watch.saw(r.status) == 400 and b'"field": "Idempotency-Key"' in r.body


# -- NUL and control characters ----------------------------------------------------------------
def test_nul_in_a_pledge_field_and_in_a_query_string_is_400(live, parties, watch) -> None:
    template = seed_templates()["ECOM-STD"]
    token = _token(live, parties, "owner")
    body = pledge_body(template, signer_name="张\u0000三", extra_commitments=["发货\u0000"])
    r = live.post("/api/v1/pledges", json=body, headers={"Authorization": f"Bearer {token}"})
    errors = _problem(r, watch.saw(r.status_code))["errors"]
    assert r.status_code == 400
    assert {(e["field"], e["code"]) for e in errors} == {
        ("signer_name", "control_character"),
        ("extra_commitments.0", "control_character"),
    }
    for path in (
        "/api/v1/search?q=%E8%8B%8F%00",
        "/api/v1/pledges?template=ECOM%00",
        "/api/v1/pledges/%00",
        f"/api/v1/enterprises/{parties.owner_uscc}%00",
    ):
        r = live.get(path)
        assert watch.saw(r.status_code) == 400, (path, r.text)
        assert _problem(r, 400)["errors"][0]["code"] == "control_character"
    page = live.get("/search?q=%00")
    assert watch.saw(page.status_code) == 400 and "text/html" in page.headers["Content-Type"]
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT count(*) FROM pledge")) == 0


# -- concurrent writes that clash --------------------------------------------------------------
def test_eight_concurrent_amendments_make_one_draft(live, parties, watch) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    token = _token(live, parties, "owner")
    headers = {"Authorization": f"Bearer {token}", "If-Match": f'"{pledge.version}"'}

    def amend(_: int) -> requests.Response:
        with requests.Session() as http:
            http.trust_env = False
            return http.post(
                f"{live.url}/api/v1/pledges/{pledge.id}/amendments",
                json={},
                headers=headers,
                timeout=60,
            )

    answers = _together(8, amend)
    statuses = sorted(watch.saw(r.status_code) for r in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409, 412}, statuses
    for r in answers:
        if r.status_code != 201:
            _problem(r, r.status_code)
    db.session.rollback()
    drafts = db.session.execute(
        sa.text("SELECT series_version FROM pledge WHERE series_id = :s AND status = 'draft'"),
        {"s": pledge.series_id},
    ).all()
    created = next(r for r in answers if r.status_code == 201).json()
    assert [tuple(d) for d in drafts] == [(2,)] and created["series_version"] == 2


def test_concurrent_violations_with_one_decision_number(live, parties, watch) -> None:
    token = _token(live, parties, "reg_in")
    body = {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕8001号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易",
        "penalty_type": "warning",
        "decision_date": (clock.today() - timedelta(days=10)).isoformat(),
    }

    def record(_: int) -> requests.Response:
        return requests.post(
            f"{live.url}/api/v1/violations",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    statuses = sorted(watch.saw(r.status_code) for r in _together(6, record))
    assert statuses == [201, 409, 409, 409, 409, 409], statuses


def test_concurrent_credit_reports_share_one_number(live, parties, watch) -> None:
    def report(_: int) -> requests.Response:
        return requests.get(f"{live.url}/enterprises/{parties.owner_uscc}/report", timeout=60)

    answers = _together(6, report)
    assert [watch.saw(r.status_code) for r in answers] == [200] * 6
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT count(*) FROM credit_report")) == 1


# -- Idempotency-Key after a lost response -----------------------------------------------------
def test_a_retry_after_a_lost_response_is_told_where_the_result_is(live, parties, watch) -> None:
    """The first request commits and its key records the pledge it created; the stored
    response is then lost (the crash between commit and storing it). The retry gets 409
    with the pledge's Location, and the client can fetch it."""
    template = seed_templates()["ECOM-STD"]
    token = _token(live, parties, "owner")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "order-7"}
    body = pledge_body(template)
    first = live.post("/api/v1/pledges", json=body, headers=headers)
    assert watch.saw(first.status_code) == 201
    db.session.rollback()
    forgotten = db.session.execute(
        sa.text(
            "UPDATE idempotency_key SET state = 'applied', status_code = NULL, "
            "response_body = NULL, response_headers = NULL WHERE key = 'order-7'"
        )
    ).rowcount
    db.session.commit()
    assert forgotten == 1
    retry = live.post("/api/v1/pledges", json=body, headers=headers)
    problem = _problem(retry, watch.saw(retry.status_code))
    assert retry.status_code == 409
    assert retry.headers["Location"] == problem["location"] == first.json()["url"]
    assert problem["resource"] == {"type": "pledge", "id": first.json()["id"]}
    fetched = live.get(retry.headers["Location"], headers={"Authorization": f"Bearer {token}"})
    assert watch.saw(fetched.status_code) == 200 and fetched.json()["id"] == first.json()["id"]
