#!/usr/bin/env bash
# `make test`: start PostgreSQL, Elasticsearch and Redis (and install nginx for the proxy
# tests), then run the suite twice:
#   pass 1: SQLite + the embedded search backend (plus the search contract suite on both
#           backends, and the backend-agreement tests);
#   pass 2: PostgreSQL + Elasticsearch (every test that touches the app's DB or search).
# Both passes drive the real gunicorn (and nginx) over loopback (tests/live, tests/e2e);
# pass 1 also runs the README's commands against `make run` (tests/readme).
# Both passes keep rate-limit counters in the Redis (a per-run key prefix), shared by the
# in-process app and the gunicorn servers the live tests start.
# With CI=true a service that cannot be started fails the run; elsewhere the tests that
# need it are skipped with a loud notice.
set -euo pipefail
cd "$(dirname "$0")/.."
# --durations: each log ends with its slowest tests, to keep the suite inside its time budget.
PYTEST=(.venv/bin/pytest -q -p no:cacheprovider --durations=30)

source scripts/require_services.sh

# The two passes run side by side (the machine has 2 cores and each pass is mostly one
# process waiting on servers), each into its own log, printed when it ends. The one file
# that stops and restarts the shared Elasticsearch runs alone afterwards, so it never pulls
# the engine from under pass 2. CREDIT_TEST_SERIAL=true runs them one after the other.
mkdir -p build
ES_OPS=tests/search/test_elastic_operations.py
PASS1=("${PYTEST[@]}" --db=sqlite --search=embedded tests --ignore="$ES_OPS" --ignore=tests/deploy)
# Everything that touches the app's database or search (the pure unit tests and the
# backend contract suite run in pass 1 and do not depend on the app's backends; the
# README test runs `make run`, which is SQLite and the embedded backend whatever --db says).
# The accessibility sweep checks markup, which does not depend on the backends: pass 1 only.
PASS2=("${PYTEST[@]}" --db=postgresql --search=elasticsearch tests
    --ignore=tests/unit --ignore=tests/search --ignore=tests/bench --ignore=tests/readme
    --ignore=tests/deploy
    --ignore=tests/e2e/test_accessibility.py)

run_pass() {  # name, command...: run, log to build/<name>.log, print the log, return its code
    local name="$1" rc=0
    shift
    local started=$SECONDS
    "$@" >"build/$name.log" 2>&1 || rc=$?
    {
        echo "== $name (exit $rc, $((SECONDS - started)) s) =="
        cat "build/$name.log"
    } | flock build/.test-output cat
    return $rc
}

status=0
if [[ "${CREDIT_TEST_SERIAL:-}" == "true" ]]; then
    run_pass "pass1-sqlite-embedded" "${PASS1[@]}" || status=1
    run_pass "pass2-postgresql-elasticsearch" "${PASS2[@]}" || status=1
else
    echo "== pass 1 (SQLite + embedded search) and pass 2 (PostgreSQL + Elasticsearch), side by side =="
    run_pass "pass1-sqlite-embedded" "${PASS1[@]}" &
    p1=$!
    run_pass "pass2-postgresql-elasticsearch" "${PASS2[@]}" &
    p2=$!
    wait $p1 || status=1
    wait $p2 || status=1
fi
run_pass "pass1-elasticsearch-operations" "${PYTEST[@]}" --db=sqlite --search=embedded "$ES_OPS" || status=1
exit $status
