"""Page benchmark: server time of the enterprise profile, the search results pages and the
credit seal (the embeddable image and the standing API that platforms poll) on the registry
of ``bench_ratings`` (``--data``; 1,000,000 enterprises), for each search backend.

gunicorn with 2 workers over loopback; ``--clients`` keep-alive clients request a fixed
list of pages: profiles of firms drawn from the registry, and results pages for the
query mix of ``bench_search``. Server time is the application's own ``Server-Timing``
figure; the wall time seen by the client is shown beside it. Prints tables; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path

from tests.bench.bench_registry import (
    ROOT,
    database_label,
    database_url,
    drop_postgresql_database,
    postgresql_database,
    table,
)
from tests.bench.bench_search import clear_result_caches, drive, query_mix, serve


def page_list(url: str, n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, path): a third profiles of random firms, a third results pages, and a third
    the seal of a random firm (the image and the standing API, half each): a seal is read
    on every shop page that embeds it, so it is measured like a page."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        every = conn.execute(sa.text("SELECT uscc FROM enterprise ORDER BY uscc")).scalars().all()
    engine.dispose()
    rng = random.Random(seed)
    codes = rng.sample(every, 2 * n // 3)
    third = len(codes) // 2
    pages = [("profile", f"/enterprises/{c}") for c in codes[:third]]
    for i, c in enumerate(codes[third:]):
        if i % 2:
            pages.append(("seal: standing API", f"/api/v1/enterprises/{c}/standing"))
        else:
            pages.append(("seal: image", f"/seal/{c}.svg"))
    for kind, path in query_mix(n - len(pages), seed=seed):
        if path.startswith("/api/v1/search?"):
            pages.append((f"results: {kind}", "/search?" + path.split("?", 1)[1]))
    rng.shuffle(pages)
    return pages


def run(
    port: int, pages: list[tuple[str, str]], clients: int, seconds: float
) -> tuple[dict[str, list[tuple[float, float]]], int, float]:
    samples, elapsed = drive(port, pages, clients, seconds, {"Accept": "text/html"})
    found: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        found.setdefault(s.kind, []).append((s.server_ms, s.wall_ms))
    # an exact code's results page redirects to its profile: not an error
    return found, sum(1 for s in samples if s.status >= 400), elapsed


def _q(values: list[float]) -> list[str]:
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return [f"{q[49]:.1f}", f"{q[94]:.1f}", f"{q[98]:.1f}"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="instance directory of bench_ratings")
    ap.add_argument(
        "--postgresql",
        action="store_true",
        help="the registry bench_ratings --postgresql generated (the database credit_bench)",
    )
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument(
        "--backends",
        default="embedded,elasticsearch",
        help="the backends to measure (each on the indices bench_search built and kept)",
    )
    ap.add_argument(
        "--drop-indices",
        action="store_true",
        help="drop the Elasticsearch indices of bench_search afterwards",
    )
    ap.add_argument(
        "--drop-database",
        action="store_true",
        help="with --postgresql: drop the database afterwards",
    )
    args = ap.parse_args()
    es_url = os.environ.get("CREDIT_TEST_SEARCH_URL", "")
    base = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": args.data,
        "CREDIT_LOG_LEVEL": "WARNING",
        "CREDIT_SEARCH_INDEX_PREFIX": "benchsearch",
        **({"CREDIT_DATABASE_URL": postgresql_database()} if args.postgresql else {}),
        # a seal is rate-limited per address; every bench client is one address
        "CREDIT_RATELIMIT_SEAL": "1000000 per minute",
    }
    backends = [
        (
            "embedded",
            {
                **base,
                "CREDIT_SEARCH_URL": "",
                "CREDIT_EMBEDDED_SEARCH_PATH": str(Path(args.data) / "bench-search-index"),
            },
        )
    ]
    if es_url:
        backends.append(("Elasticsearch", {**base, "CREDIT_SEARCH_URL": es_url}))
    wanted = args.backends.split(",")
    backends = [(label, env) for label, env in backends if label.lower() in wanted]
    sys.path.insert(0, str(ROOT))
    pages = page_list(database_url(base, args.data), args.pages)
    rows = []
    for label, env in backends:
        clear_result_caches(env)  # the search bench's entries would answer the results
        server, port = serve(env)
        try:
            run(port, pages, args.clients, 5)  # warm up
            found, errors, elapsed = run(port, pages, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
        n = sum(len(v) for v in found.values())
        groups = {
            "profile": found.get("profile", []),
            "seal: image": found.get("seal: image", []),
            "seal: standing API": found.get("seal: standing API", []),
            "results (all kinds)": [
                x for k, v in found.items() if k.startswith("results") for x in v
            ],
        }
        groups.update((k, v) for k, v in sorted(found.items()) if k.startswith("results: "))
        for kind, samples in groups.items():
            if samples:
                rows.append(
                    [
                        label,
                        kind,
                        len(samples),
                        *_q([s for s, _ in samples]),
                        *_q([w for _, w in samples]),
                    ]
                )
        rows.append(
            [
                label,
                f"all pages: {n / elapsed:.0f} pages/s, {errors} errors",
                n,
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    if es_url and args.drop_indices and "elasticsearch" in wanted:
        from search import create_backend
        from search.documents import SPECS

        os.environ.update({k: v for k, v in backends[-1][1].items() if k.startswith("CREDIT_")})
        for spec in SPECS.values():
            create_backend(es_url, "benchsearch", "").drop(spec)
    if args.postgresql and args.drop_database:
        drop_postgresql_database()
    table(
        f"Page server time (Server-Timing, ms) and wall time seen by the client (ms): "
        f"{database_label(base, args.data)}, gunicorn 2 workers, {args.clients} clients, "
        f"{args.seconds:.0f} s",
        [
            "backend",
            "page",
            "requests",
            "server p50",
            "server p95",
            "server p99",
            "wall p50",
            "wall p95",
            "wall p99",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
