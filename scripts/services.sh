#!/usr/bin/env bash
# Provision and run the real backing services the test suite needs:
#   * PostgreSQL (our own cluster, never the system one)
#   * Elasticsearch (Elastic's integ-test distribution, fetched through Maven)
#   * Redis (Debian's redis-server, our own instance, never the system one): the shared
#     rate-limit counters
#   * nginx (Debian's package, binary only: the proxy tests start their own instance
#     on a loopback port; it is never started as a daemon here)
#
# Usage: scripts/services.sh up|down|status|env
#        scripts/services.sh es-cluster up|down|status|env|stop-node N|start-node N
#
#   up      ensure the services are provisioned and running (idempotent;
#           only checks when they already run). One line per service.
#   down    stop PostgreSQL, Elasticsearch and Redis (data is kept).
#   status  print the state of the services; exit 0 only if all run.
#   env     print `export NAME=value` lines with the test URLs.
#   es-cluster  a three-node Elasticsearch cluster on loopback, apart from the shared
#           node (block "Elasticsearch cluster" below; docs/deploying/elasticsearch.md).
#
# Knobs (environment):
#   CREDIT_SERVICES_DIR   state directory   (default $HOME/.cache/credit-platform)
#   CREDIT_PG_PORT        PostgreSQL port   (default 55432)
#   CREDIT_PG_SHARED_BUFFERS  PostgreSQL shared_buffers (default 1GB)
#   CREDIT_REDIS_PORT     Redis port        (default 56379)
#   CREDIT_ES_PORT        Elasticsearch HTTP port      (default 59200)
#   CREDIT_ES_TRANSPORT_PORT  Elasticsearch transport  (default CREDIT_ES_PORT+100)
#   CREDIT_ES_VERSION     Elasticsearch version        (default 9.2.0)
#   CREDIT_ES_HEAP        heap size for -Xms/-Xmx      (default 512m)
#   CREDIT_ES_CLUSTER_PORT   first HTTP port of the 3-node cluster (default 59210;
#                            transport ports from +100)
#   CREDIT_ES_CLUSTER_HEAP   heap of each cluster node (default 384m)
#   CREDIT_ES_CLUSTER_DIR    the cluster's state (default $CREDIT_SERVICES_DIR/es-cluster-<version>)
#   CREDIT_SERVICES_USER  OS user the services run as when invoked as root
#                         (default creditsvc; created if missing)
#   CREDIT_ES_JAVA_HOME   force a JDK (>= 21) for Elasticsearch
#   CI                    informational only: any failure exits non-zero
#
# All state (data, logs, the unpacked Elasticsearch) lives under
# CREDIT_SERVICES_DIR, never inside the repository. The Elasticsearch zip
# itself is cached in the Maven local repository (~/.m2).
set -Eeuo pipefail

# ---------------------------------------------------------------- settings --
SVC_DIR="${CREDIT_SERVICES_DIR:-$HOME/.cache/credit-platform}"
PG_PORT="${CREDIT_PG_PORT:-55432}"
ES_PORT="${CREDIT_ES_PORT:-59200}"
ES_TRANSPORT_PORT="${CREDIT_ES_TRANSPORT_PORT:-$((ES_PORT + 100))}"
ES_VERSION="${CREDIT_ES_VERSION:-9.2.0}"
ES_HEAP="${CREDIT_ES_HEAP:-512m}"
SVC_USER_NAME="${CREDIT_SERVICES_USER:-creditsvc}"
REDIS_PORT="${CREDIT_REDIS_PORT:-56379}"

PG_DB=credit_test
PG_ROLE=credit
PG_SUPERUSER=postgres            # bootstrap superuser of our own cluster
ES_WAIT_SECONDS=90
ES_LOG_OFFSET=0

PROG="services.sh"
QUIET_LOG=""                     # provisioning noise goes here (set in init_dirs)
APT_UPDATED=0

die() {
    echo "$PROG: ERROR: $*" >&2
    exit 1
}
warn() { echo "$PROG: warning: $*" >&2; }

on_err() {
    local rc=$? line=$1
    echo "$PROG: ERROR: unexpected failure (exit $rc) at line $line: $BASH_COMMAND" >&2
    if [[ -n "$QUIET_LOG" && -s "$QUIET_LOG" ]]; then
        echo "---- last lines of $QUIET_LOG ----" >&2
        tail -n 10 "$QUIET_LOG" | cut -c1-300 >&2 || true
    fi
    exit "$rc"
}
trap 'on_err $LINENO' ERR

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && (($1 > 0 && $1 < 65536)); }
is_port "$PG_PORT" || die "CREDIT_PG_PORT='$PG_PORT' is not a valid port"
is_port "$ES_PORT" || die "CREDIT_ES_PORT='$ES_PORT' is not a valid port"
is_port "$REDIS_PORT" || die "CREDIT_REDIS_PORT='$REDIS_PORT' is not a valid port"
is_port "$ES_TRANSPORT_PORT" || die "CREDIT_ES_TRANSPORT_PORT='$ES_TRANSPORT_PORT' is not a valid port"
[[ "$ES_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "CREDIT_ES_VERSION='$ES_VERSION' is not a x.y.z version"
[[ "$SVC_DIR" == /* ]] || SVC_DIR="$PWD/$SVC_DIR"

PG_DATA="$SVC_DIR/pg"
LOG_DIR="$SVC_DIR/logs"
PG_LOG="$LOG_DIR/postgresql.log"
ES_HOME="$SVC_DIR/elasticsearch-$ES_VERSION"          # unpacked distribution
ES_STATE="$SVC_DIR/es-$ES_VERSION"                      # data/logs/tmp/pid
ES_PIDFILE="$ES_STATE/run/elasticsearch.pid"
ES_URL="http://127.0.0.1:$ES_PORT"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"

DATABASE_URL="postgresql+psycopg://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DB"

REDIS_DIR="$SVC_DIR/redis"                               # config, pid file, working dir
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

# size in bytes of file $1 (0 if missing), and the lines appended after it
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
tail_since() { tail -c +"$(($2 + 1))" "$1" 2>/dev/null | tail -n "$3" | cut -c1-400; }

# Never let a proxy configured for the registries intercept loopback traffic.
curl_local() { curl --noproxy '*' -sS "$@"; }

# ------------------------------------------------------------------ users --
IS_ROOT=0
[[ $EUID -eq 0 ]] && IS_ROOT=1
if ((IS_ROOT)); then
    SVC_USER="$SVC_USER_NAME"
    RUN_AS=(runuser -u "$SVC_USER" --)
else
    SVC_USER="$(id -un)"
    RUN_AS=()
fi

# Run a command as the service user, with cwd inside the services dir (the
# caller's cwd may not be readable by that user) and a clean environment.
as_svc() {
    local -a envv=(
        "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        "HOME=$SVC_DIR" "LANG=C.UTF-8" "LC_ALL=C.UTF-8"
    )
    (cd "$SVC_DIR" && "${RUN_AS[@]}" env -i "${envv[@]}" "$@")
}

# Start a daemon as the service user in a new session (so it survives the
# caller's terminal / process group), cwd $1, stdout/stderr appended to $2,
# never holding our stdio.
# Raises the open-files limit first (Elasticsearch wants >= 65535; needs
# CAP_SYS_RESOURCE, else the soft limit is raised to the hard limit).
spawn_daemon() {
    local cwd="$1" out="$2"; shift 2
    # shellcheck disable=SC2016  # $1/$@ are expanded by the inner bash
    setsid -w bash -c 'ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        cd "$1" && shift && exec "$@"' _ "$cwd" \
        "${RUN_AS[@]}" env -i PATH=/usr/bin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 "$@" \
        </dev/null >>"$out" 2>&1 9>&-   # 9>&-: daemons must not inherit the lock
}

ensure_svc_user() {
    ((IS_ROOT)) || return 0
    id -u "$SVC_USER" >/dev/null 2>&1 && return 0
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "credit-platform test services" \
        "$SVC_USER" >>"$QUIET_LOG" 2>&1 ||
        die "could not create system user '$SVC_USER' (see $QUIET_LOG)"
}

# The service user must be able to traverse every ancestor of SVC_DIR (the
# default lives under /root, which is mode 0700). Grant search-only access:
# an ACL entry when possible, otherwise o+x.
ensure_traversable() {
    ((IS_ROOT)) || return 0
    local d="$SVC_DIR"
    local -a dirs=()
    while [[ "$d" != "/" && -n "$d" ]]; do
        d="$(dirname "$d")"
        dirs=("$d" "${dirs[@]}")
    done
    for d in "${dirs[@]}"; do
        runuser -u "$SVC_USER" -- test -x "$d" 2>/dev/null && continue
        if ! command -v setfacl >/dev/null 2>&1; then
            (apt_install acl) 2>/dev/null || true
        fi
        if command -v setfacl >/dev/null 2>&1 && setfacl -m "u:$SVC_USER:x" "$d" 2>>"$QUIET_LOG"; then
            :
        else
            chmod o+x "$d"
        fi
        runuser -u "$SVC_USER" -- test -x "$d" ||
            die "user '$SVC_USER' cannot traverse '$d'; choose another CREDIT_SERVICES_DIR"
    done
}

# ------------------------------------------------------------------- apt ---
apt_install() {
    ((IS_ROOT)) || die "need package(s) '$*' but not root: install them manually"
    command -v apt-get >/dev/null 2>&1 || die "need package(s) '$*' but apt-get is not available"
    if ((APT_UPDATED == 0)); then
        DEBIAN_FRONTEND=noninteractive apt-get update >>"$QUIET_LOG" 2>&1 ||
            die "apt-get update failed (see $QUIET_LOG)"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$QUIET_LOG" 2>&1 ||
        die "apt-get install $* failed (see $QUIET_LOG)"
}

# Install packages whose Debian maintainer scripts would start a system daemon
# (redis-server on 6379, nginx on port 80 of every address). A policy-rc.d that answers
# 101 ("action forbidden") keeps them stopped during the install (containers usually
# ship one already); on a systemd host the units named in $1 are then disabled too: we
# run our own Redis, and nginx only inside the proxy tests.
apt_install_no_start() {
    local units="$1" policy=/usr/sbin/policy-rc.d made=0 rc=0
    shift
    if ((IS_ROOT)) && [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# temporary: credit-platform scripts/services.sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        made=1
    fi
    (apt_install "$@") || rc=$?
    if ((made)); then rm -f "$policy"; fi
    ((rc == 0)) || exit "$rc"
    APT_UPDATED=1
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        # shellcheck disable=SC2086  # a list of unit names
        systemctl disable --now $units >>"$QUIET_LOG" 2>&1 || true
    fi
}

# ------------------------------------------------------------------ dirs ---
init_dirs() {
    mkdir -p "$SVC_DIR" "$LOG_DIR"
    QUIET_LOG="$LOG_DIR/provision.log"
    : >>"$QUIET_LOG"
}

# Serialise concurrent up/down invocations (parallel make, two terminals).
take_lock() {
    exec 9>>"$SVC_DIR/.lock"
    command -v flock >/dev/null 2>&1 || return 0
    if ! flock -n 9; then
        echo "$PROG: waiting for another services.sh run (lock $SVC_DIR/.lock)..." >&2
        flock -w 600 9 || die "timed out after 600s waiting for lock $SVC_DIR/.lock"
    fi
}

# ============================================================ PostgreSQL ===
PG_BIN=""

pg_major_of_bin() { basename "$(dirname "$1")"; }

# Prints the bin dir of the requested major ($1), or of the newest major.
find_pg_bin() {
    local want="${1:-}" d found
    found="$(for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] || continue
        printf '%s %s\n' "$(pg_major_of_bin "$d")" "$d"
    done | sort -n -k1,1)"
    [[ -n "$found" ]] || return 1
    if [[ -n "$want" ]]; then
        found="$(awk -v w="$want" '$1 == w { print $2 }' <<<"$found")"
    else
        found="$(tail -n 1 <<<"$found" | cut -d' ' -f2-)"
    fi
    [[ -n "$found" ]] && echo "$found"
}

# Resolve PG_BIN: the major that created an existing data dir, else newest.
resolve_pg_bin() {
    local want=""
    [[ -f "$PG_DATA/PG_VERSION" ]] && want="$(cat "$PG_DATA/PG_VERSION")"
    PG_BIN="$(find_pg_bin "$want" || true)"
    if [[ -z "$PG_BIN" && -z "$want" ]]; then
        apt_install postgresql
        PG_BIN="$(find_pg_bin || true)"
        [[ -n "$PG_BIN" ]] || die "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    elif [[ -z "$PG_BIN" ]]; then
        die "data dir $PG_DATA was created by PostgreSQL $want, whose binaries are not installed;" \
            "install postgresql-$want or remove $PG_DATA (this deletes the test data)"
    fi
    # client tools from the same major
    [[ -x "$PG_BIN/pg_isready" && -x "$PG_BIN/psql" ]] ||
        die "pg_isready/psql missing in $PG_BIN"
}

pg_conninfo() { echo "host=127.0.0.1 port=$PG_PORT user=$PG_SUPERUSER dbname=${1:-postgres} sslmode=disable connect_timeout=5"; }

pg_ready() {
    # -U/-d: otherwise the probe logs 'FATAL: role "root" does not exist'
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres \
        -t "${1:-2}" >/dev/null 2>&1
}

# pg_isready returns at once while the server rejects connections (startup,
# crash recovery): poll for up to $1 seconds.
pg_wait_ready() {
    local i
    for ((i = 0; i < $1 * 2; i++)); do
        pg_ready 2 && return 0
        sleep 0.5
    done
    return 1
}

# process state letter (R, S, Z, ...) of pid $1; fails if there is no such pid
pid_state() {
    local st
    st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    st="${st##*) }"          # comm may contain spaces/parens: cut after the last ')'
    echo "${st%% *}"
}

# 0 if pid $1 exists and is not a zombie
pid_alive() {
    local st
    st="$(pid_state "$1")" || return 1
    [[ "$st" != Z ]]
}

pg_pid() {
    local l=""
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then read -r l <"$PG_DATA/postmaster.pid" || true; fi
    echo "${l//[!0-9]/}"
}

# 0 if our postmaster (for $PG_DATA) is running. A killed postmaster can
# linger as a zombie until init reaps it; pg_ctl would call that "running".
# (Also guards against a stale postmaster.pid whose pid was reused.)
pg_running() {
    local pid
    [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
    pid="$(pg_pid)"
    [[ -n "$pid" ]] && pid_alive "$pid" || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == postgres* ]] || return 1
    as_svc "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# After a crash, wait until a zombie postmaster has been reaped, otherwise
# postgres refuses to start ("lock file already exists").
pg_wait_reaped() {
    local pid i
    pid="$(pg_pid)"
    [[ -n "$pid" ]] || return 0
    for ((i = 0; i < 30; i++)); do
        [[ "$(pid_state "$pid" || true)" == Z ]] || return 0
        sleep 0.5
    done
    die "previous postmaster (pid $pid) is a zombie that is not being reaped; cannot restart PostgreSQL"
}

# port recorded by the running postmaster (line 4 of postmaster.pid)
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true; }

pg_psql() {
    # $1 = dbname, rest = psql args. Ignore caller's PG* settings and ~/.psqlrc.
    local db="$1"; shift
    env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGOPTIONS -u PGSERVICE -u PGSSLMODE \
        "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$(pg_conninfo "$db")" "$@"
}

sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

pg_write_config() {
    # Regenerated on every start so knob changes (port) take effect.
    cat >"$PG_DATA/credit_platform.conf" <<EOF
# Managed by scripts/services.sh -- regenerated on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = $(sql_quote "$PG_DATA")
unix_socket_permissions = 0700
# memory sized like a small production server (the 1,000,000-firm benchmarks; the
# tests' data fit either way): shared buffers, the planner's idea of the page cache, and
# fewer checkpoints during bulk loads
shared_buffers = ${CREDIT_PG_SHARED_BUFFERS:-1GB}
effective_cache_size = 8GB
max_wal_size = 4GB
# durability: keep the safe defaults explicitly
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
    cat >"$PG_DATA/pg_hba.conf" <<EOF
# Managed by scripts/services.sh: trust, loopback IPv4 and own socket only.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
    if ((IS_ROOT)); then chown "$SVC_USER:" "$PG_DATA/credit_platform.conf" "$PG_DATA/pg_hba.conf"; fi
    chmod 0600 "$PG_DATA/credit_platform.conf" "$PG_DATA/pg_hba.conf"
}

pg_initdb() {
    local tmp="$SVC_DIR/pg.init.$$" locale=C
    if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then locale=C.UTF-8; fi
    rm -rf "$tmp"
    mkdir -m 0700 "$tmp"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$tmp"; fi
    if ! as_svc "$PG_BIN/initdb" -D "$tmp" -U "$PG_SUPERUSER" --auth=trust \
            --encoding=UTF8 --locale="$locale" >>"$QUIET_LOG" 2>&1; then
        rm -rf "$tmp"
        die "initdb failed (see $QUIET_LOG)"
    fi
    echo "include_if_exists = 'credit_platform.conf'" >>"$tmp/postgresql.conf"
    mv "$tmp" "$PG_DATA"   # atomic: a half-initialised dir is never left behind
}

pg_start() {
    local sock="$PG_DATA/.s.PGSQL.$PG_PORT"
    ((${#sock} <= 100)) || die "unix socket path '$sock' is too long; use a shorter CREDIT_SERVICES_DIR"
    if pg_ready 1; then
        die "something else is already listening on 127.0.0.1:$PG_PORT; set CREDIT_PG_PORT to a free port"
    fi
    pg_wait_reaped
    pg_write_config
    : >>"$PG_LOG"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$PG_LOG"; fi
    local off
    off="$(fsize "$PG_LOG")"
    # setsid: detach the postmaster from our session/terminal.
    if ! spawn_daemon "$SVC_DIR" "$QUIET_LOG" HOME="$SVC_DIR" \
            "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60; then
        echo "$PROG: ERROR: PostgreSQL failed to start; from $PG_LOG:" >&2
        tail_since "$PG_LOG" "$off" 25 >&2 || true
        exit 1
    fi
}

pg_stop() {
    [[ -d "$PG_DATA" ]] || return 0
    resolve_pg_bin_quiet || return 0
    pg_running || return 0
    as_svc "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >>"$QUIET_LOG" 2>&1 ||
        die "pg_ctl stop failed (see $PG_LOG)"
}

# like resolve_pg_bin but never installs anything
resolve_pg_bin_quiet() {
    local want=""
    [[ -f "$PG_DATA/PG_VERSION" ]] && want="$(cat "$PG_DATA/PG_VERSION")"
    PG_BIN="$(find_pg_bin "$want" || true)"
    [[ -n "$PG_BIN" ]]
}

pg_ensure_role_db() {
    local r
    r="$(pg_psql postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = $(sql_quote "$PG_ROLE")")"
    [[ "$r" == 1 ]] || pg_psql postgres -c "CREATE ROLE \"$PG_ROLE\" LOGIN SUPERUSER"
    r="$(pg_psql postgres -tAc "SELECT 1 FROM pg_database WHERE datname = $(sql_quote "$PG_DB")")"
    [[ "$r" == 1 ]] || pg_psql postgres -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_ROLE\" ENCODING 'UTF8' TEMPLATE template0"
}

pg_up() {
    local t0=$SECONDS how="already running"
    resolve_pg_bin
    if [[ -d "$PG_DATA" ]] && pg_running; then
        if [[ "$(pg_running_port)" != "$PG_PORT" ]]; then
            pg_stop       # port knob changed: restart on the new port
            pg_start
            how="restarted on new port"
        elif ! pg_wait_ready 30; then
            die "PostgreSQL (pid $(pg_pid)) runs but is not accepting connections on 127.0.0.1:$PG_PORT; see $PG_LOG"
        fi
    else
        if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
            [[ -e "$PG_DATA" ]] && die "$PG_DATA exists but is not a PostgreSQL data directory; remove it"
            pg_initdb
            how="initialised and started"
        else
            how="started"
        fi
        pg_start
    fi
    pg_wait_ready 30 || die "pg_isready: PostgreSQL not ready on 127.0.0.1:$PG_PORT; see $PG_LOG"
    pg_ensure_role_db
    echo "postgresql: running ($how, PostgreSQL $(pg_major_of_bin "$PG_BIN"), $((SECONDS - t0))s) $DATABASE_URL"
}

pg_status() {
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        echo "postgresql: not provisioned ($PG_DATA)"; return 1
    fi
    if ! resolve_pg_bin_quiet; then
        echo "postgresql: binaries for PostgreSQL $(cat "$PG_DATA/PG_VERSION") not installed"; return 1
    fi
    if pg_running; then
        if pg_ready 2; then
            echo "postgresql: running (pid $(pg_pid), port $(pg_running_port)) $DATABASE_URL"
            return 0
        fi
        echo "postgresql: running but not accepting connections on 127.0.0.1:$PG_PORT"; return 1
    fi
    echo "postgresql: stopped (data $PG_DATA)"; return 1
}

# ========================================================= Elasticsearch ===
es_pid() {
    local p
    [[ -f "$1" ]] || return 1
    p="$(tr -dc '0-9' <"$1")"
    [[ -n "$p" ]] && pid_alive "$p" || return 1
    # guard against a stale pid file whose pid was reused after a reboot
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep 'org.elasticsearch' >/dev/null || return 1
    echo "$p"
}

es_health_ok() {
    local out
    out="$(curl_local -m "${2:-5}" "http://127.0.0.1:${1}/_cluster/health?wait_for_status=yellow&timeout=${3:-1s}" 2>/dev/null)" || return 1
    [[ "$out" == *'"status":"green"'* || "$out" == *'"status":"yellow"'* ]]
}

port_answers_http() { curl_local -m 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; }

java_major() {
    # prints the feature version of $1/bin/java, e.g. 25 (or 8 for 1.8)
    local v
    v="$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)" || return 1
    [[ -n "$v" ]] || return 1
    if [[ "$v" == 1.* ]]; then v="${v#1.}"; fi
    echo "${v%%[.+-]*}"
}

find_java_home() {
    local d m best="" bestm=0 real
    if [[ -n "${CREDIT_ES_JAVA_HOME:-}" ]]; then
        m="$(java_major "$CREDIT_ES_JAVA_HOME" 2>/dev/null || true)"
        [[ "$m" =~ ^[0-9]+$ ]] && ((m >= 21)) || die "CREDIT_ES_JAVA_HOME=$CREDIT_ES_JAVA_HOME is not a JDK >= 21"
        echo "$CREDIT_ES_JAVA_HOME"; return 0
    fi
    declare -A seen=()
    for d in /usr/lib/jvm/*/; do
        d="${d%/}"
        [[ -x "$d/bin/java" ]] || continue
        real="$(readlink -f "$d")"
        [[ -z "${seen[$real]:-}" ]] || continue
        seen[$real]=1
        m="$(java_major "$d" 2>/dev/null || true)"
        [[ "$m" =~ ^[0-9]+$ ]] || continue
        if ((m >= 21 && m > bestm)); then best="$real"; bestm=$m; fi
    done
    if [[ -z "$best" ]]; then
        local found=""
        for d in /usr/lib/jvm/*/; do
            d="${d%/}"
            [[ -x "$d/bin/java" ]] && found+=" ${d##*/} (Java $(java_major "$d" 2>/dev/null || echo '?'))"
        done
        die "Elasticsearch $ES_VERSION needs Java 21 or newer, and no such JDK is under /usr/lib/jvm" \
            "(found:${found:- none}). The integration-test zip this script runs bundles no JDK" \
            "(Elastic's own packages do). Debian 12 (bookworm) ships Java 17 only (openjdk-17):" \
            "install Eclipse Temurin 21 or newer from Adoptium's apt repository (apt-get install" \
            "temurin-21-jdk, see https://adoptium.net/installation/linux/), or on Debian 13 (trixie)" \
            "apt-get install openjdk-21-jdk-headless; or point CREDIT_ES_JAVA_HOME at any JDK >= 21" \
            "(README, \"Deploying\")."
    fi
    echo "$best"
}

es_zip_path() {
    local repo="${CREDIT_M2_REPO:-$HOME/.m2/repository}"
    echo "$repo/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
}

es_fetch_zip() {
    local zip
    zip="$(es_zip_path)"
    if [[ ! -s "$zip" ]]; then
        command -v mvn >/dev/null 2>&1 || apt_install maven
        mvn -q -B dependency:get -Dartifact="$ES_ARTIFACT" -Dtransitive=false >>"$QUIET_LOG" 2>&1 ||
            die "mvn dependency:get $ES_ARTIFACT failed (see $QUIET_LOG)"
        if [[ ! -s "$zip" ]]; then
            # non-default localRepository (settings.xml)
            local repo
            repo="$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>>"$QUIET_LOG" || true)"
            [[ -n "$repo" ]] && zip="$repo/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
        fi
        [[ -s "$zip" ]] || die "Maven reported success but $zip is missing (set CREDIT_M2_REPO?)"
    fi
    echo "$zip"
}

es_install() {
    [[ -x "$ES_HOME/bin/elasticsearch" ]] && return 0
    local zip tmp
    zip="$(es_fetch_zip)" || exit 1
    command -v unzip >/dev/null 2>&1 || apt_install unzip
    tmp="$SVC_DIR/.es-unpack.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! unzip -q "$zip" -d "$tmp" >>"$QUIET_LOG" 2>&1; then
        rm -rf "$tmp"
        die "could not unpack $zip (corrupt download? delete it and retry)"
    fi
    [[ -x "$tmp/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] || { rm -rf "$tmp"; die "unexpected layout in $zip"; }
    if ((IS_ROOT)); then chown -R "$SVC_USER:" "$tmp/elasticsearch-$ES_VERSION"; fi
    rm -rf "$ES_HOME"
    mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME"    # atomic publish
    rm -rf "$tmp"
}

es_write_config() {
    # The zip's elasticsearch.yml is comments only; ours replaces it on every start.
    cat >"$ES_HOME/config/elasticsearch.yml" <<EOF
# Managed by scripts/services.sh -- regenerated on every start.
cluster.name: credit-platform-test
node.name: credit-test-node
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
path.data: $ES_STATE/data
path.logs: $ES_STATE/logs
cluster.routing.allocation.disk.threshold_enabled: false
xpack.security.enabled: false
# Searches are answered from the shard request cache when repeated (search/elastic.py);
# its default, 1% of a small heap (5 MB), holds too few results to matter.
indices.requests.cache.size: 10%
EOF
    if ((IS_ROOT)); then chown "$SVC_USER:" "$ES_HOME/config/elasticsearch.yml"; fi
}

es_start() {
    local java_home pid i
    java_home="$(find_java_home)" || exit 1
    es_install
    mkdir -p "$ES_STATE/data" "$ES_STATE/logs" "$ES_STATE/tmp" "$ES_STATE/run"
    if ((IS_ROOT)); then chown -R "$SVC_USER:" "$ES_STATE"; fi
    rm -f "$ES_PIDFILE"
    if port_answers_http "$ES_PORT"; then
        die "something else is already answering on 127.0.0.1:$ES_PORT; set CREDIT_ES_PORT to a free port"
    fi
    es_write_config
    ES_LOG_OFFSET="$(fsize "$ES_STATE/logs/credit-platform-test.log")"
    # Development mode (loopback + single-node) does not enforce bootstrap
    # checks; raise max_map_count anyway when allowed (mmap-heavy Lucene).
    if ((IS_ROOT)) && [[ "$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)" -lt 262144 ]]; then
        sysctl -q -w vm.max_map_count=262144 >/dev/null 2>&1 || true
    fi
    echo "$ES_PORT" >"$ES_STATE/run/http.port"
    # cwd = logs dir: jvm.options writes gc.log / hs_err files relative to cwd.
    # The launcher echoes the node log to stdout until it detaches: keep that
    # out of provision.log.
    : >"$ES_STATE/logs/startup.out"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$ES_STATE/logs/startup.out"; fi
    if ! spawn_daemon "$ES_STATE/logs" "$ES_STATE/logs/startup.out" HOME="$ES_STATE" \
            ES_JAVA_HOME="$java_home" ES_TMPDIR="$ES_STATE/tmp" \
            ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
            "$ES_HOME/bin/elasticsearch" -d -p "$ES_PIDFILE"; then
        echo "$PROG: ERROR: Elasticsearch failed to start (JDK $java_home)." >&2
        es_log_tail
        exit 1
    fi
    for ((i = 0; i < ES_WAIT_SECONDS; i += 2)); do
        if es_health_ok "$ES_PORT" 5 2s; then return 0; fi
        if ! pid="$(es_pid "$ES_PIDFILE")" && ((i > 4)); then
            echo "$PROG: ERROR: Elasticsearch process exited during startup." >&2
            es_log_tail
            exit 1
        fi
        sleep 2
    done
    echo "$PROG: ERROR: Elasticsearch did not reach yellow within ${ES_WAIT_SECONDS}s on $ES_URL." >&2
    es_log_tail
    exit 1
}

es_log_tail() {
    local f="$ES_STATE/logs/credit-platform-test.log"
    if (($(fsize "$f") > ES_LOG_OFFSET)); then
        echo "---- warnings/errors from this start, $f ----" >&2
        tail_since "$f" "$ES_LOG_OFFSET" 100000 | grep -E '^\[[^]]*\]\[(WARN |ERROR|FATAL)|^[A-Za-z_.$]+(Exception|Error)\b' | tail -n 8 >&2 || true
        echo "---- last lines ----" >&2
        tail_since "$f" "$ES_LOG_OFFSET" 12 >&2 || true
    else
        echo "---- last lines of $ES_STATE/logs/startup.out ----" >&2
        tail -n 25 "$ES_STATE/logs/startup.out" | cut -c1-400 >&2 || true
    fi
}

es_stop_pidfile() {
    local pidfile="$1" pid i
    pid="$(es_pid "$pidfile")" || { rm -f "$pidfile"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        pid_alive "$pid" || { rm -f "$pidfile"; return 0; }
        sleep 0.5
    done
    warn "Elasticsearch (pid $pid) did not stop after 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
    rm -f "$pidfile"
}

es_stop() {
    # stop any version started from this services dir (version knob may have changed)
    local f
    for f in "$SVC_DIR"/es-*/run/elasticsearch.pid; do
        [[ -e "$f" ]] && es_stop_pidfile "$f"
    done
    return 0
}

es_up() {
    local t0=$SECONDS how="already running" pid oldport
    if pid="$(es_pid "$ES_PIDFILE")"; then
        oldport="$(cat "$ES_STATE/run/http.port" 2>/dev/null || true)"
        if [[ "$oldport" != "$ES_PORT" ]]; then
            es_stop_pidfile "$ES_PIDFILE"
            es_start
            how="restarted on new port"
        elif ! es_health_ok "$ES_PORT" 30 25s; then
            die "Elasticsearch (pid $pid) runs but $ES_URL is not healthy; see $ES_STATE/logs (try: $0 down && $0 up)"
        fi
    else
        es_stop   # another version from this dir may still hold the ports
        if [[ -x "$ES_HOME/bin/elasticsearch" ]]; then how="started"; else how="installed and started"; fi
        es_start
    fi
    echo "elasticsearch: running ($how, $ES_VERSION, $((SECONDS - t0))s) $ES_URL"
}

es_status() {
    local pid
    if [[ ! -x "$ES_HOME/bin/elasticsearch" ]]; then
        echo "elasticsearch: not installed ($ES_HOME)"; return 1
    fi
    if pid="$(es_pid "$ES_PIDFILE")"; then
        if es_health_ok "$ES_PORT" 5 1s; then
            echo "elasticsearch: running (pid $pid, $ES_VERSION) $ES_URL"; return 0
        fi
        echo "elasticsearch: process $pid alive but $ES_URL not healthy"; return 1
    fi
    echo "elasticsearch: stopped ($ES_VERSION)"; return 1
}

# ================================================================= Redis ===
# Debian's redis-server as our own instance: a generated config, its own port, the pid
# file and working dir under $REDIS_DIR, the log under $LOG_DIR, run as the service user
# and bound to 127.0.0.1 only. It holds the rate-limit counters, which live a minute or
# so: nothing is persisted (no RDB snapshots, no AOF).
REDIS_SERVER=""
REDIS_WAIT_SECONDS=20

resolve_redis() {
    REDIS_SERVER="$(command -v redis-server || true)"
    if [[ -z "$REDIS_SERVER" ]] || ! command -v redis-cli >/dev/null 2>&1; then
        apt_install_no_start redis-server.service redis-server redis-tools
        REDIS_SERVER="$(command -v redis-server || true)"
        [[ -n "$REDIS_SERVER" ]] || die "redis-server was installed but is not on PATH"
    fi
}

redis_version() { "$REDIS_SERVER" --version 2>/dev/null | sed -n 's/.* v=\([0-9.]*\).*/\1/p'; }

redis_ping() {
    [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

redis_wait_ready() {
    local i
    for ((i = 0; i < $1 * 4; i++)); do
        redis_ping && return 0
        sleep 0.25
    done
    return 1
}

# anything at all listening on 127.0.0.1:$1
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

redis_pid() {
    local p
    [[ -f "$REDIS_DIR/redis.pid" ]] || return 1
    p="$(tr -dc '0-9' <"$REDIS_DIR/redis.pid")"
    [[ -n "$p" ]] && pid_alive "$p" || return 1
    # guard against a stale pid file whose pid was reused
    [[ "$(cat "/proc/$p/comm" 2>/dev/null || true)" == redis-server* ]] || return 1
    echo "$p"
}

redis_write_config() {
    cat >"$REDIS_DIR/redis.conf" <<EOF
# Managed by scripts/services.sh -- regenerated on every start.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_LOG
loglevel notice
dir $REDIS_DIR
# rate-limit counters only: nothing worth persisting
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-ttl
EOF
    if ((IS_ROOT)); then chown "$SVC_USER:" "$REDIS_DIR/redis.conf"; fi
    chmod 0600 "$REDIS_DIR/redis.conf"
}

redis_start() {
    local off
    mkdir -p "$REDIS_DIR"
    chmod 0700 "$REDIS_DIR"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$REDIS_DIR"; fi
    rm -f "$REDIS_DIR/redis.pid"
    if port_in_use "$REDIS_PORT"; then
        die "something else is already listening on 127.0.0.1:$REDIS_PORT; set CREDIT_REDIS_PORT to a free port"
    fi
    redis_write_config
    : >>"$REDIS_LOG"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$REDIS_LOG"; fi
    off="$(fsize "$REDIS_LOG")"
    # daemonize yes: the server forks, and its parent exits once the config is read.
    if ! spawn_daemon "$REDIS_DIR" "$QUIET_LOG" "$REDIS_SERVER" "$REDIS_DIR/redis.conf"; then
        echo "$PROG: ERROR: Redis failed to start; from $REDIS_LOG and $QUIET_LOG:" >&2
        tail_since "$REDIS_LOG" "$off" 15 >&2 || true
        tail -n 5 "$QUIET_LOG" | cut -c1-300 >&2 || true
        exit 1
    fi
    echo "$REDIS_PORT" >"$REDIS_DIR/port"
    if ! redis_wait_ready "$REDIS_WAIT_SECONDS"; then
        echo "$PROG: ERROR: Redis did not answer PING on 127.0.0.1:$REDIS_PORT within ${REDIS_WAIT_SECONDS}s; from $REDIS_LOG:" >&2
        tail_since "$REDIS_LOG" "$off" 15 >&2 || true
        exit 1
    fi
}

redis_stop() {
    local pid i
    pid="$(redis_pid)" || { rm -f "$REDIS_DIR/redis.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        pid_alive "$pid" || { rm -f "$REDIS_DIR/redis.pid"; return 0; }
        sleep 0.25
    done
    warn "Redis (pid $pid) did not stop after 15s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$REDIS_DIR/redis.pid"
}

redis_up() {
    local t0=$SECONDS how="already running" pid
    resolve_redis
    if pid="$(redis_pid)"; then
        if [[ "$(cat "$REDIS_DIR/port" 2>/dev/null || true)" != "$REDIS_PORT" ]]; then
            redis_stop
            redis_start
            how="restarted on new port"
        elif ! redis_wait_ready 10; then
            die "Redis (pid $pid) runs but does not answer PING on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG (try: $0 down && $0 up)"
        fi
    else
        redis_start
        how="started"
    fi
    echo "redis: running ($how, Redis $(redis_version), $((SECONDS - t0))s) $REDIS_URL"
}

redis_status() {
    local pid
    REDIS_SERVER="$(command -v redis-server || true)"
    if [[ -z "$REDIS_SERVER" ]]; then
        echo "redis: not installed (Debian package redis-server)"; return 1
    fi
    if pid="$(redis_pid)"; then
        if redis_ping; then
            echo "redis: running (pid $pid, Redis $(redis_version)) $REDIS_URL"; return 0
        fi
        echo "redis: process $pid alive but 127.0.0.1:$REDIS_PORT does not answer PING"; return 1
    fi
    echo "redis: stopped"; return 1
}

# ================================================================= nginx ===
# Debian's nginx, binary only: the proxy tests (tests/live/test_rate_limits.py) start
# their own nginx with a generated config on a free loopback port. Installing the package
# must not start the system daemon (it would listen on port 80 of every address).
NGINX="${CREDIT_NGINX:-/usr/sbin/nginx}"

nginx_version() { "$NGINX" -v 2>&1 | sed -n 's|^nginx version: nginx/||p'; }

nginx_up() {
    local how="present"
    if [[ ! -x "$NGINX" ]]; then
        apt_install_no_start nginx.service nginx
        [[ -x "$NGINX" ]] || die "nginx was installed but is not at $NGINX (set CREDIT_NGINX)"
        how="installed"
    fi
    echo "nginx: ready ($how, nginx $(nginx_version), binary only: not started here) $NGINX"
}

nginx_status() {
    if [[ -x "$NGINX" ]]; then
        echo "nginx: installed (nginx $(nginx_version), started only by the proxy tests) $NGINX"
        return 0
    fi
    echo "nginx: not installed (Debian package nginx)"; return 1
}

# =============================================================== browser ===
# Headless Chromium for the end-to-end page tests: Debian's package (a browser download
# by a test tool does not work here), plus a CJK font so screenshots show Chinese.
CHROMIUM="${CREDIT_CHROMIUM:-/usr/bin/chromium}"

browser_up() {
    if [[ ! -x "$CHROMIUM" ]] || ! fc-list 2>/dev/null | grep -qiE "wqy|noto.*cjk"; then
        apt_install chromium fonts-wqy-zenhei
    fi
    [[ -x "$CHROMIUM" ]] || die "chromium is not at $CHROMIUM (set CREDIT_CHROMIUM)"
    echo "chromium: ready ($("$CHROMIUM" --version 2>/dev/null | head -1))"
}

# ============================================================ axe-core ===
# The accessibility engine the browser tests inject into every page they check: npm's
# axe-core at a pinned version, installed under the state directory (never the repo).
AXE_VERSION="${CREDIT_AXE_VERSION:-4.14.1}"
AXE_DIR="$SVC_DIR/npm"
AXE_JS="$AXE_DIR/node_modules/axe-core/axe.min.js"

axe_installed_version() {
    sed -n 's/^  "version": "\(.*\)",$/\1/p' "$AXE_DIR/node_modules/axe-core/package.json" 2>/dev/null
}

axe_up() {
    if [[ "$(axe_installed_version)" != "$AXE_VERSION" ]]; then
        command -v npm >/dev/null 2>&1 || apt_install nodejs npm
        mkdir -p "$AXE_DIR"
        npm install --prefix "$AXE_DIR" --no-audit --no-fund --save-exact \
            "axe-core@$AXE_VERSION" >>"$QUIET_LOG" 2>&1 ||
            die "npm install axe-core@$AXE_VERSION failed (see $QUIET_LOG)"
    fi
    [[ -f "$AXE_JS" ]] || die "axe-core was installed but $AXE_JS is missing"
    echo "axe-core: ready ($(axe_installed_version)) $AXE_JS"
}

# ===================================================== Elasticsearch cluster ===
# `services.sh es-cluster up|down|status|env|stop-node N|start-node N`: a three-node
# cluster on loopback from the same integration-test zip, for the failover test
# (tests/deploy/test_es_cluster.py) and for trying a multi-node CREDIT_SEARCH_URL by hand.
# It has its own state directory, lock, cluster name and ports (HTTP base..base+2, transport
# base+100..base+102), and never touches the shared single node on CREDIT_ES_PORT. Each node
# gets its own config directory (ES_PATH_CONF, a copy of the zip's config plus a generated
# elasticsearch.yml), data, logs and pid file.
ESC_NODES=3
ESC_PORT="${CREDIT_ES_CLUSTER_PORT:-59210}"
ESC_TRANSPORT_PORT="$((ESC_PORT + 100))"
ESC_HEAP="${CREDIT_ES_CLUSTER_HEAP:-384m}"
ESC_DIR="${CREDIT_ES_CLUSTER_DIR:-$SVC_DIR/es-cluster-$ES_VERSION}"
ESC_NAME="credit-platform-cluster"
ESC_WAIT_SECONDS="${CREDIT_ES_CLUSTER_WAIT:-180}"

esc_node_dir() { echo "$ESC_DIR/node$1"; }
esc_http_port() { echo $((ESC_PORT + $1 - 1)); }
esc_pidfile() { echo "$ESC_DIR/node$1/run/elasticsearch.pid"; }
esc_urls() {
    local i out=""
    for ((i = 1; i <= ESC_NODES; i++)); do out+="${out:+,}http://127.0.0.1:$(esc_http_port "$i")"; done
    echo "$out"
}

esc_check_knobs() {
    is_port "$ESC_PORT" && is_port "$((ESC_TRANSPORT_PORT + ESC_NODES))" ||
        die "CREDIT_ES_CLUSTER_PORT='$ESC_PORT' is not a valid port base"
    local shared
    for shared in "$ES_PORT" "$ES_TRANSPORT_PORT"; do
        if ((shared >= ESC_PORT && shared < ESC_PORT + ESC_NODES)) ||
            ((shared >= ESC_TRANSPORT_PORT && shared < ESC_TRANSPORT_PORT + ESC_NODES)); then
            die "CREDIT_ES_CLUSTER_PORT=$ESC_PORT overlaps the shared node's port $shared"
        fi
    done
    [[ "$ESC_HEAP" =~ ^[0-9]+[mg]$ ]] || die "CREDIT_ES_CLUSTER_HEAP='$ESC_HEAP' is not like 384m"
    [[ "$ESC_DIR" == /* ]] || ESC_DIR="$PWD/$ESC_DIR"
    [[ "$ESC_DIR" != "$ES_STATE" ]] || die "CREDIT_ES_CLUSTER_DIR must not be the shared node's $ES_STATE"
}

esc_take_lock() {
    mkdir -p "$ESC_DIR"
    exec 8>>"$ESC_DIR/.lock"
    command -v flock >/dev/null 2>&1 || return 0
    flock -w 600 8 || die "timed out after 600s waiting for lock $ESC_DIR/.lock"
}

esc_write_config() {
    local i="$1" d seeds="" masters="" k
    d="$(esc_node_dir "$i")"
    for ((k = 1; k <= ESC_NODES; k++)); do
        seeds+="${seeds:+, }\"127.0.0.1:$((ESC_TRANSPORT_PORT + k - 1))\""
        masters+="${masters:+, }\"credit-es-$k\""
    done
    mkdir -p "$d/config" "$d/data" "$d/logs" "$d/tmp" "$d/run"
    # the zip's jvm.options, log4j2.properties, ...; our elasticsearch.yml replaces its own
    cp -R "$ES_HOME/config/." "$d/config/"
    cat >"$d/config/elasticsearch.yml" <<YML
# Managed by scripts/services.sh es-cluster -- regenerated on every start.
cluster.name: $ESC_NAME
node.name: credit-es-$i
network.host: 127.0.0.1
http.port: $(esc_http_port "$i")
transport.port: $((ESC_TRANSPORT_PORT + i - 1))
discovery.seed_hosts: [$seeds]
# Only read when the cluster forms for the first time (empty data directories).
cluster.initial_master_nodes: [$masters]
path.data: $d/data
path.logs: $d/logs
# Three JVMs on a small machine: size the thread pools for one processor each.
node.processors: 1
cluster.routing.allocation.disk.threshold_enabled: false
xpack.security.enabled: false
indices.requests.cache.size: 10%
YML
    if ((IS_ROOT)); then chown -R "$SVC_USER:" "$ESC_DIR"; fi
}

# Launch node $1 (returns once its launcher has detached; it joins the others later).
esc_launch() {
    local i="$1" d java_home="$2"
    d="$(esc_node_dir "$i")"
    if port_answers_http "$(esc_http_port "$i")"; then
        die "something already answers on 127.0.0.1:$(esc_http_port "$i"); set CREDIT_ES_CLUSTER_PORT"
    fi
    esc_write_config "$i"
    rm -f "$(esc_pidfile "$i")"
    : >"$d/logs/startup.out"
    if ((IS_ROOT)); then chown "$SVC_USER:" "$d/logs/startup.out"; fi
    spawn_daemon "$d/logs" "$d/logs/startup.out" HOME="$d" ES_PATH_CONF="$d/config" \
        ES_JAVA_HOME="$java_home" ES_TMPDIR="$d/tmp" \
        ES_JAVA_OPTS="-Xms$ESC_HEAP -Xmx$ESC_HEAP" \
        "$ES_HOME/bin/elasticsearch" -d -p "$(esc_pidfile "$i")" 8>&-   # nor the cluster lock
}

esc_node_log_tail() {
    local d
    d="$(esc_node_dir "$1")"
    echo "---- node $1: last lines of $d/logs/$ESC_NAME.log (or startup.out) ----" >&2
    if [[ -s "$d/logs/$ESC_NAME.log" ]]; then
        tail -n 12 "$d/logs/$ESC_NAME.log" | cut -c1-400 >&2 || true
    else
        tail -n 12 "$d/logs/startup.out" 2>/dev/null | cut -c1-400 >&2 || true
    fi
}

# Start the nodes in $@ that are not running (in parallel: a lone node waits for a quorum),
# then wait until the cluster has all $ESC_NODES nodes and is at least yellow.
esc_start_nodes() {
    local java_home i rc=0 t
    local -a pids=() started=()
    java_home="$(find_java_home)" || exit 1
    es_install
    for i in "$@"; do
        es_pid "$(esc_pidfile "$i")" >/dev/null && continue
        esc_launch "$i" "$java_home" &
        pids+=($!)
        started+=("$i")
    done
    for i in "${pids[@]}"; do wait "$i" || rc=$?; done
    if ((rc != 0)); then
        echo "$PROG: ERROR: an Elasticsearch cluster node failed to start (JDK $java_home)." >&2
        for i in "${started[@]}"; do esc_node_log_tail "$i"; done
        exit 1
    fi
    for ((t = 0; t < ESC_WAIT_SECONDS; t += 2)); do
        if esc_health_ok; then return 0; fi
        sleep 2
    done
    echo "$PROG: ERROR: the cluster did not reach $ESC_NODES nodes and yellow within ${ESC_WAIT_SECONDS}s." >&2
    for i in "${started[@]}"; do esc_node_log_tail "$i"; done
    exit 1
}

# The first answering node's view of the cluster: all nodes joined and at least yellow.
esc_health() {
    local i out
    for ((i = 1; i <= ESC_NODES; i++)); do
        out="$(curl_local -m 5 "http://127.0.0.1:$(esc_http_port "$i")/_cluster/health?${1:-timeout=1s}" 2>/dev/null)" || continue
        [[ "$out" == *'"status"'* ]] && { echo "$out"; return 0; }
    done
    return 1
}

esc_health_ok() {
    local out
    out="$(esc_health "wait_for_nodes=$ESC_NODES&wait_for_status=yellow&timeout=1s")" || return 1
    [[ "$out" == *"\"number_of_nodes\":$ESC_NODES,"* ]] &&
        [[ "$out" == *'"status":"green"'* || "$out" == *'"status":"yellow"'* ]]
}

esc_stop_node() {
    local i="$1" pid t
    pid="$(es_pid "$(esc_pidfile "$i")")" || { rm -f "$(esc_pidfile "$i")"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((t = 0; t < 40; t++)); do
        pid_alive "$pid" || { rm -f "$(esc_pidfile "$i")"; return 0; }
        sleep 0.5
    done
    warn "cluster node $i (pid $pid) did not stop within 20s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((t = 0; t < 20; t++)); do
        pid_alive "$pid" || break
        sleep 0.5
    done
    rm -f "$(esc_pidfile "$i")"
}

esc_node_arg() {
    [[ "${1:-}" =~ ^[1-9]$ ]] && (($1 <= ESC_NODES)) || die "expected a node number 1-$ESC_NODES, got '${1:-}'"
}

esc_status() {
    local i pid rc=0 health
    for ((i = 1; i <= ESC_NODES; i++)); do
        if pid="$(es_pid "$(esc_pidfile "$i")")"; then
            echo "es-cluster node $i: running (pid $pid) http://127.0.0.1:$(esc_http_port "$i")"
        else
            echo "es-cluster node $i: stopped"
            rc=3
        fi
    done
    if health="$(esc_health)"; then
        echo "es-cluster: $(sed -n 's/.*"status":"\([a-z]*\)".*"number_of_nodes":\([0-9]*\),.*/\1, \2 nodes/p' <<<"$health") ($ESC_NAME)"
    else
        echo "es-cluster: no node answers"
        rc=3
    fi
    return "$rc"
}

es_cluster_cmd() {
    local sub="${1:-}" i t0=$SECONDS
    esc_check_knobs
    case "$sub" in
    env)
        echo "export CREDIT_TEST_ES_CLUSTER_URL=$(esc_urls)"
        return 0
        ;;
    status)
        esc_status || exit 3  # 3: a node is down or none answers (like `status`)
        return 0
        ;;
    up | down | stop-node | start-node) ;;
    *)
        echo "usage: $0 es-cluster up|down|status|env|stop-node N|start-node N" >&2
        exit 2
        ;;
    esac
    init_dirs
    ensure_svc_user
    ensure_traversable
    esc_take_lock
    case "$sub" in
    up)
        esc_start_nodes $(seq 1 "$ESC_NODES")
        echo "es-cluster: running ($ESC_NODES nodes, $ES_VERSION, $((SECONDS - t0))s) $(esc_urls)"
        ;;
    down)
        for ((i = 1; i <= ESC_NODES; i++)); do esc_stop_node "$i" & done
        wait
        echo "es-cluster: stopped (data kept in $ESC_DIR)"
        ;;
    stop-node)
        esc_node_arg "${2:-}"
        esc_stop_node "$2"
        echo "es-cluster node $2: stopped"
        ;;
    start-node)
        esc_node_arg "${2:-}"
        esc_start_nodes "$2"
        echo "es-cluster node $2: running, cluster has $ESC_NODES nodes ($((SECONDS - t0))s)"
        ;;
    esac
}

# ================================================================== main ===
usage() {
    echo "usage: $0 up|down|status|env|es-stop|es-start|es-cluster ..." >&2
    exit 2
}

cmd="${1:-}"
case "$cmd" in
env)
    echo "export CREDIT_TEST_DATABASE_URL=$DATABASE_URL"
    echo "export CREDIT_TEST_SEARCH_URL=$ES_URL"
    echo "export CREDIT_TEST_REDIS_URL=$REDIS_URL"
    if [[ -x "$NGINX" ]]; then echo "export CREDIT_TEST_NGINX=$NGINX"; fi
    if [[ -x "$CHROMIUM" ]]; then echo "export CREDIT_TEST_CHROMIUM=$CHROMIUM"; fi
    if [[ -f "$AXE_JS" ]]; then echo "export CREDIT_TEST_AXE=$AXE_JS"; fi
    ;;
up)
    command -v curl >/dev/null 2>&1 || { init_dirs; apt_install curl; }
    init_dirs
    take_lock
    ensure_svc_user
    ensure_traversable
    if ((IS_ROOT)); then chmod 0755 "$SVC_DIR"; fi
    pg_up
    es_up
    redis_up
    nginx_up
    browser_up
    axe_up
    ;;
down)
    if [[ -d "$SVC_DIR" ]]; then
        init_dirs
        take_lock
        pg_stop
        es_stop
        redis_stop
    fi
    echo "postgresql: stopped"
    echo "elasticsearch: stopped"
    echo "redis: stopped"
    ;;
es-stop)  # the search outage test stops the real server ...
    init_dirs
    take_lock
    es_stop
    echo "elasticsearch: stopped"
    ;;
es-start)  # ... and starts it again
    init_dirs
    take_lock
    ensure_svc_user
    es_up
    ;;
es-cluster)  # a three-node cluster beside the shared node (tests/deploy)
    shift
    es_cluster_cmd "$@"
    ;;
status)
    rc=0
    if [[ -d "$SVC_DIR" ]]; then QUIET_LOG="$SVC_DIR/logs/provision.log"; fi
    pg_status || rc=3
    es_status || rc=3
    redis_status || rc=3
    nginx_status || rc=3
    exit "$rc"
    ;;
*) usage ;;
esac
