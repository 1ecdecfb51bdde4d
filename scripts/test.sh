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
PYTEST=(.venv/bin/pytest -q -p no:cacheprovider)

if bash scripts/services.sh up; then
    eval "$(bash scripts/services.sh env)"
else
    if [[ "${CI:-}" == "true" ]]; then
        echo "FATAL: PostgreSQL, Elasticsearch, Redis or nginx could not be started (CI=true)." >&2
        exit 1
    fi
    echo "WARNING: services unavailable: PostgreSQL/Elasticsearch/Redis/nginx tests will be SKIPPED." >&2
fi
if [[ "${CI:-}" == "true" ]]; then
    export CREDIT_TEST_REQUIRE_SERVICES=true
fi

echo "== pass 1: SQLite + embedded search (search contract on both backends) =="
"${PYTEST[@]}" --db=sqlite --search=embedded tests

echo "== pass 2: PostgreSQL + Elasticsearch =="
# Everything that touches the app's database or search (the pure unit tests and the
# backend contract suite already ran above and do not depend on the app's backends; the
# README test runs `make run`, which is SQLite and the embedded backend whatever --db says).
"${PYTEST[@]}" --db=postgresql --search=elasticsearch tests \
    --ignore=tests/unit --ignore=tests/search --ignore=tests/bench --ignore=tests/readme
