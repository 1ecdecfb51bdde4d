#!/usr/bin/env bash
# `make test-deploy`: the deployment topology tests (tests/deploy): a change-feed worker
# taking over from a killed one, nginx in front of two gunicorn instances, a three-node
# Elasticsearch cluster losing a node, a PostgreSQL restart and a backup-restore drill.
# They start and kill their own instances, so they run apart from `make test`; CI runs both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/require_services.sh
mkdir -p build
exec .venv/bin/pytest -q -p no:cacheprovider --durations=15 --db=postgresql \
    --search=elasticsearch tests/deploy "$@"
