"""nginx (Debian's binary, ``deploy/nginx/credit-platform.conf``) in front of two gunicorn
instances on one database, one search index and one Redis: the site as a province runs it.

What is proved over the real processes:

* the HTTP basics through the proxy: status lines, problem+json errors, nginx's own 413
  (a too-large body never reaches gunicorn) in the app's problem+json format, gzip on a
  page, static files from nginx with cache headers, an OAuth token and a write, and the
  client's own address reaching the app (audit, rate-limit key);
* a slow upload reaches an instance only once complete (nginx buffers it);
* the sign-in rate limit counts once across both instances (Redis), and a console sign-in
  made through one instance is honoured by the other (sign-ins live in the database);
* one instance is killed (SIGKILL of its whole process group) during a write load whose
  client retries with the same Idempotency-Key: the other instance serves, and every write
  is in the database exactly once (0 lost, 0 duplicated); restarted, it is back in
  rotation; with no instance left nginx answers 503 problem+json.

Which instance answered is read from nginx's access log (``upstream=`` names the
instance's port), so "both instances served" is observed, not assumed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from credit import clock
from credit.accounts import service
from credit.extensions import db
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from credit.violations.models import Violation
from tests.conftest import unavailable
from tests.live.nginx import STATIC, NginxProxy
from tests.live.test_rate_limits import assert_too_many, audit_addresses, session_from, token
from tests.live.test_sign_in_sessions import sign_in
from tests.pages.console_parties import CONSOLE_CLIENT_ID, make_console_parties
from tests.parties import make_parties
from tests.server import GunicornServer

#: The write load: this many POSTs from this many client threads; one instance is killed
#: once KILL_AFTER of them have been acknowledged.
WRITES = 160
THREADS = 8
KILL_AFTER = 40
#: A write whose claim died with the killed instance is refused (409, in flight) until
#: the claim's lease (credit.idempotency.LEASE, 60 s) runs out: the client keeps retrying
#: with the same key for at most this long.
WRITE_DEADLINE = 100.0
#: Answers after which the write was certainly not applied, or may have been: the client
#: sends it again with the same key. (408: the body deadline below, counted from the
#: request's arrival, ran out while it queued for a thread.)
RETRY_STATUSES = {408, 502, 503, 504}
#: The instances' CREDIT_REQUEST_BODY_TIMEOUT (seconds), and how long the slow client
#: takes to send its body (longer than that).
SLOW_BODY_DEADLINE = 2.0
SLOW_BODY_SECONDS = 4.0


@dataclass
class Site:
    proxy: NginxProxy
    a: GunicornServer
    b: GunicornServer

    @property
    def url(self) -> str:
        return self.proxy.url

    def http(self, source: str = "127.0.0.1") -> requests.Session:
        return session_from(source, verify=str(self.proxy.cert))

    def served(self, method: str, path: str) -> Counter:
        """How often nginx passed ``method path`` to each instance ("a"/"b"), by the
        instance that gave the final answer, with that answer's status."""
        names = {str(self.a.port): "a", str(self.b.port): "b"}
        out: Counter = Counter()
        for line in self.proxy.access_lines():
            words = line.split(" ", 3)
            if words[:2] != [method, path]:
                continue
            upstream = re.search(r"upstream=(\S.*?) upstream_status=", line)
            last = upstream.group(1).split(", ")[-1] if upstream else "-"
            out[(names.get(last.rsplit(":", 1)[-1], "nginx"), int(words[2]))] += 1
        return out

    def served_until(
        self, method: str, path: str, done: Callable[[Counter], object], timeout: float = 10
    ) -> Counter:
        """``served`` once ``done`` holds for it (nginx writes a line when it has finished
        with a request, which may be just after the client has its answer), or at the
        deadline."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.served(method, path)
            if done(counts) or time.monotonic() > deadline:
                return counts
            time.sleep(0.1)


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    path = os.environ.get("CREDIT_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(path, os.X_OK):
        unavailable("nginx is not installed (scripts/services.sh up installs Debian's)")
    return path


@pytest.fixture(scope="module")
def site(app, app_config: dict, nginx_bin: str, tmp_path_factory) -> Iterator[Site]:
    """Two instances (2 workers each) trusting one proxy, sharing database, index, Redis,
    secret key and public URL (nginx's), behind nginx."""
    logs = tmp_path_factory.mktemp("two_instances")
    # A short body deadline, so that a slow upload's fate is seen within seconds.
    config = {**app_config, "TRUSTED_PROXIES": 1, "REQUEST_BODY_TIMEOUT": SLOW_BODY_DEADLINE}
    a = GunicornServer(config, logs / "a.log", workers=2)
    b = GunicornServer(config, logs / "b.log", workers=2)
    proxy = NginxProxy(nginx_bin, [a.port, b.port])
    public = {"CREDIT_PUBLIC_URL": proxy.url}
    a.extra_env.update(public)
    b.extra_env.update(public)
    try:
        a.start()
        b.start()
        proxy.start()
        yield Site(proxy, a, b)
    finally:
        proxy.stop()
        b.stop()
        a.stop()


def violation(parties, number: str) -> dict:
    return {
        "uscc": parties.owner_uscc,
        "category": "consumer_rights",
        "severity": "minor",
        "decision_number": number,
        "legal_basis": "《中华人民共和国消费者权益保护法》第二十五条",
        "facts": "未按规定履行七日无理由退货义务",
        "penalty_type": "warning",
        "penalty_amount": None,
        "decision_date": (clock.today() - timedelta(days=5)).isoformat(),
    }


def bearer(http: requests.Session, url: str, client) -> dict[str, str]:
    r = token(http, url, client, client.secret)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_http_basics_through_nginx(app_ctx, site: Site) -> None:
    parties = make_parties()
    http = site.http("127.0.0.2")

    # A page: 200 over HTTP/1.1, compressed, with its security headers.
    r = http.get(site.url + "/", timeout=30)
    assert (r.status_code, r.raw.version, r.reason.upper()) == (200, 11, "OK")
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    assert "江苏" in r.text and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "nginx/" not in r.headers.get("Server", "")  # server_tokens off
    # Plain http only redirects to https.
    r = requests.get(site.proxy.http_url + "/search?q=1", allow_redirects=False, timeout=30)
    assert r.status_code == 301
    assert r.headers["Location"] == "https://127.0.0.1/search?q=1"  # the standard port

    # A static file: from nginx (gunicorn never sees it), cached 5 minutes, revalidated.
    r = http.get(site.url + "/assets/site.css", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.content == (STATIC / "site.css").read_bytes()
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    again = http.get(
        site.url + "/assets/site.css", headers={"If-None-Match": r.headers["ETag"]}, timeout=30
    )
    assert again.status_code == 304
    assert "/assets/" not in site.a.log_text() + site.b.log_text()
    static = site.served_until("GET", "/assets/site.css", lambda c: sum(c.values()) >= 2)
    assert static == {("nginx", 200): 1, ("nginx", 304): 1}

    # Bad input: the app's problem+json with its per-field errors, through the proxy.
    reg = bearer(http, site.url, parties.clients["reg_in"])
    bad = violation(parties, "苏市监罚〔2026〕9100号") | {"severity": "enormous"}
    r = http.post(site.url + "/api/v1/violations", json=bad, headers=reg, timeout=30)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert "severity" in {e["field"] for e in r.json()["errors"]}
    # The app took nginx's request id: one id in both logs and in the answer.
    assert r.json()["request_id"] == r.headers["X-Request-ID"]
    rid = r.headers["X-Request-ID"]

    def logged(_: Counter) -> bool:
        return any(line.endswith(" id=" + rid) for line in site.proxy.access_lines())

    assert logged(site.served_until("POST", "/api/v1/violations", logged))

    # A write with a token from the token endpoint: 201, and readable afterwards.
    body = violation(parties, "苏市监罚〔2026〕9101号")
    r = http.post(site.url + "/api/v1/violations", json=body, headers=reg, timeout=30)
    assert r.status_code == 201, r.text
    r = http.get(f"{site.url}/api/v1/violations/{r.json()['id']}", headers=reg, timeout=30)
    assert r.status_code == 200 and r.json()["decision_number"] == body["decision_number"]
    # The app saw the client's address (127.0.0.2), not nginx's 127.0.0.1.
    assert audit_addresses(parties.clients["reg_in"].client_id) == {"127.0.0.2": 1}

    # A body over 1 MiB: nginx answers 413 itself, as problem+json; no instance saw it.
    before = site.served("POST", "/api/v1/violations")
    r = http.post(
        site.url + "/api/v1/violations",
        data=b"{" + b" " * (1 << 20) + b"}",
        headers={**reg, "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413
    assert r.headers["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 413 and problem["title"] == "请求体过大"
    assert problem["request_id"] == r.headers["X-Request-ID"]
    # nginx logs a refused body after closing the connection, maybe after the answer.
    after = site.served_until("POST", "/api/v1/violations", lambda c: c - before)
    assert after - before == {("nginx", 413): 1}


def test_a_penalty_file_over_1_mib_reaches_the_app(app_ctx, site: Site) -> None:
    """The upload path allows files of the format (CREDIT_EXCHANGE_MAX_UPLOAD) through
    nginx; every other path keeps the 1 MiB limit (above)."""
    parties = make_parties()
    http = site.http("127.0.0.2")
    reg = bearer(http, site.url, parties.clients["reg_in"])
    header = "CF_XDR_SHXYM,CF_WSH,CF_JDRQ,CF_CFLB,CF_SY,CF_YJ,CF_CFJG,BZ\r\n"
    rows = [
        f"{parties.owner_uscc},苏市监罚〔2026〕92{n:02d}号,{clock.today().isoformat()},警告,"
        f"未在网店首页公示营业执照信息,《电子商务法》第十五条,辖区内监管局,{'备' * 2400}\r\n"
        for n in range(150)  # within what a request imports itself (jobs.SYNC_ROWS)
    ]
    body = (header + "".join(rows)).encode()
    assert len(body) > 1 << 20
    r = http.post(
        site.url + "/api/v1/exchange/penalties",
        data=body,
        headers={**reg, "Content-Type": "text/csv"},
        timeout=60,
    )
    assert r.status_code == 200, r.text[:500]
    assert (r.json()["created"], r.json()["refused"]) == (150, 0)


def test_the_sign_in_limit_counts_across_both_instances(app_ctx, site: Site) -> None:
    """31 wrong secrets for one client from one address, spread by nginx over both
    instances: the first 30 are answered, the 31st is refused, although neither instance
    saw 30 on its own."""
    parties = make_parties()
    reg = parties.clients["reg_in"]
    attacker = site.http("127.0.0.2")
    statuses = [token(attacker, site.url, reg, "guess").status_code for _ in range(31)]
    assert statuses == [401] * 30 + [429]
    assert_too_many(token(attacker, site.url, reg, "guess"))
    served = site.served_until("POST", "/oauth/token", lambda c: sum(c.values()) >= 32)
    assert served[("a", 401)] + served[("b", 401)] == 30
    assert 0 < served[("a", 401)] < 30 and 0 < served[("b", 401)] < 30, served
    # Another address is not limited by it.
    assert token(site.http("127.0.0.3"), site.url, reg, reg.secret).status_code == 200


def test_a_console_sign_in_holds_on_both_instances(app_ctx, site: Site) -> None:
    """The whole sign-in (authorize, password, consent, callback) and the pages after it
    go to whichever instance nginx picks: every step works, and both instances answered
    console pages of this one sign-in."""
    console = make_console_parties()
    with unit_of_work() as uow:
        service.register_console_client(
            SYSTEM,
            uow,
            client_id=CONSOLE_CLIENT_ID,
            name="console",
            redirect_uris=[f"{site.url}/console/callback"],
        )
    browser = site.http("127.0.0.4")
    page = sign_in(browser, site.url, "firm-a")
    assert page.status_code == 200 and console.owner_uscc in page.text
    for _ in range(6):
        r = browser.get(site.url + "/console/firm", allow_redirects=False, timeout=30)
        assert r.status_code == 200 and console.owner_uscc in r.text
    served = site.served_until("GET", "/console/firm", lambda c: sum(c.values()) >= 7)
    assert served[("a", 200)] > 0 and served[("b", 200)] > 0, served
    assert sum(n for (_, status), n in served.items() if status != 200) == 0, served


def trickle(url: str, path: str, headers: dict[str, str], body: bytes, cafile: str | None) -> str:
    """POST ``body`` in 8 pieces spread over SLOW_BODY_SECONDS, as a slow client on a bad
    line would; returns the answer's status line."""
    host, port = url.split("://", 1)[1].split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "", ""]
    raw = socket.create_connection((host, int(port)), timeout=30)
    if url.startswith("https://"):
        raw = ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname=host)
    with raw as sock:
        sock.sendall("\r\n".join(lines).encode())
        step = -(-len(body) // 8)
        for start in range(0, len(body), step):
            time.sleep(SLOW_BODY_SECONDS / 8)
            try:
                sock.sendall(body[start : start + step])
            except OSError:  # the server gave up on the body and closed
                break
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def test_a_slow_upload_reaches_an_instance_only_whole(app_ctx, site: Site) -> None:
    """A body sent over 4 s: straight to an instance, its 2 s body deadline refuses it
    (408: the thread was held that long); through nginx, which reads the whole body first,
    the instance gets it complete at once and creates the record."""
    parties = make_parties()
    reg = bearer(site.http(), site.url, parties.clients["reg_in"])
    headers = {**reg, "Content-Type": "application/json"}

    def body(number: str) -> bytes:
        return json.dumps(violation(parties, number), ensure_ascii=False).encode()

    first, second = body("苏市监罚〔2026〕9201号"), body("苏市监罚〔2026〕9202号")
    direct = trickle(site.b.url, "/api/v1/violations", headers, first, None)
    assert direct.split()[1] == "408", direct
    cert = str(site.proxy.cert)
    proxied = trickle(site.url, "/api/v1/violations", headers, second, cert)
    assert proxied.split()[1] == "201", proxied
    db.session.remove()
    stored = db.session.scalars(sa.select(Violation.decision_number)).all()
    assert stored == ["苏市监罚〔2026〕9202号"]


@dataclass
class Load:
    """The outcome of each write (by its decision number) and how many answers the client
    had to retry."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # number -> record id
    retried: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def write_until_acknowledged(http, url: str, headers: dict, body: dict, load: Load) -> None:
    """POST with one Idempotency-Key until the platform says it is done: 201, or 409 with
    the Location of what the key already created. Connection errors, answers cut mid-body,
    502/503/504 and "in flight" (409 with Retry-After) are retried with the same key."""
    key = str(uuid.uuid4())
    deadline = time.monotonic() + WRITE_DEADLINE
    while time.monotonic() < deadline:
        try:
            r = http.post(
                url + "/api/v1/violations",
                json=body,
                headers={**headers, "Idempotency-Key": key},
                timeout=30,
            )
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            # A killed instance can cut an answer after its head was sent: nginx cannot
            # retry that, so the client does, with the same key, as for a refused connection.
            cut = not isinstance(error, requests.ConnectionError)
            kind = "cut answer" if cut else "connection error"
            with load.lock:
                load.retried[kind] += 1
            time.sleep(0.2)
            continue
        if r.status_code == 201 or (r.status_code == 409 and "Location" in r.headers):
            created = r.json()["id"] if r.status_code == 201 else r.json()["resource"]["id"]
            with load.lock:
                load.acknowledged[body["decision_number"]] = created
                if r.status_code == 409:
                    load.retried["409 already applied"] += 1
            return
        if r.status_code in RETRY_STATUSES or (r.status_code == 409 and "Retry-After" in r.headers):
            with load.lock:
                load.retried[str(r.status_code)] += 1
            time.sleep(min(float(r.headers.get("Retry-After", "0.2")), 1.0))
            continue
        raise AssertionError(f"{r.status_code} {r.text[:300]}")
    raise AssertionError(f"{body['decision_number']} not acknowledged in {WRITE_DEADLINE}s")


def test_killing_one_instance_loses_no_write(app_ctx, site: Site) -> None:
    """8 clients send 160 writes; after 40 are acknowledged, instance A is killed
    (SIGKILL, master and workers). Every write is acknowledged in the end, B served the
    rest, and each is in the database exactly once."""
    parties = make_parties()
    numbers = [f"苏市监罚〔2026〕{20000 + n}号" for n in range(WRITES)]
    headers = bearer(site.http(), site.url, parties.clients["reg_in"])
    load = Load()
    before = site.served("POST", "/api/v1/violations")
    killed = threading.Event()
    sessions = threading.local()

    def one(number: str) -> None:
        if not hasattr(sessions, "http"):
            sessions.http = site.http()
        write_until_acknowledged(sessions.http, site.url, headers, violation(parties, number), load)
        with load.lock:
            due = len(load.acknowledged) >= KILL_AFTER and not killed.is_set()
            if due:
                killed.set()
        if due:
            os.killpg(site.a.proc.pid, signal.SIGKILL)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, numbers))

    assert killed.is_set() and site.a.proc.wait(timeout=10) == -signal.SIGKILL
    assert sorted(load.acknowledged) == sorted(numbers)
    db.session.remove()
    stored = Counter(
        db.session.scalars(
            sa.select(Violation.decision_number).where(Violation.decision_number.in_(numbers))
        )
    )
    lost = [n for n in numbers if stored[n] == 0]
    duplicated = {n: c for n, c in stored.items() if c > 1}
    assert (lost, duplicated) == ([], {})
    # Every acknowledgement names the one stored record.
    ids = dict(
        db.session.execute(
            sa.select(Violation.decision_number, Violation.id).where(
                Violation.decision_number.in_(numbers)
            )
        ).all()
    )
    assert all(load.acknowledged[n] == ids[n] for n in numbers)
    served = site.served("POST", "/api/v1/violations") - before  # logged before the answer
    assert served[("a", 201)] > 0 and served[("b", 201)] > 0, served
    failed = sum(load.retried.values())
    print(
        f"\nfailover: {failed} answers retried by the client ({dict(load.retried)}); "
        f"served {dict(served)}"
    )


def test_the_killed_instance_is_back_in_rotation_once_restarted(app_ctx, site: Site) -> None:
    """Instance A (killed above) starts again on its port: nginx sends it requests again
    within its fail_timeout (10 s), with no reload and no client noticing anything."""
    site.a.stop()  # reaps the killed process, if the test above ran
    site.a.start()
    http = site.http()
    before = site.served("GET", "/healthz")
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(http.get(site.url + "/healthz", timeout=30).status_code)
        if (site.served("GET", "/healthz") - before)[("a", 200)] >= 2:
            break
        time.sleep(0.5)
    back = site.served("GET", "/healthz") - before
    assert back[("a", 200)] >= 2, site.proxy.access_lines()[-5:]
    assert set(statuses) == {200}


def test_with_no_instance_left_nginx_answers_503_problem_json(app_ctx, site: Site) -> None:
    """Both instances gone: nginx's own answer is the platform's 503 problem+json with
    Retry-After, for a read and for a write alike (never an HTML error page)."""
    site.a.stop()
    site.b.stop()
    http = site.http()
    for r in (
        http.get(site.url + "/api/v1/enterprises", timeout=30),
        http.post(
            site.url + "/api/v1/violations", json={}, headers={"Idempotency-Key": "k1"}, timeout=30
        ),
    ):
        assert r.status_code == 503
        assert r.headers["Content-Type"] == "application/problem+json"
        assert r.headers["Retry-After"] == "5"
        problem = r.json()
        assert (problem["status"], problem["title"]) == (503, "服务暂不可用")
        assert "Idempotency-Key" in problem["detail"]
        assert problem["request_id"] == r.headers["X-Request-ID"]
