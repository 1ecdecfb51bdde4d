"""Logs, caching headers, Server-Timing and slow uploads over the real server (issue 14,
item 7): what depends on gunicorn, its workers, sockets and log streams is shown here.
"""

from __future__ import annotations

import base64
import html
import json
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlparse

import pytest
import requests

from credit.accounts import service
from credit.identity import SYSTEM
from credit.scopes import ALLOWED_BY_KIND
from credit.translog import keys
from credit.translog.notes import Signer
from credit.uow import unit_of_work
from tests.parties import (
    ENTERPRISE_SCOPES,
    PASSWORD,
    REGULATOR_SCOPES,
    csrf_of,
    make_parties,
    make_pledge,
    make_violation,
    seed_templates,
)
from tests.server import GunicornServer, raw_request

#: A whole log line as an attacker would like to add it.
FORGED = "2099-01-01 00:00:00,000 INFO [-] credit.access: GET /admin/export 200 0.1ms"
PRODUCTION = {"ENV": "production", "SECRET_KEY": "production-secret-" + "s" * 32}


def _server(app_config: dict, tmp: Path, name: str, workers: int = 1, **settings) -> GunicornServer:
    config = {**app_config, **settings}
    if settings.get("ENV") == "production":  # production has no generated log key
        key = tmp / "log-signing.key"
        keys.write_signer(key, Signer.generate("credit.example.cn/credit-log"))
        config["LOG_SIGNING_KEY_FILE"] = str(key)
    # Settings another part of the platform may require in production (unknown ones are
    # ignored by the app): the public base URL.
    extra = {"CREDIT_PUBLIC_URL": "http://127.0.0.1"}
    return GunicornServer(config, tmp / f"{name}.log", workers=workers, extra_env=extra).start()


@pytest.fixture(scope="module")
def production_server(app, app_config, tmp_path_factory) -> Iterator[GunicornServer]:
    """CREDIT_ENV=production with the recommended JSON log format."""
    server = _server(
        app_config, tmp_path_factory.mktemp("prod"), "prod", **PRODUCTION, LOG_FORMAT="json"
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def timing_server(app, app_config, tmp_path_factory) -> Iterator[GunicornServer]:
    """Production with Server-Timing enabled explicitly (as the benchmarks do)."""
    server = _server(
        app_config, tmp_path_factory.mktemp("timing"), "timing", **PRODUCTION, SERVER_TIMING=True
    )
    yield server
    server.stop()


def wait_for_log(server: GunicornServer, needle: str, timeout: float = 15) -> str:
    """The server's log once it contains ``needle`` (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        text = server.log_text()
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def send_forgeries(url: str) -> None:
    """A path with %0a, user agents with NEL and U+2028 (and raw CR, VT, FS, LF, which
    gunicorn refuses), and a client id with a newline in a Basic Authorization header."""
    path = "/%0a" + quote(FORGED) + "%0d%0a" + quote(FORGED) + "%E2%80%A8" + quote(FORGED)
    raw_request(url, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    for sep in (b"\x85", "\u2028".encode(), b"\r", b"\x0b", b"\x1c", b"\n"):
        raw_request(
            url,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: ua"
            + sep
            + FORGED.encode()
            + b"\r\nConnection: close\r\n\r\n",
        )
    for sep in ("\n", "\r\n", "\u2028"):
        credentials = base64.b64encode(f"evil{sep}{FORGED}:secret".encode()).decode()
        requests.post(
            url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + credentials},
            timeout=10,
        )
    # Last, so that once its line is in the log every earlier line is too.
    requests.get(url + "/healthz", headers={"User-Agent": "forgeries-sent"}, timeout=10)


def assert_not_forged(text: str) -> None:
    lines = text.splitlines()  # also splits at NEL, U+2028, FS, VT ...
    assert lines
    assert not [line for line in lines if line.startswith(FORGED[:10])]


def test_log_lines_cannot_be_forged_in_the_text_format(live) -> None:
    send_forgeries(live.url)
    text = wait_for_log(live.server, "forgeries-sent")
    assert "forgeries-sent" in text
    assert_not_forged(text)
    # The forged text is there, escaped inside the line of the request that carried it.
    assert f"GET /\\n{FORGED}\\r\\n{FORGED}\\u2028{FORGED} 404" in text
    assert f'ua="ua\\x85{FORGED}"' in text


def test_log_lines_cannot_be_forged_in_the_json_format(production_server) -> None:
    send_forgeries(production_server.url)
    text = wait_for_log(production_server, "forgeries-sent")
    assert_not_forged(text)
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one object
    for entry in entries:
        assert {"time", "level", "logger", "request_id", "pid", "message"} <= entry.keys()
    access = [e for e in entries if e["logger"] == "credit.access"]
    assert any(e["message"].startswith(f"GET /\\n{FORGED}\\r\\n{FORGED}") for e in access)
    assert all(len(e["request_id"]) == 32 for e in access)
    # gunicorn's own lines (master and workers) are JSON too.
    assert any(e["logger"] == "gunicorn.error" for e in entries)


def test_server_timing_is_off_in_production(production_server) -> None:
    for path in ("/healthz", "/api/v1/search?q=苏州", "/api/v1/search?q=苏州", "/search?q=苏州"):
        r = requests.get(production_server.url + path, timeout=30)
        assert r.status_code == 200, (path, r.text[:500])
        assert "Server-Timing" not in r.headers, path


def test_server_timing_is_sent_when_enabled(timing_server, live) -> None:
    for url in (timing_server.url, live.url):  # enabled in production; testing's default
        r = requests.get(url + "/api/v1/search?q=苏州", timeout=30)
        assert r.status_code == 200
        assert re.match(r"app;dur=\d+\.\d", r.headers["Server-Timing"])


# --- Cache-Control ----------------------------------------------------------------------


@dataclass
class Walked:
    method: str
    path: str
    status: int
    cache_control: str | None


class Browser:
    """A requests session that signs in to the consoles as a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False
        self.seen: list[Walked] = []

    def go(self, method: str, path: str, **kwargs) -> requests.Response:
        url = urljoin(self.base, path)
        r = self.http.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        self.seen.append(
            Walked(method, urlparse(url).path, r.status_code, r.headers.get("Cache-Control"))
        )
        return r

    def sign_in(self, username: str) -> None:
        """/console/login -> /oauth/authorize -> /login -> consent -> /console/callback."""
        r = self.go("GET", "/console/login")
        authorize = r.headers["Location"]
        r = self.go("GET", authorize)
        assert r.status_code == 302 and "/login" in r.headers["Location"], r.text[:500]
        page = self.go("GET", r.headers["Location"]).text
        next_value = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
        r = self.go(
            "POST",
            "/login",
            data={
                "username": username,
                "password": PASSWORD,
                "csrf": csrf_of(page),
                "next": next_value,
            },
        )
        assert r.status_code == 302, r.text[:500]
        consent = self.go("GET", r.headers["Location"])
        assert consent.status_code == 200, consent.text[:500]
        r = self.go("POST", authorize, data={"csrf": csrf_of(consent.text), "confirm": "yes"})
        assert r.status_code == 302 and "/console/callback" in r.headers["Location"]
        r = self.go("GET", r.headers["Location"])
        assert r.status_code == 302, r.text[:500]


def _token(base: str, client) -> str:
    r = requests.post(
        base + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=client.basic(),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_every_authenticated_answer_says_private_no_store(live, clean_app) -> None:
    """A walk over every route that needs a token or a console sign-in (each method, with
    the right credentials, whatever the status), the optional-token routes with a token,
    the sign-in flow and the OAuth endpoints: all say ``private, no-store``. Public answers
    without credentials say ``no-cache``."""
    with clean_app.app_context():
        parties = make_parties()
        templates = seed_templates()
        draft_id = str(make_pledge(parties.owner_uscc).id)  # a draft: only its firm sees it
        violation_id = str(make_violation(parties).id)
        template_id = str(next(iter(templates.values())).id)
        with unit_of_work() as uow:
            service.register_console_client(
                SYSTEM,
                uow,
                client_id=clean_app.config["CREDIT_CONSOLE_CLIENT_ID"],
                name="console",
                redirect_uris=[live.url + "/console/callback"],
            )
            for username, kind, extra in (
                ("firm-a", "enterprise", {"uscc_code": parties.owner_uscc}),
                ("reg-in", "regulator", {"authority_code": "IN"}),
            ):
                service.create_user(
                    SYSTEM,
                    uow,
                    username=username,
                    password=PASSWORD,
                    kind=kind,
                    display_name=username,
                    scope_list=sorted(ALLOWED_BY_KIND[kind]),
                    **extra,
                )
        rules = list(clean_app.url_map.iter_rules())
        views = clean_app.view_functions
    tokens = {
        name: _token(live.url, parties.clients[name]) for name in ("owner", "reg_in", "operator")
    }

    def bearer_for(scope: str) -> dict[str, str]:
        name = (
            "owner"
            if scope in ENTERPRISE_SCOPES
            else "reg_in"
            if scope in REGULATOR_SCOPES
            else "operator"
        )
        return {"Authorization": f"Bearer {tokens[name]}"}

    values = {
        "uscc": parties.owner_uscc,
        "pledge_id": draft_id,
        "violation_id": violation_id,
        "template_id": template_id,
        "objection_id": "0",
        "application_id": "0",
        "item_id": "0",
    }
    api = Browser(live.url)
    firm, regulator = Browser(live.url), Browser(live.url)
    firm.sign_in("firm-a")
    regulator.sign_in("reg-in")

    walked = 0
    for rule in rules:
        scope = getattr(views[rule.endpoint], "_credit_scope", None)
        if scope is None:
            continue
        path = rule.rule
        for arg in rule.arguments:
            # an id arranged above, or one that exists nowhere: a 404 must be private too
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", quote(values.get(arg, "0")), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = {"json": {}} if method in {"POST", "PATCH"} else {}
            if path.startswith("/api/"):
                api.go(method, path, headers=bearer_for(scope), **body)
            else:
                assert path.startswith("/console")
                firm.go(method, path, data={} if body else None)
                regulator.go(method, path, data={} if body else None)
            walked += 1
    assert walked > 40  # every authenticated route and method of the API and the consoles
    # Signed in for real: the consoles' home pages answered.
    assert ("GET", "/console/firm", 200) in {(w.method, w.path, w.status) for w in firm.seen}
    assert ("GET", "/console/regulator", 200) in {
        (w.method, w.path, w.status) for w in regulator.seen
    }

    owner = {"Authorization": f"Bearer {tokens['owner']}"}
    for path in (  # public routes, answered with the owner's drafts to its token
        f"/api/v1/enterprises/{parties.owner_uscc}/pledges",
        f"/api/v1/pledges/{draft_id}",
        f"/api/v1/enterprises/{parties.owner_uscc}/rating/explain",
    ):
        api.go("GET", path, headers=owner)
    assert api.seen[-3].status == 200 and api.seen[-2].status == 200
    api.go("POST", "/oauth/token", data={"grant_type": "client_credentials"})  # 401
    api.go(
        "POST",
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=parties.clients["other"].basic(),
    )
    api.go("POST", "/oauth/revoke", data={"token": "x"}, headers=parties.clients["owner"].basic())
    api.go(
        "POST",
        "/oauth/introspect",
        data={"token": "x"},
        headers=parties.clients["internal"].basic(),
    )
    api.go("GET", "/oauth/authorize?client_id=x")
    api.go("GET", "/login")
    firm.go("GET", "/console/")
    firm.go("POST", "/logout", data={})

    everything = api.seen + firm.seen + regulator.seen
    not_private = [w for w in everything if w.cache_control != "private, no-store"]
    assert not not_private, not_private
    assert {w.status for w in everything} >= {200, 302, 400, 401}

    # Public answers, no credentials: explicit, and not private.
    anonymous = Browser(live.url)
    for path in (
        "/healthz",
        f"/api/v1/enterprises/{parties.owner_uscc}",
        f"/api/v1/enterprises/{parties.owner_uscc}/pledges",
        "/api/v1/search?q=苏州",
        f"/enterprises/{parties.owner_uscc}",
        "/search?q=苏州",
        "/.well-known/oauth-authorization-server",
    ):
        r = anonymous.go("GET", path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["Cache-Control"] == "no-cache", path


# --- slow uploads -------------------------------------------------------------------------

BODY_TIMEOUT = 2.0
SLOW_UPLOADS = 24


@pytest.fixture(scope="module")
def slow_body_server(app, app_config, tmp_path_factory) -> Iterator[GunicornServer]:
    """2 workers x 4 threads, a request body must arrive within 2 s."""
    server = _server(
        app_config,
        tmp_path_factory.mktemp("slowbody"),
        "slowbody",
        workers=2,
        REQUEST_BODY_TIMEOUT=BODY_TIMEOUT,
    )
    yield server
    server.stop()


def _slow_upload(url: str, connected: threading.Barrier, limit: float) -> tuple[str, bytes]:
    """Headers for a 100,000-byte JSON body, a few bytes of it, then a byte every 0.1 s
    until the server answers or closes (or ``limit`` seconds pass)."""
    host, port = urlparse(url).hostname, urlparse(url).port
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=limit) as s:
        s.sendall(
            b"POST /api/v1/uscc/batch-check HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            b'{"codes": ['
        )
        connected.wait()
        answer = b""
        while time.monotonic() - started < limit:
            readable, _, _ = select.select([s], [], [], 0.1)
            if readable:
                try:
                    chunk = s.recv(65536)
                except OSError:
                    return "reset", answer
                if not chunk:
                    return "closed", answer
                answer += chunk
                continue
            try:
                s.send(b" ")
            except OSError:
                return "reset", answer
        return "still open", answer


def test_slow_uploads_are_cut_off_and_health_keeps_answering(slow_body_server) -> None:
    url = slow_body_server.url
    limit = 15 * BODY_TIMEOUT  # the clients would go on much longer than the server waits
    connected = threading.Barrier(SLOW_UPLOADS + 1)
    outcomes: list[tuple[str, bytes] | None] = [None] * SLOW_UPLOADS

    def run(i: int) -> None:
        outcomes[i] = _slow_upload(url, connected, limit)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(SLOW_UPLOADS)]
    for t in threads:
        t.start()
    connected.wait(timeout=30)  # all 24 are connected and dribbling
    # More uploads than threads (2 x 4) are open; health still answers within a bounded
    # wait (a read timeout of 3 x the body timeout; the uploads go on far longer).
    r = requests.get(url + "/healthz", timeout=3 * BODY_TIMEOUT)
    assert r.status_code == 200
    for t in threads:
        t.join(timeout=limit + 10)

    for outcome in outcomes:
        assert outcome is not None
        how, answer = outcome
        assert how in {"closed", "reset"}, outcome  # the server ended it, not the client
        if answer:  # the 408 problem+json (a reset may have cut it before it was read)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 "), head
            assert b"application/problem+json" in head
            problem = json.loads(body)
            assert problem["status"] == 408 and problem["title"] == "请求超时"
    assert sum(1 for _, answer in outcomes if answer) >= SLOW_UPLOADS // 2
    assert slow_body_server.alive()
    assert requests.get(url + "/healthz", timeout=10).status_code == 200


def test_a_normal_upload_just_under_the_size_limit_still_works(slow_body_server, app) -> None:
    limit = app.config["CREDIT_MAX_CONTENT_LENGTH"]
    doc = b'{"codes": ["91320000000000000X"]}'
    body = doc[:-1] + b" " * (limit - len(doc) - 1) + b"}"
    assert len(body) == limit - 1
    r = requests.post(
        slow_body_server.url + "/api/v1/uscc/batch-check",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text[:500]
    too_big = requests.post(
        slow_body_server.url + "/api/v1/uscc/batch-check",
        data=body + b"  ",
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert too_big.status_code == 413
