#!/usr/bin/env bash
# Back up the platform's PostgreSQL database: scripts/backup.sh [DIR]   (default: backups)
#
# Reads CREDIT_DATABASE_URL (as in /etc/credit-platform.env) and writes
# DIR/credit-<UTC time>.dump with `pg_dump -Fc` (compressed, restorable table by table),
# first under a temporary name, then renamed once `pg_restore --list` has read it back, so
# a file with the final name is always a complete dump. Prints the file's path.
# The search indices are not backed up: they are rebuilt from the database
# (`flask --app wsgi search reindex`, docs/deploying/postgresql.md). Restore with
# scripts/restore.sh.
set -euo pipefail
PROG="backup.sh"
die() { echo "$PROG: $*" >&2; exit 1; }

url="${CREDIT_DATABASE_URL:-}"
[[ -n "$url" ]] || die "CREDIT_DATABASE_URL is not set (e.g. set -a; . /etc/credit-platform.env; set +a)"
[[ "$url" == postgresql* ]] || die "CREDIT_DATABASE_URL is not a PostgreSQL URL (SQLite: copy the file with sqlite3 .backup)"
url="postgresql://${url#*://}"   # libpq does not know SQLAlchemy's +psycopg driver suffix
command -v pg_dump >/dev/null || die "pg_dump not found: apt-get install postgresql-client"

dir="${1:-backups}"
mkdir -p "$dir"
file="$dir/credit-$(date -u +%Y%m%dT%H%M%SZ).dump"
tmp="$file.partial"
trap 'rm -f "$tmp"' EXIT
pg_dump --format=custom --no-owner --no-privileges --file="$tmp" --dbname="$url"
pg_restore --list "$tmp" >/dev/null || die "the dump $tmp cannot be read back"
mv "$tmp" "$file"
echo "$file"
