#!/usr/bin/env bash
# The gateway's durable path beside a bare handler, in one run on loopback: every figure of a
# table comes from the same machine state, so ratios between rows mean something even when
# single figures drift with the load of the machine.
#
#   scripts/bench.sh [seconds per run, default 10] [connections, default 32]
#   scripts/bench.sh --check [seconds, default 5]
#   scripts/bench.sh --profile [sqlite|sqlite-off|postgres, default sqlite] [seconds, default 10] [connections, default 32]
#
# Default mode: `wrk -t1 -c<connections> -d<seconds> --latency` against
#   - the bare actix-web handler (examples/bench_baseline.rs) returning the Patient's bytes;
#   - the gateway on SQLite with the access log on: Patient read and
#     MedicationRequest?patient=&_count=20 (every answer committed to the log before it leaves);
#   - the same on PostgreSQL (127.0.0.1:5432, user postgres, or EHDS_BENCH_PG_URL naming a
#     server), in a database the script creates and drops; skipped with a message if there is
#     no server;
#   - the gateway on SQLite with the access log off (audit.enabled = false, dev profile only),
#     to give what the log costs.
# Prints a Markdown table with requests/s, p50, p99 and the ratio to the bare handler, the load
# average before and after, and the audited gateways' batch sizes.
#
# --check: the regression guard for the PostgreSQL stall of sqlx 0.9.0 (no TCP_NODELAY, so
# every multi-segment batch insert waited out the peer's 40 ms delayed ACK). Runs only the
# audited Patient read on PostgreSQL at -c16 and exits 1 if its p50 is 30 ms or more; exits 2
# if it cannot measure (no PostgreSQL).
#
# --profile: `perf record -e cpu-clock -g` on one gateway while wrk loads its Patient read,
# then a `perf report --no-children` summary (by thread, by library, top symbols) and the
# context switches per request from `perf stat`.
#
# EHDS_BENCH_BIN=<path> measures that gateway binary instead of this tree's release build
# (for before/after figures under the same machine state). Needs wrk (apt-get install wrk),
# psql for PostgreSQL and perf for --profile. Every load is
# bounded in time; the gateways, the baseline and the database are removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=table
case "${1:-}" in
  --check) MODE=check; shift ;;
  --profile)
    MODE=profile; shift
    PROFILE_TARGET=${1:-sqlite}
    case "$PROFILE_TARGET" in
      sqlite|sqlite-off|postgres) shift || true ;;
      *) PROFILE_TARGET=sqlite ;;
    esac
    ;;
esac
if [ "$MODE" = check ]; then
  DURATION=${1:-5}
  CONNECTIONS=16
else
  DURATION=${1:-10}
  CONNECTIONS=${2:-32}
fi
# p50 at or above this (ms) at -c16 on the audited PostgreSQL read fails --check. Healthy is a
# few ms; the delayed-ACK stall puts every request at 40 ms or more.
CHECK_P50_MS=30

BASELINE_PORT=18100
SQLITE_PORT=18101
SQLITE_OFF_PORT=18102
PG_PORT=18103
PATIENT=no.p-no-008
TARGET=${CARGO_TARGET_DIR:-target}
# EHDS_BENCH_BIN: another build of the gateway to measure (an earlier commit's, say), with the
# baseline and the script of this tree.
BIN=${EHDS_BENCH_BIN:-$TARGET/release/ehds-gateway}
WORK=$(mktemp -d)
PG_ADMIN_URL=${EHDS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=ehds_bench_$$
PG_CREATED=
PIDS=()
cleanup() {
  kill "${PIDS[@]}" $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "$PG_CREATED" ]; then
    psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 ||
      echo "could not drop database $PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
if [ "$MODE" = profile ]; then
  command -v perf >/dev/null || { echo "perf is needed: apt-get install linux-perf" >&2; exit 1; }
fi
nice -n 10 cargo build --release --quiet --bin ehds-gateway --example bench_baseline

export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
# One token drives the whole load: the rate limits would measure themselves.
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
# One audience for every gateway of the run, so that one token serves them all.
export EHDS_SERVER__PUBLIC_BASE_URL=http://bench.test
# The dev issuer's key is made once here, not by several gateways starting at the same moment.
"$BIN" dev-token > /dev/null
TOKEN=$("$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs")
AUTH="Authorization: Bearer $TOKEN"

# Whether PostgreSQL answers; creates this run's database if so.
postgres_up() {
  command -v psql >/dev/null || { echo "psql not found" >&2; return 1; }
  psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $PG_DB" >/dev/null 2>"$WORK/psql.err" || {
    echo "PostgreSQL at $PG_ADMIN_URL: $(head -1 "$WORK/psql.err")" >&2; return 1; }
  PG_CREATED=1
}

# gateway <port> <kind: sqlite|sqlite-off|postgres>: each in a subshell with its own
# environment; its process id is kept in PIDS (and in GATEWAY_PID for the caller).
gateway() {
  # A port still taken (by a gateway of an earlier run, say) would measure the wrong server.
  if curl -s -o /dev/null "http://127.0.0.1:$1/"; then
    echo "port $1 is in use; stop what listens there first" >&2
    exit 1
  fi
  (
    export EHDS_SERVER__PORT=$1
    case $2 in
      sqlite) export EHDS_DATABASE__URL=sqlite://$WORK/audited.db ;;
      sqlite-off)
        export EHDS_DATABASE__URL=sqlite://$WORK/unaudited.db
        export EHDS_AUDIT__ENABLED=false
        ;;
      postgres) export EHDS_DATABASE__URL=${PG_ADMIN_URL%/*}/$PG_DB ;;
    esac
    exec "$BIN" serve
  ) > "$WORK/gateway-$2.log" 2>&1 &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
}

wait_ready() { # port
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  echo "the gateway on port $1 is not ready:" >&2
  cat "$WORK"/gateway-*.log >&2
  exit 1
}

# wrk's latency with its unit (850.00us, 1.23ms, 1.02s) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /m$/) n *= 60000;
    else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

BASE_RPS=
# measure <name> <url> [header]: one wrk run; prints a table row and keeps its figures in
# RPS/P50/P99 for the caller.
measure() {
  local out non2xx ratio
  if [ -n "${3:-}" ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$3" "$2")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  fi
  RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  P50=$(awk '$1=="50%" {print $2}' <<<"$out")
  P99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  if [ -n "$BASE_RPS" ]; then
    ratio=$(awk -v a="$RPS" -v b="$BASE_RPS" 'BEGIN {printf "%.3f", a / b}')
  elif [ "$MODE" = check ]; then
    ratio="-" # no bare handler in this mode
  else
    ratio=1
  fi
  printf '| %s | %.0f | %s | %s | %s | %s |\n' "$1" "$RPS" "$P50" "$P99" "$ratio" "${non2xx:-0}"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

batch_sizes() { # port label
  local metrics
  metrics=$(curl -sf "http://127.0.0.1:$1/metrics" || true)
  awk -v label="$2" '
    /^ehds_audit_batch_size_sum/ {sum = $2}
    /^ehds_audit_batch_size_count/ {count = $2}
    /^ehds_audit_commit_failures_total/ {failed = $2}
    END { if (count > 0) printf "- %s: %d records in %d commits, %.1f per commit; failed commits: %d\n",
      label, sum, count, sum / count, failed + 0 }' <<<"$metrics"
}

read_url() { echo "http://127.0.0.1:$1/fhir/Patient/$PATIENT"; }
search_url() { echo "http://127.0.0.1:$1/fhir/MedicationRequest?patient=$PATIENT&_count=20"; }

if [ "$MODE" = check ]; then
  postgres_up || { echo "bench --check: cannot measure, no PostgreSQL (see above)" >&2; exit 2; }
  gateway $PG_PORT postgres
  wait_ready $PG_PORT
  curl -sf -H "$AUTH" "$(read_url $PG_PORT)" > /dev/null
  echo "load average before: $(loadavg)"
  echo "| what | requests/s | p50 | p99 | / bare | non-2xx |"
  echo "|---|---|---|---|---|---|"
  BASE_RPS=
  measure "PostgreSQL, audited Patient read, -c$CONNECTIONS" "$(read_url $PG_PORT)" "$AUTH"
  p50_ms=$(to_ms "$P50")
  if awk -v p="$p50_ms" -v limit="$CHECK_P50_MS" 'BEGIN {exit !(p >= limit)}'; then
    echo "bench --check: FAILED: p50 ${p50_ms} ms >= ${CHECK_P50_MS} ms (a round trip stalls:" \
      "TCP_NODELAY, delayed ACK?)" >&2
    exit 1
  fi
  echo "bench --check: ok, p50 ${p50_ms} ms < ${CHECK_P50_MS} ms"
  exit 0
fi

if [ "$MODE" = profile ]; then
  case $PROFILE_TARGET in
    sqlite) port=$SQLITE_PORT ;;
    sqlite-off) port=$SQLITE_OFF_PORT ;;
    postgres)
      postgres_up || { echo "no PostgreSQL to profile" >&2; exit 2; }
      port=$PG_PORT
      ;;
  esac
  gateway $port "$PROFILE_TARGET"
  pid=$GATEWAY_PID
  wait_ready $port
  url=$(read_url $port)
  curl -sf -H "$AUTH" "$url" > /dev/null
  echo "profile of the $PROFILE_TARGET gateway under wrk -t1 -c$CONNECTIONS -d${DURATION}s, Patient read;" \
    "load average before: $(loadavg)"
  wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "$AUTH" "$url" > "$WORK/wrk-record.txt" &
  wrk_pid=$!
  sleep 1
  perf record -q -e cpu-clock -g -p "$pid" -o "$WORK/perf.data" -- sleep "$DURATION" 2>/dev/null
  wait $wrk_pid
  echo "wrk while recording: $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-record.txt") req/s"
  wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "$AUTH" "$url" > "$WORK/wrk-stat.txt" &
  wrk_pid=$!
  sleep 1
  perf stat -e task-clock,context-switches,cpu-migrations -p "$pid" -o "$WORK/stat.txt" -- sleep "$DURATION"
  wait $wrk_pid
  requests=$(awk -v d="$DURATION" '/Requests\/sec/ {printf "%d", $2 * d}' "$WORK/wrk-stat.txt")
  switches=$(awk '/context-switches/ {gsub(",", "", $1); print $1}' "$WORK/stat.txt")
  task_ms=$(awk '/task-clock/ {gsub(",", "", $1); print $1}' "$WORK/stat.txt")
  echo "perf stat over ${DURATION}s: about $requests requests; $switches context switches" \
    "($(awk -v s="$switches" -v r="$requests" 'BEGIN {printf "%.1f", s / r}') per request)," \
    "$(awk -v t="$task_ms" -v r="$requests" 'BEGIN {printf "%.0f", t * 1000 / r}') µs of gateway CPU per request"
  # Which system calls a request costs (strace slows the gateway down; only the counts
  # per request matter here).
  if command -v strace >/dev/null; then
    wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "$AUTH" "$url" > "$WORK/wrk-strace.txt" &
    wrk_pid=$!
    sleep 1
    timeout -s INT "$DURATION" strace -f -c -o "$WORK/strace.txt" -p "$pid" 2>/dev/null || true
    wait $wrk_pid
    requests=$(awk -v d="$DURATION" '/Requests\/sec/ {printf "%d", $2 * d}' "$WORK/wrk-strace.txt")
    echo "system calls per request under strace (about $requests requests):"
    awk -v r="$requests" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $4 / r >= 0.05 {
      printf "  %-16s %6.2f\n", $NF, $4 / r }' "$WORK/strace.txt"
  fi
  echo "load average after: $(loadavg)"
  # EHDS_BENCH_PERF_DATA=<file> keeps the recording for further `perf report -i <file>`.
  if [ -n "${EHDS_BENCH_PERF_DATA:-}" ]; then cp "$WORK/perf.data" "$EHDS_BENCH_PERF_DATA"; fi
  report() { perf report -i "$WORK/perf.data" --no-children --stdio --percent-limit "$@" 2>/dev/null |
    grep -v '^#' | grep -v '^$'; }
  echo
  echo "## By thread (perf report --no-children --sort comm)"
  report 1 --sort comm -g none
  echo
  echo "## By library (--sort dso)"
  report 1 --sort dso -g none
  echo
  echo "## Top symbols (--sort sym, self time >= 0.7%)"
  report 0.7 --sort sym -g none | head -50
  echo
  echo "## Top symbols with their callers (-g caller, self time >= 2%)"
  report 2 --sort sym -g caller,0.5,callee,function,percent --max-stack 12 | head -200
  exit 0
fi

# The table.
gateway $SQLITE_PORT sqlite
gateway $SQLITE_OFF_PORT sqlite-off
PG=
if postgres_up; then
  gateway $PG_PORT postgres
  PG=1
fi
for port in $SQLITE_PORT $SQLITE_OFF_PORT ${PG:+$PG_PORT}; do wait_ready "$port"; done
curl -sf -H "$AUTH" "$(read_url $SQLITE_PORT)" > "$WORK/patient.json"
"$TARGET/release/examples/bench_baseline" $BASELINE_PORT "$WORK/patient.json" > /dev/null 2>&1 &
for port in $SQLITE_OFF_PORT ${PG:+$PG_PORT}; do curl -sf -H "$AUTH" "$(read_url "$port")" > /dev/null; done
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$BASELINE_PORT/" >/dev/null && break; sleep 0.1; done

echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, $(nproc) cores, $(date -u +%Y-%m-%d)," \
  "gateway $BIN," \
  "load average before: $(loadavg)"
echo
echo "| what | requests/s | p50 | p99 | / bare | non-2xx |"
echo "|---|---|---|---|---|---|"
measure "bare actix-web handler, same bytes" "http://127.0.0.1:$BASELINE_PORT/fhir/Patient/$PATIENT"
BASE_RPS=$RPS
measure "SQLite, audited: Patient read" "$(read_url $SQLITE_PORT)" "$AUTH"
SQLITE_READ=$RPS
measure "SQLite, audited: MedicationRequest?patient=&_count=20" "$(search_url $SQLITE_PORT)" "$AUTH"
SQLITE_SEARCH=$RPS
if [ -n "$PG" ]; then
  measure "PostgreSQL, audited: Patient read" "$(read_url $PG_PORT)" "$AUTH"
  measure "PostgreSQL, audited: MedicationRequest?patient=&_count=20" "$(search_url $PG_PORT)" "$AUTH"
else
  echo "| PostgreSQL: skipped, no server at $PG_ADMIN_URL | | | | | |"
fi
measure "SQLite, audit off: Patient read" "$(read_url $SQLITE_OFF_PORT)" "$AUTH"
OFF_READ=$RPS
measure "SQLite, audit off: MedicationRequest?patient=&_count=20" "$(search_url $SQLITE_OFF_PORT)" "$AUTH"
OFF_SEARCH=$RPS
echo
echo "load average after: $(loadavg)"
echo
echo "audit on / off (SQLite): Patient read $(awk -v a="$SQLITE_READ" -v b="$OFF_READ" 'BEGIN {printf "%.2f", a / b}')," \
  "search $(awk -v a="$SQLITE_SEARCH" -v b="$OFF_SEARCH" 'BEGIN {printf "%.2f", a / b}')"
echo
echo "Batch sizes of the audited gateways (from /metrics):"
echo
batch_sizes $SQLITE_PORT SQLite
[ -n "$PG" ] && batch_sizes $PG_PORT PostgreSQL
exit 0
