#!/usr/bin/env bash
# Two gateways writing one access log: both on one PostgreSQL database (created and dropped
# here), each loaded with audited Patient reads at the same time; then `audit verify` over the
# shared chain, which must hold every record of both. Shows what sharing the chain costs
# (every batch of one gateway finds the head moved by the other and goes the locked way).
# Needs wrk and psql. Loopback only; every load is bounded in time.
#
#   scripts/bench-two-gateways.sh [seconds, default 8] [connections per gateway, default 16]
#   EHDS_BENCH_BIN=<path> measures another build of the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-8}
CONNECTIONS=${2:-16}
ADMIN_URL=${EHDS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
DB=ehds_bench_two_$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

nice -n 10 cargo build --release --quiet --bin ehds-gateway
BIN=${EHDS_BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/ehds-gateway}
psql "$ADMIN_URL" -qAtc "CREATE DATABASE $DB"
export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__PUBLIC_BASE_URL=http://bench.test
export EHDS_DATABASE__URL=${ADMIN_URL%/*}/$DB
"$BIN" dev-token > /dev/null
for port in 18131 18132; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is in use" >&2; exit 1
  fi
  EHDS_SERVER__PORT=$port "$BIN" serve > "$WORK/gateway-$port.log" 2>&1 &
  PIDS+=($!)
  # One after the other: both would otherwise run the migrations at the same moment.
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done
TOKEN=$("$BIN" dev-token --patient no.p-no-008 --scope "patient/*.rs")
echo "two gateways on one PostgreSQL database, wrk -t1 -c$CONNECTIONS -d${DURATION}s each at once," \
  "gateway $BIN, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for port in 18131 18132; do
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$port/fhir/Patient/no.p-no-008" > "$WORK/wrk-$port.txt" &
done
wait $(jobs -p | grep -v -e "${PIDS[0]}" -e "${PIDS[1]}") 2>/dev/null || true
for port in 18131 18132; do
  echo "gateway $port: $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$port.txt") req/s," \
    "p50 $(awk '$1=="50%" {print $2}' "$WORK/wrk-$port.txt")," \
    "p99 $(awk '$1=="99%" {print $2}' "$WORK/wrk-$port.txt")," \
    "non-2xx $(awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$WORK/wrk-$port.txt")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '[database]\nurl = "%s"\n' "$EHDS_DATABASE__URL" > "$WORK/verify.toml"
"$BIN" audit verify --config "$WORK/verify.toml"
