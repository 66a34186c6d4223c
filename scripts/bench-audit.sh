#!/usr/bin/env bash
# What the access log costs: two gateways in the same run, one writing an AuditEvent for every
# request (committed before the response, group commit) and one with the log off
# (`audit.enabled = false`, which only the dev profile accepts), each on its own SQLite file;
# then the audited one's batch sizes from /metrics. Needs wrk (apt-get install wrk). Loopback
# only; every load is bounded in time.
#
#   scripts/bench-audit.sh [seconds per run, default 10] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ON_PORT=18090
OFF_PORT=18091
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin ehds-gateway
BIN=${CARGO_TARGET_DIR:-target}/release/ehds-gateway
export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
# One token drives the whole load: the rate limits would measure themselves.
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__PUBLIC_BASE_URL=http://bench.test
EHDS_SERVER__PORT=$ON_PORT EHDS_DATABASE__URL=sqlite://$WORK/on.db \
  "$BIN" serve > "$WORK/on.log" 2>&1 &
EHDS_SERVER__PORT=$OFF_PORT EHDS_DATABASE__URL=sqlite://$WORK/off.db EHDS_AUDIT__ENABLED=false \
  "$BIN" serve > "$WORK/off.log" 2>&1 &
for port in $ON_PORT $OFF_PORT; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
done

PATIENT=no.p-no-008
TOKEN=$("$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs")
AUTH="Authorization: Bearer $TOKEN"

run() { # name url
  local out rps p50 p99 non2xx
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$AUTH" "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "| $1 | ${rps} | ${p50} | ${p99} | ${non2xx:-0} |"
}

echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, $(date -u +%Y-%m-%d), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
for port in $ON_PORT $OFF_PORT; do
  curl -sf -H "$AUTH" "http://127.0.0.1:$port/fhir/Patient/$PATIENT" > /dev/null
done
run "audit on: Patient read" "http://127.0.0.1:$ON_PORT/fhir/Patient/$PATIENT"
run "audit off: Patient read" "http://127.0.0.1:$OFF_PORT/fhir/Patient/$PATIENT"
run "audit on: MedicationRequest?patient= (20 results)" "http://127.0.0.1:$ON_PORT/fhir/MedicationRequest?patient=$PATIENT&_count=20"
run "audit off: MedicationRequest?patient= (20 results)" "http://127.0.0.1:$OFF_PORT/fhir/MedicationRequest?patient=$PATIENT&_count=20"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Batch sizes of the audited gateway (records per commit, from /metrics):"
echo
echo '```'
curl -sf "http://127.0.0.1:$ON_PORT/metrics" | grep -E '^ehds_audit_(batch_size|records_total|commit_failures_total)' || true
echo '```'
