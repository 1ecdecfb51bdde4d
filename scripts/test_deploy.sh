#!/usr/bin/env bash
# `make test-deploy`: the deployment topology tests (tests/deploy): a change-feed worker
# taking over from a killed one, nginx in front of two gunicorn instances, a three-node
# Elasticsearch cluster losing a node, a PostgreSQL restart and a backup-restore drill.
# They start and kill their own instances, so they run apart from `make test`; CI runs both.
set -euo pipefail
cd "$(dirname "$0")/.."
if bash scripts/services.sh up; then
    eval "$(bash scripts/services.sh env)"
else
    if [[ "${CI:-}" == "true" ]]; then
        echo "FATAL: PostgreSQL, Elasticsearch, Redis or nginx could not be started (CI=true)." >&2
        exit 1
    fi
    echo "WARNING: services unavailable: deployment tests that need them will be SKIPPED." >&2
fi
if [[ "${CI:-}" == "true" ]]; then
    export CREDIT_TEST_REQUIRE_SERVICES=true
fi
mkdir -p build
exec .venv/bin/pytest -q -p no:cacheprovider --durations=15 --db=postgresql \
    --search=elasticsearch tests/deploy "$@"
