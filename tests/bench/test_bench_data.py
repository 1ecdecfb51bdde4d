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


def test_a_late_event_reports_the_servers_warnings_and_errors(tmp_path) -> None:
    """``server_trouble`` picks the warnings and errors out of a gunicorn log, an error
    with the exception its traceback ends on (not another record's second line), and
    leaves the rest out."""
    from tests.bench.bench_ratings import server_trouble

    log = tmp_path / "gunicorn.log"
    log.write_text(
        "2026-12-06 02:41:57,001 INFO [-] gunicorn.access: GET /healthz 200\n"
        "2026-12-06 02:41:57,030 ERROR [-] credit.changes: consumer search-indexer failed\n"
        "Traceback (most recent call last):\n"
        '  File "search/elastic.py", line 470, in write\n'
        "elastic_transport.ConnectionTimeout: Connection timed out\n"
        "2026-12-06 02:41:57,500 INFO [-] credit.worker: a record of two lines\n"
        "  its second line, not the error's\n"
        "2026-12-06 02:41:58,000 WARNING [-] credit.changes: consumers: leaving it the backlog\n"
        "2026-12-06 02:41:58,100 INFO [-] gunicorn.access: GET /api/v1/search 200\n",
        encoding="utf-8",
    )
    assert server_trouble(log) == [
        "2026-12-06 02:41:57,030 ERROR [-] credit.changes: consumer search-indexer failed"
        " | elastic_transport.ConnectionTimeout: Connection timed out",
        "2026-12-06 02:41:58,000 WARNING [-] credit.changes: consumers: leaving it the backlog",
    ]
    assert server_trouble(log, most=1) == [server_trouble(log)[-1]]
