#!/usr/bin/env bash
# Baseline for the ticket-creation benchmark: PostgreSQL's own single-row INSERT rate,
# measured with pgbench at 1 and 32 clients on this machine.
#
# Usage: benches/load/pgbench.sh [--duration SECONDS]
# Connection: the usual libpq variables, defaulting to PGHOST=127.0.0.1 PGPORT=5432
# PGUSER=postgres. The scratch database frist_bench_pg is dropped and recreated.
set -euo pipefail

duration=20
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration|-T) duration="${2:?--duration needs a value}"; shift 2 ;;
        --duration=*) duration="${1#*=}"; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
duration="${duration%s}"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
db=frist_bench_pg

pgbench_bin="$(command -v pgbench || true)"
if [[ -z "$pgbench_bin" ]]; then
    for candidate in /usr/lib/postgresql/*/bin/pgbench; do
        [[ -x "$candidate" ]] && pgbench_bin="$candidate"   # the glob sorts; last is newest
    done
fi
[[ -n "$pgbench_bin" ]] || { echo "pgbench not found (install postgresql-contrib / postgresql-client)" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql not found" >&2; exit 1; }

psql_q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== $("$pgbench_bin" --version); server: $(psql_q -At -d postgres -c 'show server_version')"
echo "== fsync=$(psql_q -At -d postgres -c 'show fsync')" \
     "synchronous_commit=$(psql_q -At -d postgres -c 'show synchronous_commit')" \
     "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"

psql_q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_q -d "$db" <<'SQL'
CREATE TABLE bench_tickets (
    id               bigserial PRIMARY KEY,
    org_id           bigint      NOT NULL,
    reporter_id      bigint      NOT NULL,
    title            text        NOT NULL,
    description      text        NOT NULL,
    severity         text        NOT NULL CHECK (severity IN ('critical', 'serious', 'normal')),
    category         text        NOT NULL,
    status           text        NOT NULL DEFAULT 'open',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    response_due_at  timestamptz,
    fix_start_due_at timestamptz,
    resolved_at      timestamptz
);
CREATE INDEX bench_tickets_org_created ON bench_tickets (org_id, created_at);
SQL

run() {
    local clients="$1" threads="$2" out
    echo "== pgbench single-row INSERT, $clients client(s), $threads thread(s), ${duration}s"
    out="$("$pgbench_bin" -n -f "$here/pgbench_insert.sql" -c "$clients" -j "$threads" \
        -T "$duration" "$db" 2>&1)" || { echo "$out" >&2; return 1; }
    grep -E '^(number of (transactions actually processed|failed transactions)|latency average|tps)' <<<"$out"
}

run 1 1
run 32 2

echo "== rows inserted: $(psql_q -At -d "$db" -c 'SELECT count(*) FROM bench_tickets')"
if [[ "${KEEP_DB:-0}" != 1 ]]; then
    psql_q -d postgres -c "DROP DATABASE $db"
fi
