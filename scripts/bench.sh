#!/usr/bin/env bash
# Throughput of the gateway on loopback, beside a bare actix-web handler that returns the same
# bytes (examples/bench_baseline.rs), measured in the same run. Writes a Markdown table to
# stdout. Needs wrk (apt-get install wrk). Loopback only; every load is bounded in time.
#
#   scripts/bench.sh [seconds per run, default 15] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-32}
GATEWAY_PORT=18080
BASELINE_PORT=18081
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin ehds-gateway --example bench_baseline
BIN=target/release/ehds-gateway
export EHDS_SERVER__PORT=$GATEWAY_PORT
export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
# One token drives the whole load: the rate limits would measure themselves.
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
"$BIN" serve > "$WORK/gateway.log" 2>&1 &
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$GATEWAY_PORT/healthz" >/dev/null && break; sleep 0.1; done

PATIENT=no.p-no-008
TOKEN=$("$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs")
AUTH="Authorization: Bearer $TOKEN"
READ_URL="http://127.0.0.1:$GATEWAY_PORT/fhir/Patient/$PATIENT"
SEARCH_URL="http://127.0.0.1:$GATEWAY_PORT/fhir/MedicationRequest?patient=$PATIENT&_count=20"
curl -sf -H "$AUTH" "$READ_URL" > "$WORK/patient.json"
target/release/examples/bench_baseline $BASELINE_PORT "$WORK/patient.json" &
sleep 0.5

run() { # name url [header]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$3" "$2")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  fi
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "| $1 | ${rps} | ${p50} | ${p99} | ${non2xx:-0} |"
  echo "$rps" > "$WORK/$(echo "$1" | tr -c 'a-zA-Z0-9' '_').rps"
}

echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| what | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run "baseline: bare actix-web, same bytes" "http://127.0.0.1:$BASELINE_PORT/fhir/Patient/$PATIENT"
run "gateway: authenticated Patient read" "$READ_URL" "$AUTH"
run "gateway: MedicationRequest?patient= (20 results)" "$SEARCH_URL" "$AUTH"
base=$(cat "$WORK"/baseline*.rps)
read=$(cat "$WORK"/gateway__authenticated*.rps)
echo
echo "Patient read / baseline = $(awk -v a="$read" -v b="$base" 'BEGIN {printf "%.2f", a/b}')"
