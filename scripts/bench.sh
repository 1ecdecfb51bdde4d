#!/usr/bin/env bash
# `make bench`: the benchmarks on generated data sets (BENCH_ENTERPRISES, default
# 1,000,000). Starts Elasticsearch like `make test` does; prints tables.
set -euo pipefail
cd "$(dirname "$0")/.."
if bash scripts/services.sh up; then
    eval "$(bash scripts/services.sh env)"
else
    echo "WARNING: Elasticsearch unavailable: its rows will be missing." >&2
fi
N="${BENCH_ENTERPRISES:-1000000}"
# The search and page benchmarks read the server's time from Server-Timing (off in
# production unless enabled).
export CREDIT_SERVER_TIMING=true
.venv/bin/python -m tests.bench.bench_registry --enterprises "$N"
.venv/bin/python -m tests.bench.bench_pledges
# A 10,000-row import of the national penalty format (双公示), again, and the export
.venv/bin/python -m tests.bench.bench_exchange --rows 10000
# The transparency log's store: appends, and proofs at 10,000,000 entries (BENCH_LOG_ENTRIES)
.venv/bin/python -m tests.bench.bench_translog --entries "${BENCH_LOG_ENTRIES:-10000000}" --postgresql
# Writes as deployed with a worker process, on SQLite and PostgreSQL: at most 200,000 firms
# (BENCH_WRITES_ENTERPRISES overrides), consumers out of the web, and once in it to compare.
.venv/bin/python -m tests.bench.bench_writes --in-request --rate 200 \
    --enterprises "${BENCH_WRITES_ENTERPRISES:-$((N < 200000 ? N : 200000))}"
DATA="$(mktemp -d -t credit-bench-data-XXXXXX)"
trap 'rm -rf "$DATA"' EXIT
.venv/bin/python -m tests.bench.bench_ratings --enterprises "$N" --data "$DATA"
.venv/bin/python -m tests.bench.bench_worker --data "$DATA"  # freshness through the worker
# ... and while the worker catches up on 20,000 pledge ends (its sweep gives way)
.venv/bin/python -m tests.bench.bench_worker --data "$DATA" --catch-up 20000
.venv/bin/python -m tests.bench.bench_search --data "$DATA" --keep-indices
.venv/bin/python -m tests.bench.bench_pages --data "$DATA" --drop-indices
# The production pair: the same figures on PostgreSQL + Elasticsearch (the database
# credit_bench on the services' PostgreSQL, dropped at the end)
if [[ -n "${CREDIT_TEST_DATABASE_URL:-}" && -n "${CREDIT_TEST_SEARCH_URL:-}" ]]; then
    PG_DATA="$(mktemp -d -t credit-bench-pg-XXXXXX)"
    trap 'rm -rf "$DATA" "$PG_DATA"' EXIT
    .venv/bin/python -m tests.bench.bench_ratings --enterprises "$N" --data "$PG_DATA" --postgresql
    .venv/bin/python -m tests.bench.bench_search --data "$PG_DATA" --postgresql \
        --backends elasticsearch --reindex elasticsearch --keep-indices
    .venv/bin/python -m tests.bench.bench_pages --data "$PG_DATA" --postgresql \
        --backends elasticsearch --drop-indices --drop-database
fi
