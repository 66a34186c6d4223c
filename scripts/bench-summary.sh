#!/usr/bin/env bash
# Server time of `$summary` for a typical person, two ways:
#   1. in-process (examples/bench_summary.rs): access rules, mapping, the IPS document and its
#      JSON, N documents in a row, no network;
#   2. over HTTP on loopback with wrk at low concurrency against a release build: the same plus
#      routing, the (cached) token check and the response.
# Writes Markdown to stdout. Needs wrk (apt-get install wrk). Loopback only; every load is
# bounded in time.
#
#   scripts/bench-summary.sh [seconds per wrk run, default 10] [patient, default se.p-se-011]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
PATIENT=${2:-se.p-se-011}
PORT=18090
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin ehds-gateway --example bench_summary
BIN=$TARGET/release/ehds-gateway

echo "$(nproc) cores, $(date -u +%Y-%m-%d), patient $PATIENT"
echo
echo "In-process, one document after another:"
echo
for p in "$PATIENT" no.p-no-008; do
  echo "- $("$TARGET"/release/examples/bench_summary "$p" 5000)"
done

export EHDS_SERVER__PORT=$PORT
export EHDS_SERVER__WORKERS=1
export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
# One token drives the whole load: the rate limits would measure themselves.
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
"$BIN" serve > "$WORK/gateway.log" 2>&1 &
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs")
URL="http://127.0.0.1:$PORT/fhir/Patient/$PATIENT/\$summary"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL" > "$WORK/summary.json"

echo
echo "Over HTTP (wrk -t1 -d${DURATION}s --latency, one gateway worker):"
echo
echo "| connections | requests/s | mean | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for connections in 1 4; do
  out=$(wrk -t1 -c"$connections" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$URL")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  mean=$(awk '$1=="Latency" {print $2; exit}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "| $connections | $rps | $mean | $p50 | $p99 | ${non2xx:-0} |"
done
echo
echo "Document size: $(wc -c < "$WORK/summary.json") bytes."
