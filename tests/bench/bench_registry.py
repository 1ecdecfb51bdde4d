"""Registry benchmark: demo generation, indexing into both backends, search latency.

Run with ``make bench`` (``BENCH_ENTERPRISES`` sets the size; default 1,000,000). Each
heavy phase runs as the real CLI command in a child process, so its wall time and peak
memory (max RSS) are those an operator would see. Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "credit"]

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(r.returncode, time.perf_counter() - t,"
    " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def database_url(env: dict[str, str], data: str | Path) -> str:
    """The database a bench run uses: ``CREDIT_DATABASE_URL`` when set (an empty
    PostgreSQL database, to measure the production pair), else the instance's SQLite file."""
    return env.get("CREDIT_DATABASE_URL") or f"sqlite:///{Path(data) / 'credit.db'}"


def database_label(env: dict[str, str], data: str | Path) -> str:
    """ "PostgreSQL" or "SQLite": printed in the tables, so a figure names its database."""
    return "PostgreSQL" if database_url(env, data).startswith("postgresql") else "SQLite"


#: The benchmarks' own PostgreSQL database (``--postgresql``), on the server of
#: ``CREDIT_TEST_DATABASE_URL``: never the tests' database.
BENCH_DATABASE = "credit_bench"


_DROP = f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'


def postgresql_database(create: bool = False) -> str:
    """The URL of ``BENCH_DATABASE``; ``create``: dropped (if there) and created empty."""
    url = _server_url()
    if create:
        _on_server(
            url, _DROP, f"CREATE DATABASE \"{BENCH_DATABASE}\" ENCODING 'UTF8' TEMPLATE template0"
        )
    return url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def drop_postgresql_database() -> None:
    """Drop ``BENCH_DATABASE`` (the end of a ``--postgresql`` run)."""
    _on_server(_server_url(), _DROP)


def _server_url():
    import sqlalchemy as sa

    server = os.environ.get("CREDIT_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        raise SystemExit("--postgresql needs CREDIT_TEST_DATABASE_URL (scripts/services.sh env)")
    return sa.engine.make_url(server)


def _on_server(url, *statements: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``cmd``; return (seconds, peak RSS in MiB) of that command alone."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rc, seconds, maxrss_kib = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed with {rc}: {out.stderr[-2000:]}")
    return float(seconds), int(maxrss_kib) / 1024


def _is_elasticsearch(proc) -> bool:
    """Is this ``psutil`` process (its ``cmdline`` fetched) a local Elasticsearch JVM?"""
    return "org.elasticsearch.bootstrap.Elasticsearch" in " ".join(proc.info["cmdline"] or [])


def es_rss_mib() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    for p in psutil.process_iter(["cmdline", "memory_info"]):
        if _is_elasticsearch(p):
            return p.info["memory_info"].rss / 2**20
    return None


class CpuMeter:
    """CPU seconds spent during a run, by who spent them on a machine they share: the web
    server (the workers of the gunicorn master ``server_pid``), Elasticsearch (the local
    JVMs), PostgreSQL (the local server's processes) and this process (the load
    generator). ``per_request(n)`` says it in ms a request: which of them a throughput
    limit is made of."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.spent: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        import psutil

        out = {"web": 0.0, "ES": 0.0, "PG": 0.0}

        def add(group: str, proc: psutil.Process) -> None:
            try:
                t = proc.cpu_times()
                out[group] += t.user + t.system
            except psutil.Error:
                pass

        try:
            for child in psutil.Process(self.server_pid).children():
                add("web", child)
        except psutil.Error:
            pass
        for proc in psutil.process_iter(["name", "cmdline"]):
            if _is_elasticsearch(proc):
                add("ES", proc)
            elif (proc.info["name"] or "").startswith("postgres"):
                add("PG", proc)
        out["load"] = time.process_time()
        return out

    def __enter__(self) -> CpuMeter:
        self._start = self._now()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._now()
        self.spent = {k: end[k] - self._start[k] for k in end}

    def per_request(self, n: int) -> str:
        """``web / ES / PG / load`` in CPU ms a request."""
        return " / ".join(f"{1000 * self.spent[k] / max(1, n):.2f}" for k in self.spent)


def table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    widths = [max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)))


def latency(backend, queries: list[str]) -> list[object]:
    from search.queries import search_enterprises

    for q in queries[:20]:
        search_enterprises(backend, q)  # warm caches
    samples = []
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        search_enterprises(backend, q)
        samples.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    qs = statistics.quantiles(samples, n=100)
    return [
        backend.name,
        len(queries),
        f"{len(queries) / elapsed:.0f}",
        f"{qs[49]:.1f}",
        f"{qs[94]:.1f}",
        f"{qs[98]:.1f}",
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--keep", action="store_true", help="keep the generated data directory")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="credit-bench-"))
    es_url = os.environ.get("CREDIT_TEST_SEARCH_URL", "")
    env = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(work),
        "CREDIT_SEARCH_URL": "",
        "CREDIT_SEARCH_INDEX_PREFIX": "bench",
        "CREDIT_LOG_LEVEL": "WARNING",
    }
    rows: list[list[object]] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        n = args.enterprises
        secs, mib = measured(
            [
                *FLASK,
                "demo",
                "--enterprises",
                str(n),
                "--seed",
                str(args.seed),
                "--no-index",
                "--no-pledges",
                "--no-violations",
            ],
            env,
        )
        rows.append(
            ["demo generate + insert (SQLite)", n, f"{secs:.1f}", f"{n / secs:.0f}", f"{mib:.0f}"]
        )
        secs, mib = measured([*FLASK, "index", "catch-up"], env)
        rows.append(
            ["index via change feed -> embedded", n, f"{secs:.1f}", f"{n / secs:.0f}", f"{mib:.0f}"]
        )
        if es_url:
            es_env = {**env, "CREDIT_SEARCH_URL": es_url}
            secs, mib = measured([*FLASK, "index", "reindex"], es_env)
            es = es_rss_mib()
            rows.append(
                [
                    "reindex from DB -> Elasticsearch",
                    n,
                    f"{secs:.1f}",
                    f"{n / secs:.0f}",
                    f"{mib:.0f} (+ ES JVM {es:.0f})" if es else f"{mib:.0f}",
                ]
            )
        table(
            f"Registry load, {n:,} enterprises (2 cores)",
            ["phase", "rows", "seconds", "rows/s", "peak RSS MiB"],
            rows,
        )

        os.environ.update({k: v for k, v in env.items() if k.startswith("CREDIT_")})
        from credit.demo import generate
        from search import create_backend

        rng = random.Random(7)
        names = [r["name"] for r in generate(min(n, 20000), seed=args.seed)]
        queries = []
        for _ in range(args.queries):
            name = rng.choice(names)
            kind = rng.random()
            if kind < 0.5:
                start = rng.randrange(2, max(3, len(name) - 3))
                queries.append(name[start : start + 2])  # two-character fragment
            elif kind < 0.8:
                queries.append(name)  # exact name
            else:
                queries.append(f"{name[:2]} {name[-4:-2]}")  # two terms
        backends = [create_backend("", "bench", str(work / "search-index"))]
        if es_url:
            backends.append(create_backend(es_url, "bench", ""))
        table(
            f"Search latency, {len(queries)} queries, sequential, one client",
            ["backend", "queries", "qps", "p50 ms", "p95 ms", "p99 ms"],
            [latency(b, queries) for b in backends],
        )
        if es_url:
            from search.documents import ENTERPRISES

            backends[1].drop(ENTERPRISES)
    finally:
        if args.keep:
            print(f"\ndata kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
