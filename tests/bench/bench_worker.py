"""Freshness through the change-feed worker, as deployed (issue 18's goal: p99 < 1 s).

On the data ``bench_ratings`` generated (``--data``), gunicorn (2 workers) runs with
``CREDIT_INDEX_AFTER_COMMIT=false``, so web requests run no consumer, and one
``flask --app wsgi credit worker`` process beside it delivers every change. A regulator
publishes ``--events`` violations through the API; for each, the time from sending the
request until both the rating endpoint and search show the new rating (the same
measurement as ``bench_ratings``' in-request freshness, whose table it sits beside). Once
per search backend (embedded; Elasticsearch when ``CREDIT_TEST_SEARCH_URL`` is set). The
data is SQLite, so the worker wakes by its short poll (``CREDIT_WORKER_POLL_SECONDS``).

``--catch-up N``: before each run, N pledges that ended have their end unrecorded again,
so the worker's first sweep is a catch-up of N pledge ends (as after days offline) while
the violations are posted: freshness during a catch-up, the column "catch-up left" says how
many ends were still unrecorded when the last violation was fresh (more than 0: the whole
run overlapped the catch-up).

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from tests.bench.bench_ratings import freshness, prepare_freshness
from tests.bench.bench_registry import FLASK, ROOT, table


def _unrecorded_ends(env: dict[str, str], reopen: int = 0) -> int:
    """Published pledges that ended without their end recorded, after first unrecording
    the end of ``reopen`` more (the catch-up a worker's first sweep then finds)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("CREDIT_")})
    import sqlalchemy as sa

    from api import create_app
    from credit import clock
    from credit.extensions import db
    from credit.pledges.models import Pledge

    ended = sa.and_(Pledge.status == "published", Pledge.valid_until < clock.today())
    with create_app({"INDEX_AFTER_COMMIT": False}).app_context():
        if reopen:
            some = sa.select(Pledge.id).where(ended, Pledge.expired_at.is_not(None)).limit(reopen)
            db.session.execute(sa.update(Pledge).where(Pledge.id.in_(some)).values(expired_at=None))
            db.session.commit()
        left = db.session.scalar(
            sa.select(sa.func.count()).select_from(Pledge).where(ended, Pledge.expired_at.is_(None))
        )
        db.session.remove()
    return left or 0


def through_worker(
    env: dict[str, str],
    codes: list[str],
    cred: tuple,
    label: str,
    tag: str,
    log_path: str = "",
    catch_up: int = 0,
) -> list[object]:
    """``bench_ratings.freshness`` with the consumers in a worker process (its log, at
    INFO, kept in ``log_path`` when given: one line per delivered batch and sweep); with
    ``catch_up``, during the worker's catch-up of that many pledge ends (the row gains how
    many were left when the run ended)."""
    if catch_up:
        _unrecorded_ends(env, reopen=catch_up)
    env = {**env, "CREDIT_INDEX_AFTER_COMMIT": "false", "CREDIT_INDEXER_POLL_SECONDS": "0"}
    worker_env = {**env, "CREDIT_LOG_LEVEL": "INFO"} if log_path else env
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(
            [*FLASK, "worker"], env=worker_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            row = freshness(env, codes, cred, label, tag)
            if catch_up:
                row.append(_unrecorded_ends(env))
        finally:
            worker.terminate()  # SIGTERM: finishes its batch and releases its leases
            status = worker.wait(timeout=60)
        if status != 0:
            log.seek(0)
            raise SystemExit(f"the worker exited with {status}:\n{log.read()[-3000:].decode()}")
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="the directory bench_ratings generated into")
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument(
        "--worker-log",
        default="",
        help="keep the worker's log (INFO) in this file, with the backend's tag appended",
    )
    ap.add_argument(
        "--catch-up",
        type=int,
        default=0,
        help="unrecord the end of this many ended pledges before each run: the violations "
        "are posted during the worker's catch-up",
    )
    args = ap.parse_args()
    work = Path(args.data)
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
    codes, cred = prepare_freshness(env, es_url, args.events * (2 if es_url else 1))

    def log_of(tag: str) -> str:
        return f"{args.worker_log}.{tag}" if args.worker_log else ""

    rows = [
        through_worker(
            env,
            codes[: args.events],
            cred,
            "embedded (tantivy)",
            "W",
            log_of("W"),
            args.catch_up,
        )
    ]
    if es_url:
        rows.append(
            through_worker(
                {**env, "CREDIT_SEARCH_URL": es_url},
                codes[args.events :],
                cred,
                "Elasticsearch",
                "X",
                log_of("X"),
                args.catch_up,
            )
        )
    during = f", during a catch-up of {args.catch_up:,} pledge ends" if args.catch_up else ""
    table(
        "Freshness through the worker: violation POSTed -> new score in the rating endpoint "
        "and in search (gunicorn 2 workers with no consumer + 1 `credit worker`, ms; goal "
        f"p99 < 1000){during}",
        [
            "search backend",
            "events",
            "POST p50 / p99",
            "p50",
            "p95",
            "p99",
            "max",
            "within 1 s",
            *(["catch-up left"] if args.catch_up else []),
        ],
        rows,
    )


if __name__ == "__main__":
    main()
