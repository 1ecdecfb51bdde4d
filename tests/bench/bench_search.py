"""Search benchmark: bulk indexing and search API load on a generated registry.

On the data of ``bench_ratings`` (``--data``; 1,000,000 enterprises with about 1.5 million
pledges and 0.5 million violations) and for each search backend:

1. bulk indexing: ``flask search reindex`` (every public enterprise, pledge and violation),
   documents per second and peak memory;
2. search API load: gunicorn with 2 workers over loopback, ``--clients`` concurrent
   keep-alive clients for ``--seconds``, a fixed mixed query set (enterprise fragments,
   exact names, codes, filters and sorts, pledges, violations, suggestions); throughput and
   p50/p95/p99, and in the same run the same figures for a trivial JSON endpoint
   (``/healthz``), so the cost of search shows as a ratio.

Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.bench.bench_pledges import Http, _free_port
from tests.bench.bench_ratings import measured_json
from tests.bench.bench_registry import (
    FLASK,
    ROOT,
    CpuMeter,
    database_label,
    es_rss_mib,
    postgresql_database,
    table,
)


@functools.cache
def _registry() -> list[dict]:
    from credit.demo import generate

    return list(generate(20_000, seed=1))


def query_mix(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """A fixed list of (kind, request path), drawn from the generated registry's names
    (the same request may come up more than once)."""
    rng = random.Random(seed)
    records = _registry()
    cities = sorted({r["city_code"] for r in records})
    paths = []
    for _ in range(n):
        r = rng.choice(records)
        roll = rng.random()
        if roll < 0.20:
            start = rng.randrange(2, max(3, len(r["name"]) - 3))
            kind, q = "2-char fragment", {"q": r["name"][start : start + 2]}
        elif roll < 0.32:
            kind, q = "exact name", {"q": r["name"]}
        elif roll < 0.40:
            kind, q = "USCC", {"q": r["uscc"]}
        elif roll < 0.55:
            kind, q = (
                "fragment + city + grade, by score",
                {
                    "q": r["name"][3:5],
                    "city": rng.choice(cities),
                    "grade": rng.choice(["A", "BBB", "AA"]),
                    "sort": "score",
                },
            )
        elif roll < 0.70:
            kind, q = (
                "pledges by code or name",
                {"type": "pledge", "q": rng.choice([r["uscc"], r["name"][:4]])},
            )
        elif roll < 0.85:
            kind, q = (
                "violations by category, by date",
                {
                    "type": "violation",
                    "q": rng.choice(["", r["name"][:2]]),
                    "category": rng.choice(["pricing", "false_advertising", "counterfeit"]),
                    "sort": "date",
                },
            )
        else:
            paths.append(("suggest", "/api/v1/suggest?" + urlencode({"q": r["name"][:3]})))
            continue
        paths.append((kind, "/api/v1/search?" + urlencode(q)))
    return paths


def _other_pages(path: str) -> Iterator[str]:
    """The same search's other pages within the 1,000-result window, at a few page sizes
    (several hundred requests that each count and facet every match, as the first does);
    for a suggestion, other numbers of suggestions (the same look-up)."""
    if not path.startswith("/api/v1/search?"):
        yield from (f"{path}&size={size}" for size in (5, 10, 12, 15, 20))
        return
    for size in (20, 10, 15, 12, 8, 5):
        for page in range(1, 1000 // size + 1):
            if (size, page) != (20, 1):
                yield f"{path}&page={page}&size={size}"


def fresh_mix(n: int, seen: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``n`` requests in the kinds and proportions of ``seen``, none of them in ``seen``
    nor twice, so a load that makes fewer than ``n`` measures every search cold (caches
    of no help). A search drawn again (the commonest fragments come up often: 有限 is one
    fragment in seven) is asked for another page instead (``_other_pages``), which costs
    as much: leaving repeats out, as this did before,
    left out the broadest queries and made the cold run easier than real traffic. A
    suggestion drawn again asks for another number of suggestions."""
    used = {path for _, path in seen}
    again: dict[str, Iterator[str]] = {}
    pools: dict[str, list[str]] = {kind: [] for kind, _ in seen}
    for seed in range(1000, 1040):
        for kind, path in query_mix(n, seed):
            fresh: str | None = path
            if path in used:
                if path not in again:
                    again[path] = _other_pages(path)
                fresh = next((p for p in again[path] if p not in used), None)
            if fresh is not None:
                used.add(fresh)
                pools[kind].append(fresh)
    taken = dict.fromkeys(pools, 0)
    out = []
    for i in range(n):
        kind = seen[i % len(seen)][0]
        out.append((kind, pools[kind][taken[kind] % len(pools[kind])]))
        taken[kind] += 1
    return out


def clear_result_caches(env: dict[str, str]) -> None:
    """Start from an empty Elasticsearch request cache, whatever earlier runs on the same
    indices left (the embedded backend keeps no results)."""
    import urllib.request

    if env.get("CREDIT_SEARCH_URL"):
        prefix = env["CREDIT_SEARCH_INDEX_PREFIX"]
        req = urllib.request.Request(
            f"{env['CREDIT_SEARCH_URL']}/{prefix}-*/_cache/clear?request=true", method="POST"
        )
        urllib.request.urlopen(req).read()


def request_cache_stats(es_url: str) -> dict[str, int]:
    """Elasticsearch's shard request cache counters (hits, misses, evictions, bytes)."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{es_url}/_nodes/stats/indices/request_cache") as r:
        nodes = json.load(r)["nodes"].values()
    keys = ("hit_count", "miss_count", "evictions", "memory_size_in_bytes")
    return {k: sum(n["indices"]["request_cache"][k] for n in nodes) for k in keys}


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int
    wall_ms: float
    server_ms: float  # the app's own Server-Timing figure


#: Requests a client makes on one connection before it opens a new one. Each gunicorn
#: worker accepts connections for itself, so a handful of connections that never close
#: can land unevenly (6 on one worker, 2 on the other) and the run measures that luck:
#: the same load measured 430 to 650 requests/s. Reconnecting now and then, as real
#: clients do, lets the less busy worker take the new ones.
RECONNECT_EVERY = 50


def timed_get(
    h: Http, kind: str, path: str, since: float, headers: dict[str, str] | None = None
) -> Sample:
    """GET ``path`` on ``h``'s connection: its status, the time from ``since`` (a
    ``perf_counter`` reading: when it was sent, or when it was due) to the whole answer,
    and the app's own time from its Server-Timing header."""
    h.conn.request("GET", path, headers=headers or {})
    resp = h.conn.getresponse()
    resp.read()
    wall = (time.perf_counter() - since) * 1000
    timing = resp.getheader("Server-Timing", "app;dur=0")
    server = float(timing.split("dur=", 1)[1].split(",")[0])
    return Sample(kind, resp.status, wall, server)


def drive(
    port: int,
    paths: list[tuple[str, str]],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> tuple[list[Sample], float]:
    """``clients`` keep-alive clients request ``paths`` (kind, path) in turn, each
    starting at its own offset, for ``seconds``; every response, and the time taken."""
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        h = Http(port)
        i, mine = offset, []
        while time.perf_counter() < deadline:
            if len(mine) % RECONNECT_EVERY == RECONNECT_EVERY - 1:
                h.conn.close()
                h = Http(port)
            kind, path = paths[i % len(paths)]
            i += clients
            mine.append(timed_get(h, kind, path, time.perf_counter(), headers))
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - started


#: Senders of the paced run: enough that a slow answer never holds back the next request
#: due (each sender waits for its own answer before it takes the next one).
PACED_SENDERS = 48


def paced(
    port: int, paths: list[tuple[str, str]], rate: float, seconds: float
) -> tuple[list[Sample], float]:
    """``paths`` sent at a fixed ``rate`` per second for ``seconds`` (an open loop, as
    users arrive, whatever the answers' speed), by ``PACED_SENDERS`` keep-alive senders:
    request i is due at ``i / rate`` and its time counts from then, so a request that
    waited for a free sender shows that wait (no coordinated omission). The closed loop
    of ``drive`` measures the most a server does, at whatever latency 8 clients queueing
    for 2 cores make; this measures the latency at a given load."""
    total = int(rate * seconds)
    samples: list[Sample] = []
    lock = threading.Lock()
    taken = iter(range(total))
    start = time.perf_counter() + 0.2

    def sender() -> None:
        h, mine = Http(port), []
        while True:
            with lock:
                i = next(taken, None)
            if i is None:
                break
            due = start + i / rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            if len(mine) % RECONNECT_EVERY == RECONNECT_EVERY - 1:
                h.conn.close()
                h = Http(port)
            kind, path = paths[i % len(paths)]
            mine.append(timed_get(h, kind, path, due))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=sender) for _ in range(PACED_SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - start


def replay(port: int, paths: list[tuple[str, str]], clients: int) -> None:
    """Every request of ``paths`` once, shared out over ``clients`` (a warm-up pass)."""

    def client(share: list[tuple[str, str]]) -> None:
        h = Http(port)
        for _, path in share:
            h.conn.request("GET", path)
            h.conn.getresponse().read()

    threads = [threading.Thread(target=client, args=(paths[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def load(
    port: int,
    paths: list[tuple[str, str]],
    clients: int,
    seconds: float,
    by_kind: dict[str, list[float]] | None = None,
    rate: float | None = None,
) -> list[object]:
    """A run's row: requests, requests/s, p50/p95/p99 ms, errors; closed loop with
    ``clients``, or paced at ``rate`` per second when given."""
    if rate:
        samples, elapsed = paced(port, paths, rate, seconds)
    else:
        samples, elapsed = drive(port, paths, clients, seconds)
    if by_kind is not None:
        for s in samples:
            by_kind.setdefault(s.kind, []).append(s.wall_ms)
    q = statistics.quantiles([s.wall_ms for s in samples], n=100)
    return [
        len(samples),
        f"{len(samples) / elapsed:.0f}",
        f"{q[49]:.1f}",
        f"{q[94]:.1f}",
        f"{q[98]:.1f}",
        sum(1 for s in samples if s.status != 200),
    ]


def serve(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        # Server time is read from Server-Timing, which production leaves off: ask for it.
        env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2", "CREDIT_SERVER_TIMING": "true"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if Http(port).call("GET", "/healthz")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _key(label: str) -> str:
    """A backend's name in --backends and --reindex."""
    return "elasticsearch" if "Elastic" in label else "embedded"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="instance directory of bench_ratings")
    ap.add_argument(
        "--postgresql",
        action="store_true",
        help="the registry bench_ratings --postgresql generated (the database credit_bench)",
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument(
        "--queries", type=int, default=2000, help="size of the fixed mix the warm run replays"
    )
    ap.add_argument(
        "--cold-queries",
        type=int,
        default=30000,
        help="never-repeated requests for the cold runs (more than they make)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=300,
        help="requests/s of the paced cold run (the goal's rate; 0: no paced run)",
    )
    ap.add_argument(
        "--load-only",
        action="store_true",
        help="reuse the indices a previous run left (--keep-indices): measure the load again",
    )
    ap.add_argument(
        "--reindex",
        default="embedded,elasticsearch",
        help="the backends to rebuild before the load (others reuse the "
        "indices a previous run kept)",
    )
    ap.add_argument(
        "--backends",
        default="embedded,elasticsearch",
        help="the backends to measure: embedded (tantivy), elasticsearch",
    )
    ap.add_argument(
        "--keep-indices",
        action="store_true",
        help="leave the Elasticsearch indices for a later --load-only run",
    )
    args = ap.parse_args()
    es_url = os.environ.get("CREDIT_TEST_SEARCH_URL", "")
    base = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": args.data,
        "CREDIT_LOG_LEVEL": "WARNING",
        "CREDIT_SEARCH_INDEX_PREFIX": "benchsearch",
        **({"CREDIT_DATABASE_URL": postgresql_database()} if args.postgresql else {}),
    }
    backends = [
        (
            "embedded (tantivy)",
            {
                **base,
                "CREDIT_SEARCH_URL": "",
                "CREDIT_EMBEDDED_SEARCH_PATH": str(Path(args.data) / "bench-search-index"),
            },
        )
    ]
    if es_url:
        backends.append(("Elasticsearch", {**base, "CREDIT_SEARCH_URL": es_url}))
    backends = [(label, env) for label, env in backends if _key(label) in args.backends]
    sys.path.insert(0, str(ROOT))
    paths = query_mix(args.queries)
    # Enough never-repeated requests for the cold run: more than it can make in its time.
    cold = fresh_mix(args.cold_queries, paths)
    index_rows, load_rows, kind_rows, cache_rows = [], [], [], []
    for label, env in backends:
        if not args.load_only and _key(label) in args.reindex.split(","):
            secs, mib, done = measured_json([*FLASK[:-1], "search", "reindex"], env)
            docs = sum(done["indexed"].values())
            es = f" (+ ES JVM {es_rss_mib():.0f})" if "Elastic" in label and es_rss_mib() else ""
            index_rows.append(
                [
                    label,
                    f"{docs:,}",
                    ", ".join(f"{k} {v:,}" for k, v in done["indexed"].items()),
                    f"{secs:.0f}",
                    f"{docs / secs:,.0f}",
                    f"{mib:.0f}{es}",
                ]
            )
        clear_result_caches(env)
        server, port = serve(env)
        es = "Elastic" in label
        try:
            paced_from = len(cold) - 200 - int(args.rate * args.seconds)
            runs = [
                # Cold: every request new, so Elasticsearch's request cache can answer
                # none of them (warmed up on others: connections, JIT, OS page cache).
                (
                    "cold: every request new",
                    cold[:paced_from],
                    functools.partial(load, port, cold[-200:], args.clients, 3),
                    None,
                ),
                # The same kind of requests, none of them asked before either, sent at
                # the goal's rate: the latency a user meets at that load.
                (
                    f"cold, paced: every request new, {args.rate:.0f}/s sent",
                    cold[paced_from:-200],
                    lambda: None,
                    args.rate,
                ),
                # Warm: the fixed set, replayed after one pass over it (the steady state
                # of a service that keeps seeing the same requests).
                (
                    f"warm: the fixed {len(paths):,} replayed",
                    paths,
                    functools.partial(replay, port, paths, args.clients),
                    None,
                ),
            ]
            for run, mix, prepare, rate in runs:
                if rate == 0:
                    continue
                prepare()
                before = request_cache_stats(es_url) if es else None
                by_kind: dict[str, list[float]] = {}
                with CpuMeter(server.pid) as cpu:
                    row = load(port, mix, args.clients, args.seconds, by_kind, rate)
                load_rows.append([label, f"search, {run}", *row, cpu.per_request(row[0])])
                if es:  # the node's counters (the embedded backend keeps no results)
                    after = request_cache_stats(es_url)
                    hits = after["hit_count"] - before["hit_count"]
                    misses = after["miss_count"] - before["miss_count"]
                    cache_rows.append(
                        [
                            label,
                            run,
                            hits,
                            misses,
                            f"{hits / max(1, hits + misses):.0%}",
                            after["evictions"] - before["evictions"],
                            f"{after['memory_size_in_bytes'] / 2**20:.1f}",
                        ]
                    )
                for kind, ms in sorted(by_kind.items()):
                    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [ms[0]] * 99
                    kind_rows.append(
                        [
                            label,
                            run.split(":")[0].replace(", paced", f" {rate:.0f}/s" if rate else ""),
                            kind,
                            len(ms),
                            f"{q[49]:.1f}",
                            f"{q[94]:.1f}",
                            f"{q[98]:.1f}",
                            f"{max(ms):.0f}",
                        ]
                    )
            with CpuMeter(server.pid) as cpu:
                row = load(port, [("healthz", "/healthz")], args.clients, args.seconds)
            load_rows.append([label, "trivial JSON (/healthz)", *row, cpu.per_request(row[0])])
        finally:
            server.terminate()
            server.wait(timeout=30)
        if "Elastic" in label and not args.keep_indices:
            from search import create_backend
            from search.documents import SPECS

            os.environ.update({k: v for k, v in env.items() if k.startswith("CREDIT_")})
            b = create_backend(es_url, "benchsearch", "")
            for spec in SPECS.values():
                b.drop(spec)
    if index_rows:
        table(
            f"Bulk indexing from {database_label(base, args.data)} "
            "(flask search reindex, 2 builder processes + the writer)",
            ["backend", "documents", "by index", "seconds", "docs/s", "peak RSS MiB"],
            index_rows,
        )
    table(
        f"Search API over loopback ({database_label(base, args.data)}): gunicorn 2 workers "
        f"x 4 threads, {args.clients} "
        f"clients, {args.seconds:.0f} s, {len(paths)} distinct requests",
        [
            "backend",
            "endpoint",
            "requests",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "CPU ms a request: web / ES / PG / load",
        ],
        load_rows,
    )
    table(
        "Search latency by kind of request (same runs, ms)",
        ["backend", "run", "kind", "requests", "p50", "p95", "p99", "max"],
        kind_rows,
    )
    if cache_rows:
        table(
            "Elasticsearch's shard request cache during each run",
            ["backend", "run", "hits", "misses", "hit ratio", "evictions", "size MiB"],
            cache_rows,
        )


if __name__ == "__main__":
    main()
