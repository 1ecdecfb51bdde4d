"""``schemathesis run`` against the live server's own OpenAPI document, over HTTP.

The in-process fuzz test (tests/api/test_openapi_fuzz.py) never sees what gunicorn does to
headers and status lines; this one runs the schemathesis command line against gunicorn on
loopback, as an outside tester would, anonymously and with an enterprise's token, with our
checks loaded as hooks (tests/live/schemathesis_checks.py). 0 responses with a 5xx: the
command's ``not_a_server_error`` check, and the server's own access log, which must hold
no 5xx line for the whole run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import import_records, sample_records
from tests.parties import make_parties, seed_templates
from tests.server import ROOT

MAX_EXAMPLES = 25
CHECKS = "not_a_server_error,problem_json_errors,ascii_headers"
ACCESS_LINE = re.compile(r"credit\.access: (\S+) (\S+) (\d{3}) ")


def schemathesis_command() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "schemathesis.cli"]


@pytest.mark.parametrize("as_owner", [False, True], ids=["anonymous", "enterprise-token"])
def test_schemathesis_run_over_http(live, app_ctx, tmp_path, as_owner: bool) -> None:
    import_records(sample_records(20))
    parties = make_parties()
    seed_templates()
    args = [
        *schemathesis_command(),
        "run",
        live.url + "/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261130",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        # One worker thread: on Python 3.11, hypothesis parsing lambda sources with ast in
        # two threads at once races on CPython's shared AST recursion-depth counter
        # ("AST constructor recursion depth mismatch", python/cpython#106905), a runtime
        # error of the tool that failed a CI run in which every generated case had passed.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        # How fast examples are generated is not under test: on a busy machine hypothesis's
        # too-slow health check stopped a run that had found nothing wrong.
        "--suppress-health-check",
        "too_slow",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    if as_owner:
        r = live.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=parties.clients["owner"].basic(),
        )
        args += ["-H", f"Authorization: Bearer {r.json()['access_token']}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.live.schemathesis_checks"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    start = len(live.server.log_text())
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, _what_went_wrong(output)
    lines = ACCESS_LINE.findall(live.server.log_text()[start:])
    assert len(lines) > 500, f"only {len(lines)} requests reached the server:\n{output[-3000:]}"
    server_errors = [line for line in lines if line[2].startswith("5")]
    assert server_errors == []


def _what_went_wrong(output: str) -> str:
    """The run's errors and failures (their sections come before its long list of
    warnings), then its summary."""
    sections = [
        output[start : start + 6000]
        for title in ("ERRORS", "FAILURES")
        if (start := output.find(f"= {title} =")) >= 0
    ]
    return "\n...\n".join([*sections, output[-3000:]])
