"""The benchmark's data generators still fit the schema.

``make bench`` is not part of ``make test``; without this a schema change (a new NOT NULL
column) breaks the generators silently, as issue 15's ``conduct_date`` once did. This runs
the same commands as ``bench_ratings`` on a small registry and checks that the generated
facts are there and that a full rescore reads them. It measures nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from tests.bench.bench_registry import FLASK, ROOT


def test_rating_bench_data_generates_and_rescores(tmp_path) -> None:
    env = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(tmp_path),
        "CREDIT_SEARCH_URL": "",
        "CREDIT_LOG_LEVEL": "WARNING",
    }

    def run(*cmd: str) -> str:
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run(*FLASK[:-1], "db", "upgrade")
    run(*FLASK, "demo", "--enterprises", "400", "--no-index", "--no-pledges", "--no-violations")
    counts = json.loads(run(sys.executable, "-m", "tests.bench.ratings_data").splitlines()[-1])
    assert counts["pledges"] > 300 and counts["violations"] > 50, counts
    run(*FLASK, "rescore", "--all")
    db = sqlite3.connect(tmp_path / "credit.db")
    rated = db.execute("SELECT count(*) FROM current_rating").fetchone()[0]
    with_violations = db.execute(
        "SELECT count(DISTINCT enterprise_id) FROM violation WHERE status = 'active'"
    ).fetchone()[0]
    assert rated == 400
    assert with_violations > 0
