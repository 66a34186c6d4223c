#!/usr/bin/env bash
# Read throughput through the HTTP portal source on loopback: the gateway reading every
# country from a real upstream (examples/bench_upstream.rs, the integration tests' upstream
# as a process) with its per-patient cache warm, and with the cache off, beside the gateway
# on the embedded source for reference, all in the same run. Writes a Markdown table to
# stdout. Needs wrk (apt-get install wrk). Loopback only; every load is bounded in time.
#
#   scripts/bench-upstream.sh [seconds per run, default 10] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${2:-32}
UPSTREAM_PORT=18091
WARM_PORT=18092
COLD_PORT=18093
EMBEDDED_PORT=18094
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin ehds-gateway --example bench_upstream
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/ehds-gateway
export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
# One token drives the whole load: the rate limits would measure themselves.
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0

"$TARGET/release/examples/bench_upstream" $UPSTREAM_PORT 1 > "$WORK/upstream.log" 2>&1 &
# The dev issuer's key is made once here, not by three gateways starting at the same moment.
"$BIN" dev-token > /dev/null

# gateway <port> <kind: warm|cold|embedded>: started in a subshell so that each has its own
# environment.
gateway() {
  (
    export EHDS_SERVER__PORT=$1
    if [ "$2" != embedded ]; then
      for cc in no se dk fi; do
        CC=$(tr a-z A-Z <<<"$cc")
        export EHDS_PORTAL__SOURCES__${CC}__KIND=http
        export EHDS_PORTAL__SOURCES__${CC}__BASE_URL=http://127.0.0.1:$UPSTREAM_PORT/$cc
        # Warm: kept for longer than the whole run. Cold: no cache at all.
        if [ "$2" = warm ]; then
          export EHDS_PORTAL__SOURCES__${CC}__CACHE_TTL_SECONDS=3600
        else
          export EHDS_PORTAL__SOURCES__${CC}__CACHE_TTL_SECONDS=0
        fi
      done
    fi
    exec "$BIN" serve
  ) > "$WORK/gateway-$2.log" 2>&1 &
}
gateway $WARM_PORT warm
gateway $COLD_PORT cold
gateway $EMBEDDED_PORT embedded
for port in $WARM_PORT $COLD_PORT $EMBEDDED_PORT; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || {
    echo "gateway on $port is not ready" >&2; cat "$WORK"/*.log >&2; exit 1; }
done

PATIENT=no.p-no-008
token() { EHDS_SERVER__PORT=$1 "$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs"; }

run() { # name url token
  local out rps p50 p99 non2xx
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $3" "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "| $1 | ${rps} | ${p50} | ${p99} | ${non2xx:-0} |"
}

echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, $(date -u +%Y-%m-%d)," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
for kind in warm cold embedded; do
  case $kind in
    warm) port=$WARM_PORT; label="HTTP source, cache warm" ;;
    cold) port=$COLD_PORT; label="HTTP source, cache off" ;;
    embedded) port=$EMBEDDED_PORT; label="embedded source (reference)" ;;
  esac
  t=$(token $port)
  base="http://127.0.0.1:$port/fhir"
  # One request first, so that the warm cache is warm.
  curl -sf -H "Authorization: Bearer $t" "$base/MedicationRequest?patient=$PATIENT&_count=20" >/dev/null
  run "$label: Patient read" "$base/Patient/$PATIENT" "$t"
  run "$label: MedicationRequest?patient= (20 results)" "$base/MedicationRequest?patient=$PATIENT&_count=20" "$t"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
