#!/usr/bin/env bash
# `make bench`: the registry benchmark on a generated data set (BENCH_ENTERPRISES,
# default 1,000,000). Starts Elasticsearch like `make test` does; prints tables.
set -euo pipefail
cd "$(dirname "$0")/.."
if bash scripts/services.sh up; then
    eval "$(bash scripts/services.sh env)"
else
    echo "WARNING: Elasticsearch unavailable: its rows will be missing." >&2
fi
.venv/bin/python -m tests.bench.bench_registry --enterprises "${BENCH_ENTERPRISES:-1000000}"
.venv/bin/python -m tests.bench.bench_pledges
.venv/bin/python -m tests.bench.bench_ratings --enterprises "${BENCH_ENTERPRISES:-1000000}"
