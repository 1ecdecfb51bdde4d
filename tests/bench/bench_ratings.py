"""Ratings benchmark: a full rescore of a generated registry, and rating freshness.

1. Generate ``--enterprises`` firms (default 1,000,000) with about 1.5 pledges and 0.5
   violations each (``tests.bench.ratings_data``), then time ``credit rescore --all``:
   once from nothing, once more with nothing changed. Each runs as the real CLI command in
   a child process (wall time; peak RSS of its largest process; where the time goes).
2. The transparency log's consumer over the rating changes the rescore recorded (what the
   worker does after a full rescore), timed alone.
3. Freshness: with gunicorn (2 workers) serving that database, a regulator publishes
   ``--events`` violations through the API; for each, the time from sending the request
   until both the rating endpoint and search show the new score. Once per search backend
   (embedded; Elasticsearch when ``CREDIT_TEST_SEARCH_URL`` is set).

SQLite in ``--data`` by default; with ``--postgresql``, in the benchmarks' own PostgreSQL
database (created empty on the server of ``CREDIT_TEST_DATABASE_URL``; kept with
``--data``), so every figure is PostgreSQL's (the tables say which). ``bench_search`` and
``bench_pages`` take ``--postgresql`` to read it.

Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from tests.bench.bench_pledges import Http, _free_port, _token
from tests.bench.bench_registry import (
    FLASK,
    ROOT,
    database_label,
    drop_postgresql_database,
    es_rss_mib,
    measured,
    postgresql_database,
    table,
)

_MEASURE_JSON = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
    "print(r.returncode, time.perf_counter() - t,"
    " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "lines = r.stdout.strip().splitlines()\n"
    "print(lines[-1] if lines else '{}')\n"
)


def measured_json(cmd: list[str], env: dict[str, str]) -> tuple[float, float, dict]:
    """Run ``cmd``; (seconds, peak RSS MiB of its largest process, its last JSON line)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE_JSON, *cmd],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    head, body = out.stdout.strip().splitlines()[-2:]
    rc, seconds, maxrss_kib = head.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed with {rc}: {out.stderr[-2000:]}")
    return float(seconds), int(maxrss_kib) / 1024, json.loads(body)


def log_catch_up(env: dict[str, str]) -> list[object]:
    """The transparency log's consumer over everything the rescore recorded (one rating
    change per firm): what the worker does after a full rescore, timed alone."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("CREDIT_")})
    from api import create_app
    from credit import changes
    from credit.extensions import db
    from credit.translog import store
    from credit.translog.appender import CONSUMER_NAME

    app = create_app({"INDEX_AFTER_COMMIT": False})
    with app.app_context():
        consumer = next(c for c in changes.registered(db.engine) if c.name == CONSUMER_NAME)
        backlog = changes.backlog(db.session, CONSUMER_NAME)
        before = store.size(db.session)
        started = time.perf_counter()
        changes.run_consumer(db.session, consumer)
        secs = time.perf_counter() - started
        appended = store.size(db.session) - before
    return [f"{backlog:,}", f"{appended:,}", f"{secs:.1f}", f"{appended / secs:,.0f}"]


def prepare_freshness(env: dict[str, str], es_url: str, events: int) -> tuple[list, tuple]:
    """Pick the firms, index them (the freshness run needs them searchable, not the whole
    registry), start the feed consumers from the head, and register a regulator."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("CREDIT_")})
    import sqlalchemy as sa

    from api import create_app
    from credit import clock
    from credit.accounts import service as accounts
    from credit.changes import ChangeEvent, ConsumerCursor
    from credit.enterprises.models import Enterprise
    from credit.extensions import db
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work
    from search.indexer import index_enterprises

    apps = [create_app({"INDEX_AFTER_COMMIT": False})]
    if es_url:
        apps.append(create_app({"INDEX_AFTER_COMMIT": False, "SEARCH_URL": es_url}))
    with apps[0].app_context():
        rng = random.Random()
        # one read of every firm, not an OFFSET each (PostgreSQL walks the index up to it:
        # 400 of them took five minutes at a million firms)
        every = db.session.execute(
            sa.select(Enterprise.id, Enterprise.uscc).order_by(Enterprise.id)
        ).all()
        targets = [every[i] for i in sorted(rng.sample(range(len(every)), events))]
        del every
        head = db.session.scalar(sa.select(sa.func.max(ChangeEvent.id))) or 0
        for name in ("ratings", "search-indexer", "webhooks", "transparency-log"):
            cursor = db.session.get(ConsumerCursor, name)
            if cursor is None:
                db.session.add(ConsumerCursor(name=name, position=head, updated_at=clock.now()))
            else:
                cursor.position = head
        db.session.commit()
        with unit_of_work() as uow:
            code = f"BENCH-{rng.randrange(10**6)}"
            accounts.create_authority(
                SYSTEM, uow, code=code, name="江苏省市场监督管理局", jurisdiction=["320000"]
            )
            issued = accounts.create_client(
                SYSTEM,
                uow,
                kind="regulator",
                name="bench",
                authority_code=code,
                scope_list=["violations:write"],
            )
            cred = (issued.client.client_id, issued.client_secret)
    for app in apps:
        with app.app_context():
            backend = app.extensions["credit.search"]
            from search.documents import ENTERPRISES

            backend.ensure_index(ENTERPRISES)
            index_enterprises(db.session, backend, [t[0] for t in targets])
            backend.refresh(ENTERPRISES)
    return [t[1] for t in targets], cred


def server_trouble(log_path: Path, most: int = 10) -> list[str]:
    """The last ``most`` warnings and errors in a server's log, each error with the last
    line of its traceback (the exception): what a late event's cause would leave."""
    found: list[tuple[str, str]] = []  # (the record's line, its traceback's last line)
    error = False  # the record being read is an error: its next lines are its traceback
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = line.rstrip()
            if line[:4].isdigit():  # a new record starts with its date
                error = " ERROR " in line
                if error or " WARNING " in line:
                    found.append((line, ""))
            elif error and line:
                found[-1] = (found[-1][0], line)
    return [f"{head} | {last}" if last else head for head, last in found[-most:]]


def freshness(
    env: dict[str, str], codes: list[str], cred: tuple, label: str, tag: str
) -> list[object]:
    port = _free_port()
    # The server's log is kept so that a late event can say what the server saw.
    log_dir = tempfile.TemporaryDirectory(prefix="credit-bench-freshness-")
    log_path = Path(log_dir.name) / "gunicorn.log"
    with open(log_path, "ab") as log_file:  # O_APPEND: read back while gunicorn writes
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2"},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        for _ in range(300):
            try:
                if Http(port).call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        h = Http(port)
        auth = {"Authorization": f"Bearer {_token(port, *cred)}"}
        post_ms: list[float] = []
        fresh_ms: list[float] = []
        late = 0
        for i, code in enumerate(codes):
            # A new record always changes the rating's inputs and the firm's public count;
            # the score itself may not move (a firm capped by a hard rule keeps its cap).
            digest = h.call("GET", f"/api/v1/enterprises/{code}/rating")[2]["inputs_digest"]
            hits = h.call("GET", f"/api/v1/search?q={code}")[2]["items"]
            count = hits[0]["active_violations"] if hits else 0
            body = {
                "uscc": code,
                "category": "pricing",
                "severity": "general",
                "decision_number": f"苏市监罚〔2026〕{tag}{i}号",
                "legal_basis": "《价格法》第十四条",
                "facts": "价格违法行为",
                "penalty_type": "fine",
                "penalty_amount": 10000,
                "decision_date": date.today().isoformat(),
            }
            started = time.perf_counter()
            status, _, created = h.call("POST", "/api/v1/violations", body, auth)
            post_ms.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise SystemExit(f"violation not recorded: {status} {created}")
            while True:
                rating = h.call("GET", f"/api/v1/enterprises/{code}/rating")[2]
                items = h.call("GET", f"/api/v1/search?q={code}")[2]["items"]
                if (
                    rating["inputs_digest"] != digest
                    and items
                    and items[0]["active_violations"] == count + 1
                    and items[0]["credit_score"] == rating["score"]
                ):
                    break
                if time.perf_counter() - started > 10:
                    late += 1
                    top = items[0] if items else {}
                    print(
                        f"late: {code}: inputs changed {rating['inputs_digest'] != digest}, "
                        f"first hit {top.get('uscc')}, active_violations "
                        f"{top.get('active_violations')} (expected {count + 1}), score in "
                        f"search {top.get('credit_score')}, rating {rating['score']}",
                        file=sys.stderr,
                    )
                    for line in server_trouble(log_path):
                        print(f"  server: {line}", file=sys.stderr)
                    break
                time.sleep(0.01)
            fresh_ms.append((time.perf_counter() - started) * 1000)
        q = statistics.quantiles(fresh_ms, n=100)
        p = statistics.quantiles(post_ms, n=100)
        within = sum(1 for x in fresh_ms if x <= 1000)
        return [
            label,
            len(codes),
            f"{p[49]:.0f} / {p[98]:.0f}",
            f"{q[49]:.0f}",
            f"{q[94]:.0f}",
            f"{q[98]:.0f}",
            f"{max(fresh_ms):.0f}",
            f"{within}/{len(codes)}" + (f" ({late} over 10 s)" if late else ""),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_dir.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the generated data directory")
    ap.add_argument("--data", help="generate into this (empty) directory and keep it")
    ap.add_argument(
        "--freshness-only",
        action="store_true",
        help="reuse the data in --data: measure freshness again",
    )
    ap.add_argument(
        "--postgresql",
        action="store_true",
        help="generate the registry in PostgreSQL (the database credit_bench) instead of SQLite",
    )
    args = ap.parse_args()
    work = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="credit-bench-ratings-"))
    args.keep = args.keep or bool(args.data)
    es_url = os.environ.get("CREDIT_TEST_SEARCH_URL", "")
    env = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(work),
        "CREDIT_SEARCH_URL": "",
        "CREDIT_SEARCH_INDEX_PREFIX": "benchratings",
        "CREDIT_LOG_LEVEL": "WARNING",
        "CREDIT_RATELIMIT_TOKEN": "100000 per minute",
        "CREDIT_RATELIMIT_TOKEN_ADDRESS": "100000 per minute",
    }
    if args.postgresql:
        env["CREDIT_DATABASE_URL"] = postgresql_database(create=not args.freshness_only)
    try:
        n = args.enterprises
        if args.freshness_only:
            codes, cred = prepare_freshness(env, es_url, args.events * (2 if es_url else 1))
            rows = [freshness(env, codes[: args.events], cred, "embedded (tantivy)", "F")]
            if es_url:
                rows.append(
                    freshness(
                        {**env, "CREDIT_SEARCH_URL": es_url},
                        codes[args.events :],
                        cred,
                        "Elasticsearch",
                        "G",
                    )
                )
            table(
                "Freshness on the data in --data (ms)",
                [
                    "search backend",
                    "events",
                    "POST p50 / p99",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                    "within 1 s",
                ],
                rows,
            )
            return
        subprocess.run(
            [*FLASK[:-1], "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        rows: list[list[object]] = []
        secs, mib = measured(
            [
                *FLASK,
                "demo",
                "--enterprises",
                str(n),
                "--no-index",
                "--no-pledges",
                "--no-violations",
            ],
            env,
        )
        rows.append(["generate enterprises", f"{n:,}", f"{secs:.1f}", f"{mib:.0f}", ""])
        secs, mib, counts = measured_json([sys.executable, "-m", "tests.bench.ratings_data"], env)
        rows.append(
            [
                "generate pledges, violations ...",
                f"{counts['pledges']:,} pledges, {counts['violations']:,} violations",
                f"{secs:.1f}",
                f"{mib:.0f}",
                f"{counts['breaches']:,} breaches, {counts['repairs']:,} repairs, "
                f"{counts['commendations']:,} commendations, "
                f"{counts['serious_list']:,} listed",
            ]
        )
        table(
            f"Rating benchmark data ({database_label(env, work)})",
            ["phase", "rows", "seconds", "peak RSS MiB", "also"],
            rows,
        )

        rows = []
        for label in ("rescore --all (from nothing)", "rescore --all (nothing changed)"):
            # the search indexer's catch-up is measured by the registry benchmark
            secs, mib, stats = measured_json([*FLASK, "rescore", "--all", "--no-catch-up"], env)
            rows.append(
                [
                    label,
                    f"{stats['rated']:,}",
                    f"{secs:.1f}",
                    f"{stats['rated'] / secs:,.0f}",
                    f"{stats['written']:,}",
                    f"{stats['load_s']:.0f} / {stats['score_s']:.0f} / {stats['store_s']:.0f}",
                    f"{mib:.0f}",
                ]
            )
        table(
            f"Full rescore, {n:,} enterprises, {database_label(env, work)}, 2 cores "
            "(2 reader/scorer processes + the writer)",
            [
                "run",
                "enterprises",
                "seconds",
                "enterprises/s",
                "written",
                "CPU s: read / score / write",
                "peak RSS MiB (largest process)",
            ],
            rows,
        )

        table(
            f"The transparency log's consumer after the rescore "
            f"({database_label(env, work)}, one process)",
            ["change events", "entries appended", "seconds", "entries/s"],
            [log_catch_up(env)],
        )
        codes, cred = prepare_freshness(env, es_url, args.events * (2 if es_url else 1))
        rows = [freshness(env, codes[: args.events], cred, "embedded (tantivy)", "E")]
        if es_url:
            rows.append(
                freshness(
                    {**env, "CREDIT_SEARCH_URL": es_url},
                    codes[args.events :],
                    cred,
                    "Elasticsearch",
                    "S",
                )
            )
            es = es_rss_mib()
            if es:
                print(f"(Elasticsearch JVM RSS {es:.0f} MiB)")
        table(
            f"Freshness at {n:,} enterprises ({database_label(env, work)}): violation POSTed "
            "-> new score in the rating endpoint and in search (gunicorn 2 workers, ms)",
            [
                "search backend",
                "events",
                "POST p50 / p99",
                "p50",
                "p95",
                "p99",
                "max",
                "within 1 s",
            ],
            rows,
        )
    finally:
        if es_url:
            from search import create_backend
            from search.documents import SPECS

            for spec in SPECS.values():
                create_backend(es_url, "benchratings", "").drop(spec)
        if args.keep:
            print(f"\ndata kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            if args.postgresql:
                drop_postgresql_database()


if __name__ == "__main__":
    main()
