"""The backup drill, with the operator's own commands: dump, restore, reindex, check.

On a private PostgreSQL (tests/deploy/pgserver.py): a database with demo data, its ratings
computed and its search indices filled (``flask credit demo``, as an operator loads it);
``scripts/backup.sh`` dumps it (``pg_dump -Fc``); ``scripts/restore.sh`` restores it into a
fresh database (and refuses one that is not empty); the app pointed at the copy with a
fresh index prefix runs ``flask search reindex``, and ``flask search check --no-repair``
finds nothing missing, extra or stale. Every rating (grade, score, model version, inputs
digest; the current ones with their result digest) and every table's row count is the
source's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import unavailable
from tests.deploy.pgserver import PrivatePostgres, pg_bin
from tests.server import env_for

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
ENTERPRISES = 300


@pytest.fixture(scope="module")
def pg() -> Iterator[PrivatePostgres]:
    bindir = pg_bin()
    if bindir is None:
        unavailable("PostgreSQL binaries (/usr/lib/postgresql/*/bin/initdb) are not installed")
    server = PrivatePostgres(bindir).init()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def environment(config: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
    env.update(env_for(config))
    return env


def run(args: list[str], config: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args,
        cwd=ROOT,
        env=environment(config),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


RATINGS = (
    "SELECT e.uscc, r.model_version, r.as_of, r.score, r.grade, r.tier, r.inputs_digest "
    "FROM rating r JOIN enterprise e ON e.id = r.enterprise_id"
)
CURRENT = (
    "SELECT e.uscc, c.model_version, c.score, c.grade, c.tier, c.result_digest "
    "FROM current_rating c JOIN enterprise e ON e.id = c.enterprise_id"
)


def snapshot(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            tables = c.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            counts = {
                t: c.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
            }
            ratings = sorted(tuple(map(str, row)) for row in c.execute(sa.text(RATINGS)))
            current = sorted(tuple(map(str, row)) for row in c.execute(sa.text(CURRENT)))
    finally:
        engine.dispose()
    return {"counts": counts, "ratings": ratings, "current": current}


def drop_indices(config: dict) -> None:
    from api import create_app
    from credit.extensions import db
    from search.documents import SPECS

    app = create_app(config)
    for spec in SPECS.values():
        app.extensions["credit.search"].drop(spec)
    with app.app_context():
        db.engine.dispose()


def test_a_dump_restored_into_a_fresh_database_rates_and_finds_the_same(
    pg: PrivatePostgres, app_config: dict, tmp_path: Path
) -> None:
    base = {
        "ENV": "development",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": app_config["SECRET_KEY"],
        "SEARCH_URL": app_config["SEARCH_URL"],
        "RATELIMIT_STORAGE_URL": "memory://",
    }
    prefix = app_config["SEARCH_INDEX_PREFIX"]
    source = {
        **base,
        "DATABASE_URL": pg.create_database("credit_source"),
        "SEARCH_INDEX_PREFIX": prefix + "src",
        "EMBEDDED_SEARCH_PATH": str(tmp_path / "source-search-index"),
    }
    restored = {
        **base,
        "DATABASE_URL": pg.create_database("credit_restored"),
        "SEARCH_INDEX_PREFIX": prefix + "rst",
        "EMBEDDED_SEARCH_PATH": str(tmp_path / "restored-search-index"),
    }
    try:
        # The source: migrated, demo data loaded, ratings computed and indexed.
        run([FLASK, "--app", "wsgi", "db", "upgrade"], source)
        run([FLASK, "--app", "wsgi", "credit", "demo", "--enterprises", str(ENTERPRISES)], source)
        before = snapshot(source["DATABASE_URL"])
        assert before["counts"]["enterprise"] >= ENTERPRISES
        assert len(before["current"]) >= ENTERPRISES, "every demo firm has its rating"

        # The drill, as docs/deploying/postgresql.md writes it.
        dump = run(["bash", "scripts/backup.sh", str(tmp_path / "backups")], source)
        path = Path(dump.stdout.strip())
        assert path.is_file() and path.name.startswith("credit-") and path.suffix == ".dump"
        run(["bash", "scripts/restore.sh", str(path)], restored)
        again = subprocess.run(
            ["bash", "scripts/restore.sh", str(path)],
            cwd=ROOT,
            env=environment(restored),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode != 0 and "already has" in again.stderr, again.stderr
        run([FLASK, "--app", "wsgi", "db", "upgrade"], restored)
        run([FLASK, "--app", "wsgi", "search", "reindex"], restored)
        check = run([FLASK, "--app", "wsgi", "search", "check", "--no-repair"], restored)
        reports = json.loads(check.stdout.strip().splitlines()[-1])
        assert reports, check.stdout
        for report in reports:
            assert report["missing"] == report["extra"] == report["stale"] == 0, report
            assert report["indexed"] == report["expected"], report
        assert any(r["expected"] >= ENTERPRISES for r in reports), reports

        after = snapshot(restored["DATABASE_URL"])
        assert after["ratings"] == before["ratings"]
        assert after["current"] == before["current"]
        assert after["counts"] == before["counts"]
        print(
            f"\nrestore drill: {before['counts']['enterprise']} firms, "
            f"{len(before['ratings'])} ratings identical, {len(before['counts'])} tables "
            f"with equal row counts; {path.stat().st_size} bytes dumped; search check: "
            + ", ".join(f"{r['index']} {r['indexed']}/{r['expected']}" for r in reports)
        )
    finally:
        drop_indices(source)
        drop_indices(restored)
