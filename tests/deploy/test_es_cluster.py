"""Elasticsearch as a cluster: three nodes on loopback, one replica, a node lost under load.

``scripts/services.sh es-cluster`` starts three nodes (the same integration-test zip as the
shared node, 384 MB heaps, their own ports and state directory, never the shared node); the
app (real gunicorn, 2 workers) lists all three in ``CREDIT_SEARCH_URL`` with
``CREDIT_SEARCH_REPLICAS=1``. While searches and violation writes run over HTTP, the node
holding the enterprises index's primary shard is stopped (SIGTERM, SIGKILL after a bounded
wait). Searches must keep answering (the client retries a refused connection on another
node, and the replica is promoted), no write may be lost (every written record is found by
search at the end, and ``flask search check --no-repair`` is clean), and the cluster goes
green again once the node is back.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import RUN_ID, make_app, reset_state, unavailable
from tests.server import ROOT, GunicornServer

SERVICES = ROOT / "scripts" / "services.sh"
NODES = 3


def _ports_free(ports: list[int]) -> bool:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _free_base() -> int:
    """A base port whose three HTTP ports and three transport ports (+100) are free."""
    for _ in range(200):
        base = random.randrange(20000, 30000)
        if _ports_free([base + i for i in range(NODES)] + [base + 100 + i for i in range(NODES)]):
            return base
    raise RuntimeError("no free block of ports for the cluster")


@dataclass
class Cluster:
    base: int
    state: Path
    env: dict[str, str]
    urls: list[str] = field(default_factory=list)

    def services(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(SERVICES), "es-cluster", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def health(self, **params: str) -> dict:
        for url in self.urls:
            try:
                r = requests.get(f"{url}/_cluster/health", params=params, timeout=70)
                return r.json()
            except requests.RequestException:
                continue
        return {}

    def pid(self, node: int) -> int | None:
        pidfile = self.state / f"node{node}" / "run" / "elasticsearch.pid"
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None


@pytest.fixture(scope="module")
def es_cluster() -> Iterator[Cluster]:
    if shutil.which("java") is None and not Path("/usr/lib/jvm").is_dir():
        unavailable("no JDK for Elasticsearch (scripts/services.sh explains what to install)")
    base = _free_base()
    state = Path(tempfile.mkdtemp(prefix="credit-es-cluster-"))
    state.chmod(0o755)  # the nodes run as the services user when the tests run as root
    env = {
        **os.environ,
        "CREDIT_ES_CLUSTER_PORT": str(base),
        "CREDIT_ES_CLUSTER_DIR": str(state),
    }
    cluster = Cluster(base, state, env, [f"http://127.0.0.1:{base + i}" for i in range(NODES)])
    try:
        up = cluster.services("up", timeout=400)
        if up.returncode != 0:
            unavailable(f"the 3-node cluster did not start:\n{up.stdout}\n{up.stderr}")
        yield cluster
    finally:
        down = cluster.services("down", timeout=180)
        for node in range(1, NODES + 1):  # whatever `down` left behind, by its own pid
            pid = cluster.pid(node)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(state, ignore_errors=True)
        assert down.returncode == 0, down.stderr


def test_cluster_ports_never_overlap_the_shared_node() -> None:
    r = subprocess.run(
        ["bash", str(SERVICES), "es-cluster", "status"],
        env={**os.environ, "CREDIT_ES_PORT": "59200", "CREDIT_ES_CLUSTER_PORT": "59199"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode != 0 and "overlaps the shared node's port 59200" in r.stderr


@dataclass
class Tally:
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, good: bool, what: str) -> None:
        with self.lock:
            if good:
                self.ok += 1
            else:
                self.failed.append(what)


def test_losing_a_node_under_load(es_cluster: Cluster, app_config: dict, tmp_path: Path) -> None:
    from credit import changes
    from credit.extensions import db
    from search.documents import ENTERPRISES
    from tests.helpers import import_records, sample_records
    from tests.parties import make_parties

    config = {
        **app_config,
        "SEARCH_URL": ",".join(es_cluster.urls),
        "SEARCH_REPLICAS": 1,
        "SEARCH_INDEX_PREFIX": f"cl{RUN_ID}",
    }
    app = make_app(config)
    reset_state(app)  # empty tables; this run's indices created on the cluster
    backend = app.extensions["credit.search"]
    with app.app_context():
        parties = make_parties()
        records = sample_records(300, seed=18)
        import_records(records)
        settings = backend.client.indices.get_settings(index=backend.alias(ENTERPRISES))
        assert next(iter(settings.values()))["settings"]["index"]["number_of_replicas"] == "1"
    assert es_cluster.health(wait_for_status="green", timeout="60s")["status"] == "green"

    server = GunicornServer(config, tmp_path / "gunicorn.log", workers=2).start()
    http = requests.Session()
    http.trust_env = False
    try:
        r = http.post(
            server.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=parties.clients["reg_in"].basic(),
            timeout=30,
        )
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        words = [rec["name"][3:5] for rec in records[:40]]
        searches, writes = Tally(), Tally()
        written: list[str] = []
        stop = threading.Event()

        def search_loop(seed: int) -> None:
            rnd = random.Random(seed)
            with requests.Session() as s:
                s.trust_env = False
                while not stop.is_set():
                    kind = rnd.choice(["enterprise", "violation"])
                    try:
                        r = s.get(
                            server.url + "/api/v1/search",
                            params={"q": rnd.choice(words), "type": kind},
                            timeout=30,
                        )
                        searches.add(r.status_code == 200, f"{r.status_code} {r.text[:200]}")
                    except requests.RequestException as exc:
                        searches.add(False, repr(exc))

        def write_loop(worker: int) -> None:
            with requests.Session() as s:
                s.trust_env = False
                n = 0
                while not stop.is_set():
                    n += 1
                    number = f"苏市监罚〔2026〕{worker}{n:05d}号"
                    body = {
                        "uscc": parties.owner_uscc,
                        "category": "fake_orders",
                        "severity": "general",
                        "decision_number": number,
                        "legal_basis": "《中华人民共和国电子商务法》第十七条",
                        "facts": "组织虚假交易、编造用户评价",
                        "penalty_type": "fine",
                        "penalty_amount": 10000,
                        "decision_date": time.strftime("%Y-%m-%d"),
                    }
                    try:
                        r = s.post(
                            server.url + "/api/v1/violations", json=body, headers=auth, timeout=30
                        )
                    except requests.RequestException as exc:
                        writes.add(False, repr(exc))
                        continue
                    writes.add(r.status_code == 201, f"{r.status_code} {r.text[:200]}")
                    if r.status_code == 201:
                        with writes.lock:
                            written.append(number)

        threads = [threading.Thread(target=search_loop, args=(i,)) for i in range(3)]
        threads += [threading.Thread(target=write_loop, args=(i,)) for i in (1, 2)]
        for t in threads:
            t.start()
        try:
            # Load before the failure (counts, bounded in time: the machine may be busy).
            _wait_until(lambda: searches.ok >= 40 and writes.ok >= 5, 60)
            victim = _node_of_primary(es_cluster, backend.alias(ENTERPRISES))
            before = searches.ok + len(searches.failed)
            writes_before = writes.ok + len(writes.failed)
            stopped = es_cluster.services("stop-node", str(victim), timeout=120)
            assert stopped.returncode == 0, stopped.stderr
            assert es_cluster.pid(victim) is None
            health = es_cluster.health(wait_for_nodes="2", timeout="30s")
            assert health["number_of_nodes"] == 2 and health["status"] in {"yellow", "green"}
            # Load on two nodes: a few hundred searches and some writes, or 60 s.
            _wait_until(lambda: searches.ok - before >= 200 and writes.ok - writes_before >= 10, 60)
            window = searches.ok + len(searches.failed) - before
            writes_window = writes.ok + len(writes.failed) - writes_before
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        print(
            f"\nfailover: node {victim} stopped; {window} searches and {writes_window} writes "
            "from the stop to the end of the load; "
            f"searches {searches.ok} ok / {len(searches.failed)} failed; "
            f"writes {writes.ok} ok / {len(writes.failed)} failed"
        )
        assert searches.failed == [], searches.failed[:5]
        assert writes.failed == [], writes.failed[:5]
        assert window > 0 and writes_window > 0

        restarted = es_cluster.services("start-node", str(victim), timeout=300)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        health = es_cluster.health(wait_for_status="green", wait_for_nodes="3", timeout="120s")
        assert health["status"] == "green" and health["number_of_nodes"] == 3, health

        with app.app_context():
            changes.run_all(db.session)  # anything the indexer had to retry is caught up
            db.session.remove()
        for number in written:  # every 201 is searchable
            r = http.get(
                server.url + "/api/v1/search",
                params={"q": number, "type": "violation"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            found = [item["decision_number"] for item in r.json()["items"]]
            assert number in found, f"{number} was written but search does not find it"
        result = app.test_cli_runner().invoke(args=["search", "check", "--no-repair"])
        assert result.exit_code == 0, result.output
        assert "search cluster: green, 3 node(s), 0 unassigned shard(s)" in result.stderr
        assert server.alive(), server.log_tail()
    finally:
        http.close()
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _wait_until(condition, timeout: float) -> None:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (either way on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.2)


def _node_of_primary(cluster: Cluster, alias: str) -> int:
    """The node (1-3) holding the primary shard of ``alias``'s index."""
    r = requests.get(
        f"{cluster.urls[0]}/_cat/shards/{alias}", params={"format": "json"}, timeout=30
    )
    primary = next(s for s in r.json() if s["prirep"] == "p")
    return int(primary["node"].rsplit("-", 1)[1])
