#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into a fresh, empty PostgreSQL database:
#   scripts/restore.sh DUMP_FILE [TARGET_URL]     (default target: CREDIT_DATABASE_URL)
#
# All or nothing (one transaction, stops at the first error). Refuses a target that already
# holds tables, so a restore never mixes with live data: create the database first
# (createdb -O credit credit_restored). Afterwards point CREDIT_DATABASE_URL at it and run
#   flask --app wsgi db upgrade       # nothing to do when the dump is of this release
#   flask --app wsgi search reindex   # the indices are rebuilt from the database
#   flask --app wsgi search check --no-repair   # exit status 0: indices match the database
set -euo pipefail
PROG="restore.sh"
die() { echo "$PROG: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || die "usage: $PROG DUMP_FILE [TARGET_URL]"
dump="$1"
url="${2:-${CREDIT_DATABASE_URL:-}}"
[[ -r "$dump" ]] || die "cannot read $dump"
[[ "$url" == postgresql* ]] || die "the target must be a PostgreSQL URL (argument or CREDIT_DATABASE_URL)"
url="postgresql://${url#*://}"   # libpq does not know SQLAlchemy's +psycopg driver suffix
command -v pg_restore >/dev/null || die "pg_restore not found: apt-get install postgresql-client"

tables="$(psql --no-psqlrc -qAt --dbname="$url" \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
[[ "$tables" == 0 ]] || die "the target database already has $tables tables: restore into a new, empty database"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$url" "$dump"
echo "$PROG: restored $dump; now: flask --app wsgi search reindex && flask --app wsgi search check --no-repair" >&2
