"""Write throughput over HTTP as deployed: the change-feed consumers out of the web.

A registry of ``--enterprises`` firms (the demo generator; ``make bench`` passes
BENCH_ENTERPRISES) on SQLite and, when ``CREDIT_TEST_DATABASE_URL`` names a PostgreSQL
server, on a database of its own there. gunicorn runs ``deploy/gunicorn.conf.py`` with 2
workers and the web settings of a deployment with a worker process
(``CREDIT_INDEX_AFTER_COMMIT=false``, ``CREDIT_INDEXER_POLL_SECONDS=0``: requests never run
the consumers), rate limits counted in the shared Redis when one is configured.
``--clients`` threads, each an enterprise with its own OAuth token, file a pledge and
publish it (If-Match) in a loop; every tenth round a regulator thread records a violation.
Every 201/200 means the transaction committed (the unit of work commits before the
response is written).

``--rate R`` adds a run of the same mix offered at R writes per second on a fixed schedule
(an open loop, as users arrive, each write's latency counted from its due time): the
closed loop above measures the most the server can take, where the latency is mostly the
clients' own queue; the open loop measures the latency a user meets at a given load.

``--in-request`` adds the same run with the consumers in the request (the old default) for
comparison. Prints a table: writes per second, p50/p95/p99 per kind of request, peak RSS
of the web workers, and the disk's fsync latency during each run (``DiskProbe``): a
commit on SQLite (``synchronous=FULL``) and on PostgreSQL waits for one such fsync, so a
slow disk shows there rather than as a change in the code. Asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from tests.bench.bench_pledges import ROOT, Http, _cli, _free_port, _pledge, _token
from tests.bench.bench_registry import CpuMeter, table

PROVINCE = "320000"  # an authority's jurisdiction over the whole of Jiangsu


def _violation(uscc: str, n: int) -> dict:
    return {
        "uscc": uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": f"苏市监罚〔2026〕{900000 + n}号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": date.today().isoformat(),
    }


def prepare(env: dict, n: int, clients: int) -> tuple[list, tuple, list[str]]:
    """Migrate, generate ``n`` firms, seed templates; OAuth clients for ``clients`` firms
    and one province-wide regulator. Returns (firm credentials, regulator credentials,
    the USCCs a regulator records violations against).

    The commands run without the change-feed consumers (no worker runs during the
    measurement either, so rating and indexing the bulk load would only lengthen the
    preparation by minutes), and the database is vacuumed and analysed at the end: the
    measured writes meet a settled registry, not PostgreSQL's autovacuum catching up on
    200,000 fresh rows in the middle of a run."""
    env = {**env, "CREDIT_INDEX_AFTER_COMMIT": "false"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    _cli(env, "demo", "--enterprises", str(n), "--seed", "5", "--no-index", "--no-pledges")
    _cli(env, "pledges", "seed-templates")
    sys.path.insert(0, str(ROOT))
    from credit.demo import generate

    records = list(generate(min(n, 2000), seed=5))
    firms = [r["uscc"] for r in records[: clients + 50]]
    creds = []
    for uscc in firms[:clients]:
        out = json.loads(
            _cli(
                env,
                *("clients", "create", "--kind", "enterprise", "--name", "bench"),
                *("--uscc", uscc, "--scopes", "pledges:write"),
            )
        )
        creds.append((out["client_id"], out["client_secret"]))
    _cli(
        env,
        *("authorities", "create", "--code", "BENCH", "--name", "江苏省市场监督管理局"),
        *("--jurisdiction", PROVINCE, "--kind", "market_regulation"),
    )
    out = json.loads(
        _cli(
            env,
            *("clients", "create", "--kind", "regulator", "--name", "bench regulator"),
            *("--authority", "BENCH", "--scopes", "violations:write"),
        )
    )
    _settle(env["CREDIT_DATABASE_URL"])
    return creds, (out["client_id"], out["client_secret"]), firms[clients:]


def _settle(url: str) -> None:
    """What a registry in service has long had done after its bulk load: VACUUM, ANALYZE
    and a checkpoint (PostgreSQL), ANALYZE and a WAL checkpoint (SQLite), then every dirty
    page on disk. Without it the measured commits wait behind the load's writes: a
    checkpoint the load's WAL requested stalled every fsync of one open-loop run here for
    seconds (p50 2.7 s)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            c.execute(sa.text("VACUUM (ANALYZE)"))
            c.execute(sa.text("CHECKPOINT"))
        else:
            c.execute(sa.text("ANALYZE"))
            c.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    os.sync()


def _rss_mib(server: subprocess.Popen) -> float:
    """Sum of the peak RSS of the gunicorn workers (children of the master)."""
    import psutil

    total = 0.0
    for child in psutil.Process(server.pid).children():
        try:
            with open(f"/proc/{child.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


class DiskProbe:
    """The fsync latency of the disk under ``directory`` while a run drives the server:
    4 KiB appended and fsynced every ``interval`` seconds by a thread of its own (20 a
    second by default, little beside a run's hundreds of commits). A SQLite commit waits
    for one fsync of its write-ahead log inside the write lock, so when the disk's fsync
    has a tail, the writes queued behind it show it too (issue 18: SQLite's p99 at 200
    writes/s was 64-72 ms while other work wrote gigabytes to the same disk, 13-39 ms
    when it did not)."""

    def __init__(self, directory: Path, interval: float = 0.05) -> None:
        self.path = directory / "fsync-probe"
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def _probe(self) -> None:
        block = os.urandom(4096)
        with open(self.path, "ab", buffering=0) as f:
            while not self._stop.wait(self.interval):
                f.write(block)
                t = time.perf_counter()
                os.fsync(f.fileno())
                self.samples.append((time.perf_counter() - t) * 1000)

    def __enter__(self) -> DiskProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.path.unlink(missing_ok=True)

    def summary(self) -> str:
        """``p50 / p99 / max`` in ms, or ``-`` when too few were taken."""
        if len(self.samples) < 2:
            return "-"
        q = statistics.quantiles(self.samples, n=100)
        return f"{q[49]:.1f} / {q[98]:.1f} / {max(self.samples):.0f}"


def run(
    env: dict,
    creds: list,
    regulator: tuple,
    targets: list[str],
    rounds: int,
    first: int = 0,
    rate: float = 0.0,
    repeat: int = 1,
    disk: Path | None = None,
) -> list[dict]:
    """Start gunicorn on ``env``, drive the write mix ``repeat`` times in a row, stop it.
    Returns each drive's samples, with the CPU the web workers and this process (the
    load generator) spent on it. ``first``: the first decision number of this run's
    violations (each is unique); ``rate``: offer that many writes per second (an open
    loop) instead of clients writing back to back; ``disk``: where ``DiskProbe`` times
    fsync during each drive (default: the temporary directory)."""
    disk = disk or Path(tempfile.gettempdir())
    port = _free_port()
    env = {**env, "PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Http(port).call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        template = next(
            t
            for t in Http(port).call("GET", "/api/v1/pledge-templates")[2]["items"]
            if t["code"] == "ECOM-STD"
        )
        tokens = [_token(port, *c) for c in creds]
        reg_token = _token(port, *regulator)
        # Warm up, unmeasured (each worker process and thread builds its caches on its
        # first requests): a fixed schedule that starts cold never catches up.
        _closed_loop(port, template, tokens, reg_token, targets, 3, first + 9_000, 0.0)
        drive = _open_loop if rate else _closed_loop
        results = []
        for r in range(repeat):
            with CpuMeter(server.pid) as cpu, DiskProbe(disk) as probe:
                result = drive(
                    port, template, tokens, reg_token, targets, rounds, first + r * 1_000, rate
                )
            result["fsync"] = probe.summary()
            result["server_cpu"] = cpu.spent["web"]
            result["client_cpu"] = cpu.spent["load"]
            results.append({**result, "rss": _rss_mib(server)})
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


class _Tally:
    """Latencies per kind of write (answered 200/201) and the statuses of the others."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {"create": [], "publish": [], "violation": []}
        self.errors: list[int] = []
        self.lock = threading.Lock()

    def add(self, kind: str, status: int, ms: float) -> None:
        with self.lock:
            if status in (200, 201):
                self.samples[kind].append(ms)
            else:
                self.errors.append(status)


def _closed_loop(
    port: int,
    template: dict,
    tokens: list,
    reg_token: str,
    targets: list,
    rounds: int,
    first: int,
    rate: float,
) -> dict:
    """Each firm client files and publishes ``rounds`` pledges back to back, the regulator
    records a violation per ten rounds: the server's saturation throughput (the latency
    then is mostly the queue of these clients)."""
    tally = _Tally()

    def timed(h: Http, kind: str, *call) -> tuple[int, dict, dict]:
        t = time.perf_counter()
        status, headers, body = h.call(*call)
        tally.add(kind, status, (time.perf_counter() - t) * 1000)
        return status, headers, body

    def firm(token: str) -> None:
        h = Http(port)
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(rounds):
            status, headers, body = timed(
                h, "create", "POST", "/api/v1/pledges", _pledge(template), auth
            )
            if status == 201:
                timed(
                    h,
                    "publish",
                    "POST",
                    f"/api/v1/pledges/{body['id']}/publish",
                    {},
                    {**auth, "If-Match": headers["ETag"]},
                )

    def regulator_thread() -> None:
        h = Http(port)
        auth = {"Authorization": f"Bearer {reg_token}"}
        for i in range(max(1, rounds * len(tokens) // 10)):
            uscc = targets[i % len(targets)]
            timed(h, "violation", "POST", "/api/v1/violations", _violation(uscc, first + i), auth)

    threads = [threading.Thread(target=firm, args=(t,)) for t in tokens]
    threads.append(threading.Thread(target=regulator_thread))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "samples": tally.samples,
        "errors": tally.errors,
        "seconds": time.perf_counter() - started,
    }


def _open_loop(
    port: int,
    template: dict,
    tokens: list,
    reg_token: str,
    targets: list,
    rounds: int,
    first: int,
    rate: float,
) -> dict:
    """The same mix offered at ``rate`` writes per second on a fixed schedule, whatever the
    answers take (an open loop, as users arrive): every write has its due time, and its
    latency counts from then, so time a write waits for a free client connection counts
    too (no coordinated omission). The slots go, in turn: a violation every 21st, else the
    publish of a pledge already created, else a new pledge of the next firm."""
    tally = _Tally()
    jobs: queue.Queue = queue.Queue()
    created: collections.deque = collections.deque()  # (token, pledge id, ETag)
    total = rounds * len(tokens) * 2 + max(1, rounds * len(tokens) // 10)

    def sender() -> None:
        h = Http(port)
        while (job := jobs.get()) is not None:
            kind, due, token, call = job
            status, headers, body = h.call(*call)
            tally.add(kind, status, (time.perf_counter() - due) * 1000)
            if kind == "create" and status == 201:
                created.append((token, body["id"], headers["ETag"]))

    senders = [threading.Thread(target=sender) for _ in range(4 * len(tokens))]
    for t in senders:
        t.start()
    started = time.perf_counter()
    violations = 0
    for k in range(total):
        due = started + k / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if k % 21 == 20:
            auth = {"Authorization": f"Bearer {reg_token}"}
            body = _violation(targets[violations % len(targets)], first + violations)
            violations += 1
            jobs.put(("violation", due, reg_token, ("POST", "/api/v1/violations", body, auth)))
        elif created:
            token, pledge_id, etag = created.popleft()
            auth = {"Authorization": f"Bearer {token}", "If-Match": etag}
            path = f"/api/v1/pledges/{pledge_id}/publish"
            jobs.put(("publish", due, token, ("POST", path, {}, auth)))
        else:
            token = tokens[k % len(tokens)]
            auth = {"Authorization": f"Bearer {token}"}
            jobs.put(("create", due, token, ("POST", "/api/v1/pledges", _pledge(template), auth)))
    for _ in senders:
        jobs.put(None)
    for t in senders:
        t.join()
    return {
        "samples": tally.samples,
        "errors": tally.errors,
        "seconds": time.perf_counter() - started,
    }


def _pct(values: list[float]) -> list[str]:
    if len(values) < 2:
        return ["-", "-", "-"]
    q = statistics.quantiles(values, n=100)
    return [f"{q[49]:.1f}", f"{q[94]:.1f}", f"{q[98]:.1f}"]


def rows_of(label: str, result: dict) -> list[list[object]]:
    samples = result["samples"]
    every = [x for v in samples.values() for x in v]
    answered = max(1, len(every) + len(result["errors"]))
    rows = [
        [
            label,
            "all writes",
            len(every),
            f"{len(every) / result['seconds']:.0f}",
            *_pct(every),
            len(result["errors"]),
            f"{result['server_cpu'] * 1000 / answered:.1f}",
            f"{result['client_cpu'] * 1000 / answered:.1f}",
            f"{result['rss']:.0f}",
            result.get("fsync", "-"),
        ]
    ]
    for kind, values in samples.items():
        rows.append([label, kind, len(values), "", *_pct(values), "", "", "", "", ""])
    return rows


def _postgres_database(admin_url: str, name: str, drop: bool) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=200_000)
    ap.add_argument("--clients", type=int, default=8, help="concurrent enterprise clients")
    ap.add_argument(
        "--rounds", type=int, default=150, help="pledges each client files (2,520 writes a run)"
    )
    ap.add_argument(
        "--in-request",
        action="store_true",
        help="also run with the consumers in the request (the old default), for comparison",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="also offer this many writes per second on a fixed schedule (an open loop): "
        "the latency a user meets at that load",
    )
    ap.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    ap.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn worker processes (0: deploy/gunicorn.conf.py's default for this machine)",
    )
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="drive each mode this many times in a row on one server (runs here vary; "
        "the CPU columns show how fast the machine was during each)",
    )
    args = ap.parse_args()
    if not 1 <= args.repeat <= 9:
        ap.error("--repeat: 1 to 9 (each run's violations take their own decision numbers)")
    # a SIGTERM (an interrupted make bench) still drops the database and the directory
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    pg_admin = os.environ.get("CREDIT_TEST_DATABASE_URL", "")
    redis = os.environ.get("CREDIT_TEST_REDIS_URL", "")
    work = Path(tempfile.mkdtemp(prefix="credit-bench-writes-"))
    base = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(work),
        "CREDIT_SEARCH_URL": "",
        "CREDIT_LOG_LEVEL": "WARNING",
        "CREDIT_RATELIMIT_TOKEN": "100000 per minute",
        "CREDIT_RATELIMIT_TOKEN_ADDRESS": "100000 per minute",
        "CREDIT_RATELIMIT_STORAGE_URL": redis or "memory://",
        "CREDIT_RATELIMIT_KEY_PREFIX": f"benchwrites{os.getpid()}",
        "GUNICORN_THREADS": str(args.threads),
    }
    if args.workers:
        base["WEB_CONCURRENCY"] = str(args.workers)
    else:
        base.pop("WEB_CONCURRENCY", None)
    workers = args.workers or min(4, (os.cpu_count() or 1) * 2)  # as gunicorn.conf.py
    databases = []
    if args.only != "postgresql":
        databases.append(("SQLite", f"sqlite:///{work / 'credit.db'}"))
    pg_name = f"credit_bench_writes_{os.getpid()}"
    if pg_admin and args.only != "sqlite":
        databases.append(("PostgreSQL", _postgres_database(pg_admin, pg_name, drop=False)))
    modes = [("consumers in worker", "false", 0.0)]
    if args.rate:
        modes.append((f"consumers in worker, {args.rate:g}/s offered", "false", args.rate))
    if args.in_request:
        modes.append(("consumers in request", "true", 0.0))
    rows: list[list[object]] = []
    try:
        for label, url in databases:
            env = {**base, "CREDIT_DATABASE_URL": url}
            creds, regulator, targets = prepare(env, args.enterprises, args.clients)
            for m, (mode, after_commit, rate) in enumerate(modes):
                if after_commit == "true":
                    # The consumers deliver in the request from now on: first they catch
                    # up on the preparation's events (unmeasured), as in a deployment that
                    # ran them all along; else the first request would carry the backlog.
                    _cli(env, "index", "catch-up")
                results = run(
                    {
                        **env,
                        "CREDIT_INDEX_AFTER_COMMIT": after_commit,
                        "CREDIT_INDEXER_POLL_SECONDS": "0",
                    },
                    creds,
                    regulator,
                    targets,
                    args.rounds,
                    first=m * 10_000,
                    rate=rate,
                    repeat=args.repeat,
                    disk=work,
                )
                for r, result in enumerate(results):
                    run_label = f" (run {r + 1})" if args.repeat > 1 else ""
                    rows.extend(rows_of(f"{label}, {mode}{run_label}", result))
        table(
            f"Writes over HTTP, {args.enterprises:,} enterprises: gunicorn {workers} workers x "
            f"{args.threads} threads, {args.clients} firm clients (create + publish) and a "
            f"regulator (violation POST); latency in ms; CPU ms a write of the {workers} web "
            f"workers and of the load generator; peak RSS of the {workers} workers",
            [
                "database",
                "request",
                "count",
                "writes/s",
                "p50",
                "p95",
                "p99",
                "errors",
                "web CPU",
                "client CPU",
                "RSS MiB",
                "disk fsync ms p50 / p99 / max",
            ],
            rows,
        )
    finally:
        if pg_admin and args.only != "sqlite":
            _postgres_database(pg_admin, pg_name, drop=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
