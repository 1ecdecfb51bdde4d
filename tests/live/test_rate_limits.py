"""Rate limits over the real server: counters shared by every gunicorn worker (Redis), and
the client address right behind a real nginx and without one.

The attack these replay: wrong client secrets spread over 4 workers went through 4 times
over (each worker counted alone), and behind the proxy every client shared the proxy's
address, so an attacker's burst locked a regulator out.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa
from requests.adapters import HTTPAdapter

from credit.accounts.models import AuthEvent
from credit.extensions import db
from tests.conftest import unavailable
from tests.live.nginx import NginxProxy
from tests.parties import make_parties
from tests.server import GunicornServer

GRANT = {"grant_type": "client_credentials"}
#: gunicorn's own access log, naming the worker (pid) that answered each request.
ACCESS_LOG = {
    "GUNICORN_CMD_ARGS": (
        "--access-logfile - --access-logformat 'access pid=%(p)s %(m)s %(U)s %(s)s'"
    )
}
ACCESS_LINE = re.compile(r"access pid=<(\d+)> POST /oauth/token (\d{3})")


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a chosen loopback address (127.0.0.2, 127.0.0.3 ...): each stands for
    a different client machine."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(source: str, verify: str | bool = True) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never through a configured proxy
    s.verify = verify
    adapter = SourceAddressAdapter(source)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def token(session: requests.Session, url: str, client, secret: str, **headers: str):
    return session.post(
        url + "/oauth/token",
        data=GRANT,
        auth=(client.client_id, secret),
        headers={"Connection": "close", **headers},
        timeout=30,
    )


def audit_addresses(client_id: str) -> Counter:
    """Where the server saw each token request for ``client_id`` come from (its audit)."""
    db.session.remove()
    rows = db.session.scalars(
        sa.select(AuthEvent.remote_addr).where(
            AuthEvent.event == "token", AuthEvent.client_id == client_id
        )
    )
    return Counter(rows)


def assert_too_many(r: requests.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert 0 < int(r.headers["Retry-After"]) <= 60
    body = r.json()
    assert body["status"] == 429 and body["title"] == "请求过于频繁"


@pytest.fixture(scope="module")
def shared_config(app_config: dict, redis_url: str) -> dict:
    """The run's database and index, with counters in the run's Redis (the keys every
    test's reset clears)."""
    assert app_config["RATELIMIT_STORAGE_URL"] == redis_url
    return app_config


@pytest.fixture(scope="module")
def four_workers(app, shared_config: dict, tmp_path_factory) -> Iterator[GunicornServer]:
    log = tmp_path_factory.mktemp("four_workers") / "server.log"
    server = GunicornServer(shared_config, log, workers=4, extra_env=ACCESS_LOG).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    path = os.environ.get("CREDIT_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(path, os.X_OK):
        unavailable("nginx is not installed (scripts/services.sh up installs Debian's)")
    return path


@pytest.fixture(scope="module")
def proxied(app, shared_config: dict, nginx_bin: str, tmp_path_factory) -> Iterator[NginxProxy]:
    """gunicorn behind Debian's nginx running deploy/nginx/credit-platform.conf (this one
    server standing for both instances); the app trusts 1 proxy."""
    log = tmp_path_factory.mktemp("proxied") / "server.log"
    server = GunicornServer({**shared_config, "TRUSTED_PROXIES": 1}, log, workers=2).start()
    proxy = NginxProxy(nginx_bin, server.port)
    try:
        yield proxy.start()
    finally:
        proxy.stop()
        server.stop()


def test_the_limit_holds_across_four_workers(app_ctx, four_workers: GunicornServer) -> None:
    """40 wrong secrets for one client, each on a new connection: exactly the first 30 are
    answered (401), the 31st and later get 429, whichever worker answers."""
    parties = make_parties()
    owner, other = parties.clients["owner"], parties.clients["other"]
    http = session_from("127.0.0.1")
    answers = [token(http, four_workers.url, owner, "wrong-secret") for _ in range(40)]
    assert [r.status_code for r in answers] == [401] * 30 + [429] * 10
    for r in answers[30:]:
        assert_too_many(r)

    # A worker writes its access line after the answer has left: on a busy machine the
    # last line may still be on its way when the client has read the answer.
    deadline = time.monotonic() + 10
    while True:
        served = [(pid, int(s)) for pid, s in ACCESS_LINE.findall(four_workers.log_text())]
        if len(served) >= 40 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [status for _, status in served] == [401] * 30 + [429] * 10
    workers = set(four_workers.worker_pids())
    assert {pid for pid, _ in served} <= {str(p) for p in workers}
    assert len({pid for pid, _ in served}) > 1, "the requests all reached one worker"
    # Shared counting: a worker answered 429 before it had itself seen 30 attempts.
    refused_by = {pid for pid, status in served if status == 429}
    answered = Counter(pid for pid, status in served if status == 401)
    assert any(answered[pid] < 30 for pid in refused_by)

    # The count is per client id: another client from the same address still gets in.
    r = token(http, four_workers.url, other, other.secret)
    assert r.status_code == 200 and r.json()["access_token"]


def test_behind_nginx_one_clients_burst_does_not_limit_another(
    app_ctx, proxied: NginxProxy
) -> None:
    """An attacker (127.0.0.2) bursts wrong secrets for the regulator's client id through
    the proxy until refused; the regulator itself (127.0.0.3) still gets its token."""
    parties = make_parties()
    regulator = parties.clients["reg_in"]
    attacker = session_from("127.0.0.2", verify=str(proxied.cert))
    statuses = [token(attacker, proxied.url, regulator, "guess").status_code for _ in range(31)]
    assert statuses == [401] * 30 + [429]
    assert_too_many(token(attacker, proxied.url, regulator, "guess"))

    own_address = session_from("127.0.0.3", verify=str(proxied.cert))
    r = token(own_address, proxied.url, regulator, regulator.secret)
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
    # The server saw each client's own address, not nginx's 127.0.0.1.
    assert audit_addresses(regulator.client_id) == {"127.0.0.2": 30, "127.0.0.3": 1}


def test_behind_nginx_a_forged_forwarded_for_is_ignored(app_ctx, proxied: NginxProxy) -> None:
    """nginx appends the address it saw; the app takes exactly that one. A client cannot
    pose as another address, neither to escape its own limit nor to use up another's."""
    parties = make_parties()
    owner = parties.clients["owner"]
    attacker = session_from("127.0.0.2", verify=str(proxied.cert))
    statuses = [token(attacker, proxied.url, owner, "guess").status_code for _ in range(31)]
    assert statuses == [401] * 30 + [429]
    # Forging another address does not open a new count for the limited attacker ...
    for forged in ("127.0.0.9", "10.1.2.3, 127.0.0.9", "203.0.113.7"):
        assert_too_many(token(attacker, proxied.url, owner, "guess", **{"X-Forwarded-For": forged}))
    # ... and a client naming the limited address is keyed on its own (127.0.0.4).
    other = session_from("127.0.0.4", verify=str(proxied.cert))
    r = token(other, proxied.url, owner, "guess", **{"X-Forwarded-For": "127.0.0.2"})
    assert r.status_code == 401
    assert audit_addresses(owner.client_id) == {"127.0.0.2": 30, "127.0.0.4": 1}


def test_without_a_proxy_forwarded_for_changes_nothing(app_ctx, live, shared_config) -> None:
    """CREDIT_TRUSTED_PROXIES=0 (the shared live server): the connecting address is the
    client, whatever X-Forwarded-For says."""
    parties = make_parties()
    owner = parties.clients["owner"]
    http = session_from("127.0.0.1")
    statuses = [
        token(http, live.url, owner, "guess", **{"X-Forwarded-For": f"10.0.0.{n}"}).status_code
        for n in range(31)
    ]
    assert statuses == [401] * 30 + [429]
    assert audit_addresses(owner.client_id) == {"127.0.0.1": 30}


def test_per_worker_counters_are_announced_at_start(app, app_config: dict, tmp_path) -> None:
    """memory:// with several workers (make run without Redis): allowed in development,
    but gunicorn's log says once what it costs."""
    config = {**app_config, "ENV": "development", "RATELIMIT_STORAGE_URL": "memory://"}
    server = GunicornServer(config, tmp_path / "server.log", workers=2).start()
    try:
        log = server.log_text()
    finally:
        server.stop()
    assert "rate limits are counted in each of the 2 workers alone" in log
    assert "CREDIT_RATELIMIT_STORAGE_URL" in log


def test_gunicorn_takes_no_scheme_from_forwarded_headers(live) -> None:
    """Gunicorn's default trusts X-Forwarded-Proto from any loopback peer; ours trusts no
    forwarded header, so only CREDIT_TRUSTED_PROXIES (0 here) decides."""
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}
    r = live.get("/.well-known/oauth-authorization-server", headers=forged)
    assert r.status_code == 200
    assert r.json()["issuer"].startswith("http://127.0.0.1:")
