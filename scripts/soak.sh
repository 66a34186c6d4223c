#!/usr/bin/env bash
# The gateway under full load for a while, its memory sampled: does RSS stay flat?
#
#   scripts/soak.sh [minutes, default 10] [connections, default 32] [sqlite|postgres, default sqlite]
#
# Starts the release build on its embedded data set with the access log on (every answer's
# AuditEvent committed before it leaves), then runs wrk against three requests in turn (the
# Patient read, MedicationRequest?patient=&_count=20 and Patient/$summary), one bounded wrk run
# per 30-second slice, and prints the gateway's RSS after each slice, the requests served, and
# the growth of RSS from the end of the first two minutes (warm-up: caches filling, the
# allocator settling) to the end. Loopback only; every load is bounded in time; the gateway
# and its database are removed at exit. Needs wrk and, for postgres, psql and a server at
# 127.0.0.1:5432 (or EHDS_BENCH_PG_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
CONNECTIONS=${2:-32}
BACKEND=${3:-sqlite}
SLICE=30
PORT=18110
PATIENT=no.p-no-008
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${EHDS_BENCH_BIN:-$TARGET/release/ehds-gateway}
WORK=$(mktemp -d)
PG_ADMIN_URL=${EHDS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=ehds_soak_$$
PG_CREATED=
GATEWAY_PID=
cleanup() {
  [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "$PG_CREATED" ]; then
    psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 ||
      echo "could not drop database $PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
case "$BACKEND" in sqlite|postgres) ;; *) echo "backend: sqlite or postgres" >&2; exit 1 ;; esac
nice -n 10 cargo build --release --quiet --bin ehds-gateway

export EHDS_AUTH__DEV_ISSUER__KEY_FILE=$WORK/dev-key.pem
export EHDS_TELEMETRY__LOG_LEVEL=warn
export EHDS_SERVER__RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__APP_RATE_LIMIT_PER_SECOND=0
export EHDS_SERVER__PUBLIC_BASE_URL=http://soak.test
export EHDS_SERVER__PORT=$PORT
if [ "$BACKEND" = postgres ]; then
  psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
  PG_CREATED=1
  export EHDS_DATABASE__URL=${PG_ADMIN_URL%/*}/$PG_DB
else
  export EHDS_DATABASE__URL=sqlite://$WORK/soak.db
fi
TOKEN=$("$BIN" dev-token --patient "$PATIENT" --scope "patient/*.rs")
AUTH="Authorization: Bearer $TOKEN"
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is in use; stop what listens there first" >&2
  exit 1
fi
"$BIN" serve > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$WORK/gateway.log" >&2; exit 1; }

URLS=(
  "http://127.0.0.1:$PORT/fhir/Patient/$PATIENT"
  "http://127.0.0.1:$PORT/fhir/MedicationRequest?patient=$PATIENT&_count=20"
  "http://127.0.0.1:$PORT/fhir/Patient/$PATIENT/\$summary"
)
for url in "${URLS[@]}"; do
  curl -sf -o /dev/null -H "$AUTH" "$url" || { echo "not served: $url" >&2; exit 1; }
done

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$GATEWAY_PID/status"; }

echo "soak: $MINUTES min, wrk -t1 -c$CONNECTIONS in ${SLICE}s slices (Patient read, search, \$summary in turn), $BACKEND, access log on; $(nproc) cores, $(date -u +%F)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| minute | request | requests/s | non-2xx | RSS (MiB) |"
echo "|---|---|---|---|---|"
SLICES=$(( MINUTES * 60 / SLICE ))
WARM_SLICES=$(( 120 / SLICE ))
WARM_RSS=
TOTAL=0
FAILED=0
for i in $(seq 1 "$SLICES"); do
  url=${URLS[$(( (i - 1) % ${#URLS[@]} ))]}
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${SLICE}s" -H "$AUTH" "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  served=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  TOTAL=$(( TOTAL + served ))
  FAILED=$(( FAILED + ${non2xx:-0} ))
  rss=$(rss_kib)
  [ "$i" -eq "$WARM_SLICES" ] && WARM_RSS=$rss
  what=${url#http://127.0.0.1:$PORT/fhir/}
  printf '| %.1f | %s | %.0f | %s | %.1f |\n' "$(awk -v i="$i" -v s=$SLICE 'BEGIN {print i * s / 60}')" \
    "${what%%\?*}" "$rps" "${non2xx:-0}" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')"
done
END_RSS=$(rss_kib)
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "requests: $TOTAL, non-2xx: $FAILED"
if [ -n "$WARM_RSS" ]; then
  awk -v a="$WARM_RSS" -v b="$END_RSS" 'BEGIN {
    printf "RSS after warm-up (2 min): %.1f MiB; at the end: %.1f MiB; growth %.1f %%\n", a / 1024, b / 1024, (b - a) * 100 / a }'
fi
