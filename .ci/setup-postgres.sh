#!/usr/bin/env bash
# A local PostgreSQL server for the gradebook test
# (tests/test_autograde.py::test_postgresql_gradebook).
#
# Installs Debian's `postgresql` package with apt-get (when it is missing),
# starts the cluster, and creates a role `course` (password `course`) that may
# create databases; the test creates and drops its own database.  Nothing is
# exported: the connection URL is written to /tmp/course-ci-postgres.url,
#     postgresql+psycopg2://course:course@127.0.0.1:<port>/postgres
# Without root (and without apt-get) it says so and exits 0: the test then
# skips with a message that names this script.  Idempotent.
set -euo pipefail

URL_FILE=/tmp/course-ci-postgres.url
rm -f "$URL_FILE"

if [ "$(id -u)" != 0 ]; then
    echo "setup-postgres: not root; no PostgreSQL server (the PostgreSQL test will skip)"
    exit 0
fi
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null; then
        echo "setup-postgres: no apt-get here; no PostgreSQL server (the PostgreSQL test will skip)"
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

# the newest installed version and its cluster (created by the package, or here)
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {found=1} END {exit !found}'; then
    pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online" {ok=1} END {exit !ok}'; then
    pg_ctlcluster "$version" main start
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

# wait until it accepts connections
for _ in $(seq 1 30); do
    if su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1; then
        break
    fi
    sleep 1
done

su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtA" <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'course') THEN
        CREATE ROLE course LOGIN PASSWORD 'course' CREATEDB;
    END IF;
END
$$;
SQL

echo "postgresql+psycopg2://course:course@127.0.0.1:${port}/postgres" > "$URL_FILE"
echo "setup-postgres: PostgreSQL $version on 127.0.0.1:$port; URL in $URL_FILE"
