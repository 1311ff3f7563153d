#!/usr/bin/env bash
# Ticket-creation throughput of `frist serve`: POST /api/v1/tickets under oha, at 1 and 32
# clients, against a fresh SQLite or PostgreSQL database.
#
# Usage: benches/load/run.sh --db sqlite|postgres [--duration 20s] [--clients "1 32"]
#                            [--no-build] [--vs-pgbench TPS1,TPS32]
#
#   --db          storage to benchmark (required)
#   --duration    oha run length per client count (default 20s)
#   --clients     client counts to run, space-separated (default "1 32")
#   --no-build    use the existing target/release/frist instead of `cargo build --release`
#   --vs-pgbench  pgbench tps at 1 and 32 clients (from pgbench.sh) to print frist's share,
#                 or `auto` to run pgbench.sh (same duration) right before frist, so both
#                 figures come from the same conditions on this machine
#
# Needs oha (cargo install oha --locked), curl and python3; for postgres also psql.
# PostgreSQL: libpq variables, defaulting to PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres;
# the database frist_bench is dropped and recreated. KEEP=1 keeps the temp dir (server log,
# oha JSON, SQLite file) and the PostgreSQL database after the run.
set -euo pipefail

db_kind=""
duration=20
clients="1 32"
build=1
vs_pgbench=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --db) db_kind="${2:?--db needs sqlite or postgres}"; shift 2 ;;
        --db=*) db_kind="${1#*=}"; shift ;;
        --duration|-z) duration="${2:?--duration needs a value}"; shift 2 ;;
        --duration=*) duration="${1#*=}"; shift ;;
        --clients) clients="${2:?--clients needs a value}"; shift 2 ;;
        --clients=*) clients="${1#*=}"; shift ;;
        --no-build) build=0; shift ;;
        --vs-pgbench) vs_pgbench="${2:?--vs-pgbench needs TPS1,TPS32}"; shift 2 ;;
        --vs-pgbench=*) vs_pgbench="${1#*=}"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$db_kind" in
    sqlite|postgres) ;;
    *) echo "--db sqlite|postgres is required (try --help)" >&2; exit 2 ;;
esac
duration="${duration%s}"
[[ "$duration" =~ ^[0-9]+$ ]] || { echo "--duration takes whole seconds, e.g. 20 or 20s" >&2; exit 2; }

root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
cd "$root"

oha="${OHA:-$(command -v oha || true)}"
if [[ -z "$oha" && -x "$HOME/.cargo/bin/oha" ]]; then oha="$HOME/.cargo/bin/oha"; fi
[[ -n "$oha" ]] || { echo "oha not found: cargo install oha --locked (or set OHA=path)" >&2; exit 1; }
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done

body='{"title":"Printer on fire","description":"Load test ticket","severity":"serious","category":"functional_fault"}'
pg_db=frist_bench
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export RUST_LOG="${RUST_LOG:-warn}"   # no per-request access log in the measured path

tmp="$(mktemp -d "${TMPDIR:-/tmp}/frist-load.XXXXXX")"
server_pid=""
pg_created=0

psql_q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$@"; }

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

cleanup() {
    local rc=$?
    stop_server
    if [[ "${KEEP:-0}" == 1 ]]; then
        echo "== kept: $tmp$([[ "$pg_created" == 1 ]] && echo " and database $pg_db")" >&2
    else
        if [[ "$pg_created" == 1 ]]; then
            psql_q -d postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true
        fi
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build -------------------------------------------------------------------------------
bin="${CARGO_TARGET_DIR:-target}/release/frist"
if [[ "$build" == 1 ]]; then
    echo "== cargo build --release"
    cargo build --release
fi
[[ -x "$bin" ]] || { echo "$bin not found (build first or drop --no-build)" >&2; exit 1; }

# --- pgbench baseline, back to back with the frist runs (--vs-pgbench auto) ----------------
if [[ "$vs_pgbench" == auto ]]; then
    "$root/benches/load/pgbench.sh" --duration "$duration" | tee "$tmp/pgbench.txt"
    vs_pgbench="$(awk '/^tps = / { printf "%s%s", sep, $3; sep = "," }' "$tmp/pgbench.txt")"
    [[ "$vs_pgbench" == *,* ]] || { echo "could not read pgbench's tps lines" >&2; exit 1; }
fi

# --- fresh database ----------------------------------------------------------------------
if [[ "$db_kind" == sqlite ]]; then
    fs_type="$(stat -f -c %T "$tmp")"
    if [[ "$fs_type" == tmpfs || "$fs_type" == ramfs ]]; then
        echo "warning: $tmp is on $fs_type: SQLite's fsync costs nothing there, so the figures" \
             "are not durable ones; set TMPDIR to a directory on disk" >&2
    fi
    export DATABASE_URL="sqlite://$tmp/frist.db"
else
    command -v psql >/dev/null || { echo "psql not found" >&2; exit 1; }
    psql_q -d postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db"
    pg_created=1
    export DATABASE_URL="postgres://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/$pg_db"
fi

# last non-empty line of a command's stdout, trimmed: the id/token the CLI prints
last_line() { "$@" | awk 'NF { line = $0 } END { gsub(/^[ \t]+|[ \t\r]+$/, "", line); print line }'; }

echo "== frist migrate ($db_kind)"
"$bin" migrate
# 24/7 cover: tickets filed at any hour need no out-of-hours choice, so the run works day and night.
org_id="$(last_line "$bin" org add --name "Bench A/S" --policy level-2 --oncall-24x7)"
[[ -n "$org_id" ]] || { echo "frist org add printed no id" >&2; exit 1; }
password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
printf '%s\n' "$password" |
    "$bin" user add --email bench@example.com --name Bench --role customer --org "$org_id" \
        --password-stdin >/dev/null
token="$(last_line "$bin" token add --email bench@example.com --name load)"
[[ -n "$token" ]] || { echo "frist token add printed no token" >&2; exit 1; }
echo "== organization $org_id, customer bench@example.com, token ${token:0:6}…"

# --- server ------------------------------------------------------------------------------
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
FRIST_BIND="127.0.0.1:$port" "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 150); do   # up to 30 s
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "frist serve exited early; its log:" >&2; tail -n 40 "$tmp/server.log" >&2; exit 1
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz" || true)" == 200 ]]; then
        ready=1; break
    fi
    sleep 0.2
done
[[ "$ready" == 1 ]] || { echo "GET /readyz never returned 200; log:" >&2; tail -n 40 "$tmp/server.log" >&2; exit 1; }
echo "== frist serve on $base (pid $server_pid) is ready"

# One request by hand first, so a wrong body or token fails loudly instead of as 0 rps.
code="$(curl -s -o "$tmp/first.json" -w '%{http_code}' -X POST "$base/api/v1/tickets" \
    -H 'content-type: application/json' -H "authorization: Bearer $token" -d "$body" || true)"
if [[ "$code" != 2* ]]; then
    echo "first POST /api/v1/tickets returned $code: $(head -c 500 "$tmp/first.json")" >&2
    exit 1
fi

# --- load --------------------------------------------------------------------------------
echo "== oha $("$oha" --version | awk '{print $2}'), ${duration}s per run, clients: $clients;" \
     "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) rev=$(git describe --always --dirty)"
results=()
for c in $clients; do
    out="$tmp/oha-$db_kind-c$c.json"
    # --wait-ongoing-requests-after-deadline: requests in flight at the deadline are
    # finished and counted, instead of being cut off (they may have committed already).
    "$oha" -z "${duration}s" -c "$c" --no-tui --wait-ongoing-requests-after-deadline \
        --output-format json -m POST -H 'content-type: application/json' \
        -H "authorization: Bearer $token" -d "$body" "$base/api/v1/tickets" >"$out"
    results+=("$c:$out")
done

stop_server

# PostgreSQL alone writing one filing's rows per transaction (pgbench_filing.sql), on the same
# database right after frist: the ceiling for durable filings that are committed one by one.
same_rows=""
if [[ "$db_kind" == postgres ]]; then
    pgbench_bin="$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1 || true)"
    if [[ -n "$pgbench_bin" ]]; then
        for c in $clients; do
            tps="$("$pgbench_bin" -n -f "$root/benches/load/pgbench_filing.sql" -T "$duration" \
                -c "$c" -j "$(( c < 2 ? 1 : 2 ))" "$pg_db" 2>&1 | awk '/^tps = / { print $3 }')"
            echo "== pgbench, one filing's rows per transaction, $c client(s): ${tps:-?} tps"
            same_rows="${same_rows:+$same_rows,}$c:${tps:-0}"
        done
    fi
fi

python3 - "$db_kind" "$vs_pgbench" "$same_rows" "${results[@]}" <<'PY'
import json, sys

db, vs, same = sys.argv[1], sys.argv[2], sys.argv[3]
pg = {}
if vs:
    one, many = vs.split(",")
    pg = {1: float(one), 32: float(many)}
rows_pg = {}
for item in filter(None, same.split(",")):
    c, tps = item.split(":")
    rows_pg[int(c)] = float(tps)

rows = []
for arg in sys.argv[4:]:
    clients, path = arg.split(":", 1)
    clients = int(clients)
    with open(path) as f:
        r = json.load(f)
    s = r["summary"]
    codes = {k: v for k, v in r.get("statusCodeDistribution", {}).items()}
    errors = r.get("errorDistribution", {})
    responses = sum(codes.values())
    attempts = responses + sum(errors.values())
    created = codes.get("201", 0)
    ok2xx = sum(v for k, v in codes.items() if k.startswith("2"))
    secs = s["total"]
    # oha's summary.requestsPerSec counts every attempt (any status, and transport errors)
    # over the whole run; created/s counts only 201 responses.
    row = dict(
        clients=clients,
        rps=s["requestsPerSec"],
        created_per_s=created / secs if secs else 0.0,
        share201=created / attempts if attempts else 0.0,
        share2xx=ok2xx / attempts if attempts else 0.0,
        p50=r["latencyPercentiles"].get("p50", float("nan")) * 1000,
        p99=r["latencyPercentiles"].get("p99", float("nan")) * 1000,
        codes=codes,
        errors=errors,
    )
    rows.append(row)
    print(f"-- {db}, {clients} client(s): {row['rps']:.1f} req/s (oha requestsPerSec), "
          f"{row['created_per_s']:.1f} created/s; 201 {row['share201']:.2%}, "
          f"2xx {row['share2xx']:.2%} of {attempts} requests; "
          f"p50 {row['p50']:.2f} ms, p99 {row['p99']:.2f} ms")
    other = {k: v for k, v in codes.items() if not k.startswith("2")}
    if other:
        print(f"   non-2xx status codes: {other}")
    if errors:
        print(f"   transport errors: {errors}")

print()
print("| storage | clients | req/s | created (201)/s | 201 share | 2xx share | p50 ms | p99 ms"
      + (" | vs pgbench |" if pg else " |") + (" vs same rows |" if rows_pg else ""))
print("|---|---:|---:|---:|---:|---:|---:|---:" + ("|---:|" if pg else "|")
      + ("---:|" if rows_pg else ""))
for row in rows:
    line = (f"| {db} | {row['clients']} | {row['rps']:.0f} | {row['created_per_s']:.0f} | "
            f"{row['share201']:.1%} | {row['share2xx']:.1%} | {row['p50']:.2f} | {row['p99']:.2f} |")
    if pg:
        base = pg.get(row["clients"])
        line += f" {row['created_per_s'] / base:.0%} |" if base else " – |"
    if rows_pg:
        base = rows_pg.get(row["clients"])
        line += f" {row['created_per_s'] / base:.0%} |" if base else " – |"
    print(line)
PY
