"""Where a read's CPU goes: cProfile over the whole WSGI stack of one process, on a registry
``bench_ratings`` generated (``--data``).

Builds the app on that instance directory the way a web host runs next to a worker
(``CREDIT_INDEX_AFTER_COMMIT=false``, no poller), freezes its start-up objects as a
gunicorn worker does, and requests ``--requests`` pages through ``app.wsgi_app`` with
Flask's test client: ``--kind profile`` the profile pages of random firms, ``search`` the
search API with ``bench_search``'s mix, ``results`` the results pages of that mix. Prints
requests per CPU second, the statements a request runs, and the top functions by
cumulative and by own time.

    .venv/bin/python -m tests.bench.profile_reads --data DIR --kind profile --requests 300

The embedded backend only (``--search-prefix`` names its indices: ``benchratings``, the
prefix ``bench_ratings`` builds them under). ``--postgresql`` reads the registry
``bench_ratings --postgresql`` generated (the database credit_bench) instead of the
instance's SQLite file, and prints the wall time too: there a statement's time is spent
partly in PostgreSQL's own process. Reads only; one process, one thread.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import sqlite3
import time
from pathlib import Path

from tests.bench.profile_writes import report_profile


def build(data: Path, prefix: str, database_url: str = ""):
    """The app on ``data`` (and ``database_url``, if given) as a web host runs it next to
    a worker."""
    if database_url:
        os.environ["CREDIT_DATABASE_URL"] = database_url
    os.environ.update(
        {
            "CREDIT_INSTANCE_DIR": str(data),
            "CREDIT_SEARCH_URL": "",
            "CREDIT_SEARCH_INDEX_PREFIX": prefix,
            "CREDIT_LOG_LEVEL": "WARNING",
            "CREDIT_INDEX_AFTER_COMMIT": "false",
            "CREDIT_INDEXER_POLL_SECONDS": "0",
        }
    )
    from api import create_app

    return create_app()


def paths(data: Path, kind: str, n: int, seed: int = 11, database_url: str = "") -> list[str]:
    """``n`` request paths of ``kind``: random firms' profiles, or the search mix."""
    if kind == "profile":
        rng = random.Random(seed)
        if database_url:
            import sqlalchemy as sa

            with sa.create_engine(database_url).connect() as conn:
                ids = conn.execute(sa.text("SELECT id, uscc FROM enterprise")).all()
            return [f"/enterprises/{rng.choice(ids)[1]}" for _ in range(n)]
        db = sqlite3.connect(f"file:{data / 'credit.db'}?mode=ro", uri=True)
        total = db.execute("SELECT max(rowid) FROM enterprise").fetchone()[0]
        codes: list[str] = []
        while len(codes) < n:
            row = db.execute(
                "SELECT uscc FROM enterprise WHERE rowid = ?", (rng.randrange(1, total + 1),)
            ).fetchone()
            if row:
                codes.append(row[0])
        db.close()
        return [f"/enterprises/{c}" for c in codes]
    from tests.bench.bench_search import query_mix

    mix = [path for _, path in query_mix(n, seed=seed)]
    if kind == "results":
        return ["/search?" + p.split("?", 1)[1] for p in mix if p.startswith("/api/v1/search?")]
    return mix


class _Statements:
    """Counts the statements the engine runs (SQLAlchemy's ``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: object) -> None:
        self.count += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="instance directory of bench_ratings")
    ap.add_argument("--kind", choices=["profile", "search", "results"], default="profile")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--no-profile", action="store_true", help="only time, no cProfile")
    ap.add_argument("--save", help="also write the raw profile here (pstats format)")
    ap.add_argument("--search-prefix", default="benchratings")
    ap.add_argument(
        "--postgresql",
        action="store_true",
        help="the registry bench_ratings --postgresql generated (the database credit_bench)",
    )
    args = ap.parse_args()
    data = Path(args.data).resolve()
    database_url = ""
    if args.postgresql:
        from tests.bench.bench_registry import postgresql_database

        database_url = postgresql_database()
    app = build(data, args.search_prefix, database_url)
    from sqlalchemy import event

    from api.longlived import freeze_startup_objects
    from credit.extensions import db

    client = app.test_client()
    todo = paths(data, args.kind, args.requests + 50, database_url=database_url)
    for path in todo[:50]:  # warm caches, as a busy server has them
        assert client.get(path).status_code == 200, path
    freeze_startup_objects()  # as deploy/gunicorn.conf.py's post_worker_init does
    statements = _Statements()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", statements)
    profiler = None if args.no_profile else cProfile.Profile()
    measured = todo[50:]
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for path in measured:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(measured)
    print(
        f"{n} {args.kind} requests in {cpu:.2f} s CPU: {n / cpu:.0f} per CPU second "
        f"({1000 * cpu / n:.2f} ms each; wall {1000 * wall / n:.2f} ms each), "
        f"{statements.count / n:.1f} statements each"
        + ("" if profiler is None else " (under cProfile)")
    )
    if profiler:
        report_profile(profiler, args.save, args.top)


if __name__ == "__main__":
    main()
