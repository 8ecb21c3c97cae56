#!/usr/bin/env bash
# HTTP load test with wrk (Debian package) against the release binary: the day timeline page and
# the main API calls, with 50 rooms and RESERVATIONS stored. Prints requests/s, p50/p99 and RSS.
#   cargo build --release && benches/wrk.sh            (RESERVATIONS=100000 benches/wrk.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RESERVATIONS=${RESERVATIONS:-10000}
DURATION=${DURATION:-10s}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
SALAS_ADMIN_EMAIL=admin@example.test SALAS_ADMIN_PASSWORD='admin password 1' SALAS_LOG_LEVEL=warn \
    target/release/salas serve --listen 127.0.0.1:18088 --data-dir "$dir" >"$dir.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18088/healthz >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
echo "RSS idle: $(rss)"
seed_start=$(date +%s.%N)
eval "$(python3 benches/seed.py 127.0.0.1:18088 50 "$RESERVATIONS")"
echo "seeded 50 rooms and $RESERVATIONS reservations in $(echo "$(date +%s.%N) - $seed_start" | bc) s; RSS $(rss)"
load() {
    local name=$1; shift
    local out
    out=$(wrk -t2 -c16 -d"$DURATION" --latency "$@")
    printf '%-44s %10s req/s  p50 %8s  p99 %8s\n' "$name" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
}
auth=(-H "Authorization: Bearer $TOKEN")
base=http://127.0.0.1:18088
load "GET / (day timeline, 50 rooms)" -H "Cookie: $SESSION" "$base/?date=$DAY"
load "GET /api/v1/rooms/{id}/availability (7 days)" "${auth[@]}" "$base/api/v1/rooms/$ROOM/availability?from=${DAY}T00:00:00Z&to=$(date -d "$DAY + 7 days" +%F)T00:00:00Z"
load "GET /api/v1/availability (free rooms, 1 h)" "${auth[@]}" "$base/api/v1/availability?from=${DAY}T10:00:00Z&to=${DAY}T11:00:00Z&capacity=4"
load "GET /api/v1/reservations?room_id (page of 100)" "${auth[@]}" "$base/api/v1/reservations?room_id=$ROOM"
load "GET /api/v1/rooms" "${auth[@]}" "$base/api/v1/rooms"
echo "RSS after the load: $(rss)"
