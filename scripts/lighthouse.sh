#!/usr/bin/env bash
# `make lighthouse`: audit the public pages a consumer opens first (home, a search, a
# profile and its report) with Google Lighthouse in Debian's Chromium, phone profile
# (Lighthouse's default: a mid-range phone on a throttled 4G link), and print the scores.
#
# It audits the platform at LIGHTHOUSE_URL (default http://127.0.0.1:8000, the `make run`
# address); when nothing answers there it runs `make run` itself for the audit and stops it
# afterwards. Lighthouse is npm's, at a pinned version (12.x: 13 needs Node 22), installed
# under the services' state directory, never in the repository. Reports go to
# build/lighthouse/. Exit status 1 when a page scores below the targets (accessibility and
# best practices 95, performance 90). This is a measurement, like `make bench`: it is not
# part of `make test`, whose tests never assert on timings.
set -euo pipefail
cd "$(dirname "$0")/.."

LH_VERSION="${CREDIT_LIGHTHOUSE_VERSION:-12.2.3}"
SVC_DIR="${CREDIT_SERVICES_DIR:-$HOME/.cache/credit-platform}"
LH_DIR="$SVC_DIR/npm-lighthouse"
LH_BIN="$LH_DIR/node_modules/.bin/lighthouse"
CHROMIUM="${CREDIT_CHROMIUM:-/usr/bin/chromium}"
URL="${LIGHTHOUSE_URL:-http://127.0.0.1:8000}"
OUT=build/lighthouse

installed_version() {
    sed -n 's/^  "version": "\(.*\)",$/\1/p' "$LH_DIR/node_modules/lighthouse/package.json" 2>/dev/null
}

if [[ "$(installed_version)" != "$LH_VERSION" ]]; then
    echo "installing lighthouse@$LH_VERSION under $LH_DIR"
    mkdir -p "$LH_DIR"
    npm install --prefix "$LH_DIR" --no-audit --no-fund --save-exact "lighthouse@$LH_VERSION" \
        >"$LH_DIR/install.log" 2>&1 || {
        echo "npm install lighthouse@$LH_VERSION failed (see $LH_DIR/install.log)" >&2
        exit 1
    }
fi
if [[ ! -x "$CHROMIUM" ]]; then
    bash scripts/services.sh up >/dev/null  # installs Debian's chromium
fi

answers() { curl -fsS -o /dev/null --max-time 5 "$URL/healthz" 2>/dev/null || curl -fsS -o /dev/null --max-time 5 "$URL/" 2>/dev/null; }

server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

mkdir -p "$OUT"
if ! answers; then
    port="${URL##*:}"
    port="${port%%/*}"
    echo "nothing answers at $URL: starting \`make run\` on port $port for the audit (log: $OUT/server.log)"
    set -m
    make run PORT="$port" >"$OUT/server.log" 2>&1 &
    server_pid=$!
    set +m
    for _ in $(seq 1 600); do
        answers && break
        kill -0 "$server_pid" 2>/dev/null || { echo "make run stopped (see $OUT/server.log)" >&2; exit 1; }
        sleep 1
    done
    answers || { echo "make run did not answer at $URL within 10 minutes" >&2; exit 1; }
fi

CHROME_PATH="$CHROMIUM" .venv/bin/python scripts/lighthouse_report.py \
    --lighthouse "$LH_BIN" --base "$URL" --out "$OUT"
