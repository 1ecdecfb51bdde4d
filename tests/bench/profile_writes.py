"""Where a write's CPU goes: cProfile over the whole WSGI stack of one process.

Builds the app the way ``wsgi.py`` does for a web host next to a worker process
(``CREDIT_INDEX_AFTER_COMMIT=false``, ``CREDIT_INDEXER_POLL_SECONDS=0``) on a fresh SQLite
database with two firms, then drives ``--rounds`` pledge creates and publishes through
``app.wsgi_app`` (every middleware, OAuth, schemas, ETags, logging; only gunicorn's socket
handling is missing) with Flask's test client. Prints requests per CPU second and the top
functions by cumulative and by own time, for creates and publishes together.

    .venv/bin/python -m tests.bench.profile_writes --rounds 2000

Light: one process, one thread, no server; safe on a loaded machine.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path


def build(work: Path, redis_url: str, database_url: str = ""):
    """The app as deployed with a worker, migrated, with two firms and the templates
    (on ``database_url``, an empty database, or else a fresh SQLite file in ``work``)."""
    os.environ.update(
        {
            "CREDIT_INSTANCE_DIR": str(work),
            "CREDIT_DATABASE_URL": database_url or f"sqlite:///{work / 'credit.db'}",
            "CREDIT_SEARCH_URL": "",
            "CREDIT_LOG_LEVEL": "WARNING",
            "CREDIT_RATELIMIT_TOKEN": "100000000 per minute",
            "CREDIT_RATELIMIT_TOKEN_ADDRESS": "100000000 per minute",
            "CREDIT_RATELIMIT_STORAGE_URL": redis_url or "memory://",
            "CREDIT_RATELIMIT_KEY_PREFIX": f"profwrites{os.getpid()}",
            "CREDIT_INDEX_AFTER_COMMIT": "false",
            "CREDIT_INDEXER_POLL_SECONDS": "0",
        }
    )
    from flask_migrate import upgrade

    from api import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


def report_profile(profiler: cProfile.Profile, save: str | None, top: int) -> None:
    """Write the raw profile to ``save`` (if given) and print the ``top`` functions by
    cumulative and by own time (shared with ``profile_reads``)."""
    if save:
        profiler.dump_stats(save)
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(out.getvalue())


class _GcPauses:
    """How long each garbage collection stopped the process, per generation: a full
    (generation 2) pass walks every tracked object while holding the GIL, so it stops
    every thread of a web worker at once."""

    def __init__(self) -> None:
        self.ms: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.ms[info["generation"]].append(1000 * (time.perf_counter() - self._began))

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def report(self) -> str:
        lines = [
            f"garbage collections ({len(gc.get_objects()):,} objects tracked, "
            f"{gc.get_freeze_count():,} frozen):"
        ]
        for generation, values in self.ms.items():
            values = sorted(values)
            if not values:
                lines.append(f"  generation {generation}: none")
                continue
            lines.append(
                f"  generation {generation}: {len(values)}, median {values[len(values) // 2]:.1f}"
                f" ms, max {values[-1]:.1f} ms, {sum(values):.0f} ms in all"
            )
        return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2000, help="create + publish pairs")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--no-profile", action="store_true", help="only time, no cProfile")
    ap.add_argument("--save", help="also write the raw profile here (pstats format)")
    ap.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the start-up objects to the collector (a gunicorn worker freezes them: "
        "api/longlived.py), to see what that costs",
    )
    ap.add_argument(
        "--database-url",
        default="",
        help="an empty database to profile on (PostgreSQL); default a fresh SQLite file",
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="credit-profile-writes-"))
    app = None
    try:
        app = build(work, os.environ.get("CREDIT_TEST_REDIS_URL", ""), args.database_url)
        from tests.parties import bearer, client_token, make_parties, pledge_body, seed_templates

        if not args.no_freeze:
            from api.longlived import freeze_startup_objects

            freeze_startup_objects()  # as deploy/gunicorn.conf.py's post_worker_init does
        pauses = _GcPauses()
        client = app.test_client()
        with app.app_context():
            parties = make_parties()
            body = pledge_body(seed_templates()["ECOM-STD"])
            token = client_token(client, parties.clients["owner"])
        auth = bearer(token)

        def one_round() -> None:
            created = client.post("/api/v1/pledges", json=body, headers=auth)
            assert created.status_code == 201, created.get_data(as_text=True)
            url = f"/api/v1/pledges/{created.get_json()['id']}/publish"
            match = {**auth, "If-Match": created.headers["ETag"]}
            published = client.post(url, json={}, headers=match)
            assert published.status_code == 200, published.get_data(as_text=True)

        for _ in range(50):  # warm caches, as a busy server has them
            one_round()
        profiler = None if args.no_profile else cProfile.Profile()
        pauses.start()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(args.rounds):
            one_round()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        pauses.stop()
        print(pauses.report())
        print(
            f"{2 * args.rounds} writes in {cpu:.2f} s CPU: {2 * args.rounds / cpu:.0f} "
            f"writes per CPU second ({1000 * cpu / (2 * args.rounds):.2f} ms each)"
            + ("" if profiler is None else " (under cProfile)")
        )
        if profiler:
            report_profile(profiler, args.save, args.top)
    finally:
        if app is not None:
            from api import limits

            limits.reset(app)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
