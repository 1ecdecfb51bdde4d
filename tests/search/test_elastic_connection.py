"""How the app reaches Elasticsearch: several nodes, retries on another node, the shard
layout of new generations, authentication and TLS.

The integration-test distribution has no security module, so a server that checks an API
key over TLS is stood up here as nginx (Debian's package) on loopback with a test
certificate, checking the ``Authorization`` header and proxying to the shared node. What
this proves: the client sends the key, verifies the server against the configured CA and
refuses a server it cannot verify. What it cannot prove: Elasticsearch's own realms and
role checks (docs/deploying/elasticsearch.md says so).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.cluster import ElasticOptions
from search.documents import ENTERPRISES, enterprise_document
from tests.conftest import unavailable
from tests.live.nginx import make_certificate
from tests.search.conftest import load, transient_enterprise
from tests.server import free_port


def dead_url() -> str:
    """A loopback port where nothing listens: a real connection refusal."""
    return f"http://127.0.0.1:{free_port()}"


def test_client_has_every_node_no_sniffing_and_retries() -> None:
    from search.elastic import ElasticBackend

    nodes = ["http://10.0.0.1:9200", "http://10.0.0.2:9200", "http://10.0.0.3:9200"]
    b = ElasticBackend(",".join(nodes), "x", ElasticOptions(max_retries=4, request_timeout=7))
    pool = sorted(
        f"{n.config.scheme}://{n.config.host}:{n.config.port}"
        for n in b.client.transport.node_pool.all()
    )
    assert pool == nodes
    assert b.client.transport._sniff_on_start is False
    assert b.client.transport._sniff_on_node_failure is False
    assert b.client._max_retries == 4 and b.client._retry_on_timeout is True
    assert b.client._request_timeout == 7
    assert "authorization" not in b.client._headers


def test_client_carries_api_key_or_basic_auth_and_the_ca(tmp_path: Path) -> None:
    from search.elastic import ElasticBackend

    cert, _ = make_certificate(tmp_path)
    b = ElasticBackend(
        "https://es1:9200,https://es2:9200",
        "x",
        ElasticOptions(api_key="a2V5aWQ6c2VjcmV0", ca_certs=str(cert)),
    )
    assert b.client._headers["authorization"] == "ApiKey a2V5aWQ6c2VjcmV0"
    configs = [n.config for n in b.client.transport.node_pool.all()]
    assert len(configs) == 2
    assert all(c.scheme == "https" and c.ca_certs == str(cert) for c in configs)
    assert all(c.verify_certs for c in configs)  # never switched off
    b = ElasticBackend("https://es1:9200", "x", ElasticOptions(username="u", password="p"))
    assert b.client._headers["authorization"] == "Basic dTpw"  # base64("u:p")


def test_app_builds_its_backend_from_the_settings() -> None:
    from search.cluster import elastic_options

    opts = elastic_options(
        {
            "CREDIT_SEARCH_SHARDS": 2,
            "CREDIT_SEARCH_REPLICAS": 1,
            "CREDIT_SEARCH_TIMEOUT": 5.0,
            "CREDIT_SEARCH_MAX_RETRIES": 3,
            "CREDIT_SEARCH_API_KEY": "",
            "CREDIT_SEARCH_USERNAME": "u",
            "CREDIT_SEARCH_PASSWORD": "p",
            "CREDIT_SEARCH_CA_CERTS": "",
        }
    )
    assert opts == ElasticOptions(2, 1, 5.0, 3, "", "u", "p", "")
    assert opts.client_kwargs()["basic_auth"] == ("u", "p")


@pytest.fixture
def es_prefix() -> str:
    return f"c{uuid.uuid4().hex[:10]}"


def test_a_dead_node_in_the_list_is_skipped(
    es_url: str, es_prefix: str, demo_records, caplog: pytest.LogCaptureFixture
) -> None:
    """Two of three listed nodes refuse connections: every call still succeeds, on the
    live one (the client marks a failed node dead and retries on the next). Each retry
    is logged on one line, not with a forty-line traceback."""
    from search.elastic import ElasticBackend

    b = ElasticBackend([dead_url(), es_url, dead_url()], es_prefix)
    try:
        b.ensure_index(ENTERPRISES)
        load(b, demo_records[:50])
        for _ in range(40):
            assert b.count(ENTERPRISES) == 50
        assert b.ping()
        retries = [r for r in caplog.records if r.getMessage().startswith("Retrying request")]
        assert retries, "a dead node was never tried"
        for r in retries:
            assert r.exc_info is None and "ConnectionError" in r.getMessage()
    finally:
        ElasticBackend(es_url, es_prefix).drop(ENTERPRISES)


def test_shards_and_replicas_apply_to_new_generations(es_url: str, es_prefix: str) -> None:
    from search.elastic import ElasticBackend

    b = ElasticBackend(es_url, es_prefix, ElasticOptions(shards=2, replicas=1))
    try:
        b.ensure_index(ENTERPRISES)
        target = b.begin_rebuild(ENTERPRISES)  # a rebuild's generation too
        settings = b.client.indices.get_settings(index=f"{b.alias(ENTERPRISES)}-g*")
        assert len(settings) == 2 and target in settings
        for s in settings.values():
            assert s["settings"]["index"]["number_of_shards"] == "2"
            assert s["settings"]["index"]["number_of_replicas"] == "1"
        health = b.health()
        # one node cannot hold a replica of its own shards: yellow, and it says so
        assert health is not None and health["nodes"] >= 1
        assert health["status"] in {"green", "yellow"}
    finally:
        b.drop(ENTERPRISES)


class TlsGate:
    """nginx on loopback: TLS with a test certificate, 401 unless the request carries
    ``Authorization: ApiKey <key>``, then proxied (without the key) to the shared node."""

    def __init__(self, nginx: str, upstream: str, api_key: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="credit-es-tls-"))
        self.dir.chmod(0o755)
        self.cert, key = make_certificate(self.dir)
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        d = self.dir
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\n"
            f"error_log {d}/error.log info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "    access_log off;\n"
            f"    client_body_temp_path {d}/client_body;\n"
            f"    proxy_temp_path {d}/proxy;\n"
            f"    fastcgi_temp_path {d}/fastcgi;\n"
            f"    uwsgi_temp_path {d}/uwsgi;\n"
            f"    scgi_temp_path {d}/scgi;\n"
            "    server {\n"
            f"        listen 127.0.0.1:{self.port} ssl;\n"
            f"        ssl_certificate {self.cert};\n"
            f"        ssl_certificate_key {key};\n"
            "        location / {\n"
            f'            if ($http_authorization != "ApiKey {api_key}") {{\n'
            "                add_header Content-Type application/json always;\n"
            '                return 401 \'{"error":"missing or wrong API key"}\';\n'
            "            }\n"
            f"            proxy_pass {upstream};\n"
            '            proxy_set_header Authorization "";\n'
            "            proxy_http_version 1.1;\n"
            '            proxy_set_header Connection "";\n'
            "        }\n"
            "    }\n"
            "}\n"
        )
        self.proc = subprocess.Popen(
            [nginx, "-p", str(d), "-e", str(d / "error.log"), "-c", str(d / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(d / 'error.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not listen within 20 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def tls_gate(es_url: str) -> Iterator[TlsGate]:
    nginx = os.environ.get("CREDIT_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        unavailable("nginx is not installed (scripts/services.sh up installs it)")
    gate = TlsGate(nginx, es_url, "a2V5aWQ6c2VjcmV0")
    yield gate
    gate.stop()


def test_https_with_api_key_and_private_ca(tls_gate: TlsGate, es_prefix: str, demo_records) -> None:
    from search.elastic import ElasticBackend

    good = ElasticOptions(api_key="a2V5aWQ6c2VjcmV0", ca_certs=str(tls_gate.cert))
    b = ElasticBackend(tls_gate.url, es_prefix, good)
    try:
        b.ensure_index(ENTERPRISES)
        load(b, demo_records[:30])
        assert b.count(ENTERPRISES) == 30
        assert b.ping() and b.health() is not None

        # The system CAs do not know the test CA: the client refuses the server.
        unverified = ElasticBackend(tls_gate.url, es_prefix, ElasticOptions(api_key="x"))
        assert not unverified.ping() and unverified.health() is None
        # A wrong key gets the gate's 401, which is not retried and not "ready".
        wrong = ElasticBackend(
            tls_gate.url, es_prefix, ElasticOptions(api_key="d3Jvbmc=", ca_certs=good.ca_certs)
        )
        assert not wrong.ping()
        from elasticsearch import AuthenticationException

        with pytest.raises(AuthenticationException):
            wrong.count(ENTERPRISES)
    finally:
        b.drop(ENTERPRISES)


def test_search_check_reports_the_cluster(clean_app, search_kind: str) -> None:
    result = clean_app.test_cli_runner().invoke(args=["search", "check", "--no-repair"])
    assert result.exit_code == 0, result.output
    if search_kind == "elasticsearch":
        line = next(x for x in result.stderr.splitlines() if x.startswith("search cluster: "))
        status = line.split()[2].rstrip(",")
        assert status in {"green", "yellow"} and "node(s)" in line
    else:  # the embedded backend has no cluster to report on
        assert "search cluster" not in result.stderr


def test_a_new_generation_is_warmed_before_it_serves(
    es_url: str, es_prefix: str, demo_records, caplog: pytest.LogCaptureFixture
) -> None:
    """A rebuilt generation is searched before the swap, the way users will search it
    (facets, sorts, fragments and names from its own documents), and leaves nothing in
    the request cache: the first searches after a swap find it read, not cold."""
    from search.elastic import ElasticBackend

    b = ElasticBackend(es_url, es_prefix)
    try:
        b.ensure_index(ENTERPRISES)
        target = b.begin_rebuild(ENTERPRISES)
        docs = [enterprise_document(transient_enterprise(r)) for r in demo_records[:300]]
        b.write(ENTERPRISES, docs, target=target)
        with caplog.at_level("INFO", logger="search.elastic"):
            b.finish_rebuild(ENTERPRISES, target)  # refresh, merge, warm, swap
        said = [
            r.getMessage() for r in caplog.records if "warmed before the swap" in r.getMessage()
        ]
        assert len(said) == 1 and target in said[0]
        stats = b.client.indices.stats(index=target, metric="search,request_cache")
        totals = stats["indices"][target]["total"]
        assert totals["search"]["query_total"] > 100  # nobody else has searched it yet
        assert totals["request_cache"]["memory_size_in_bytes"] == 0
        assert list(b.client.indices.get_alias(name=b.alias(ENTERPRISES))) == [target]
        assert b.count(ENTERPRISES) == 300
    finally:
        b.drop(ENTERPRISES)
