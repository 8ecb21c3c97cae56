#!/usr/bin/env bash
# Load test of the release binary with wrk (Debian package); docs/performance.md quotes its output.
#  1. Write path, one server: POST /api/v1/reservations with 1 client, then with 64 clients (each
#     run on 16 rooms of its own, every request a new slot), and the ratio of the two throughputs.
#  2. Read path, a second server with 50 rooms and RESERVATIONS reservations stored: start-up
#     time, RSS, and for the day timeline page and the main API calls: requests/s, client p50/p99
#     (wrk) and server-side p50/p99 (the `ms` of each request in the server's access log), at 4
#     connections (the timeline also at 1).
#   cargo build --release && benches/wrk.sh          (RESERVATIONS=10000 DURATION=5s benches/wrk.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RESERVATIONS=${RESERVATIONS:-100000}
DURATION=${DURATION:-10s}
PORT=${PORT:-18088}
base=http://127.0.0.1:$PORT
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export NO_COLOR=1 SALAS_ADMIN_EMAIL=admin@example.test SALAS_ADMIN_PASSWORD='admin password 1'
# The load comes from one address with one credential: the gateway's per-address and
# per-credential rate limits are off, or they would be what is measured.
export SALAS_LIMITS_PER_IP_PER_MINUTE=0 SALAS_LIMITS_PER_CREDENTIAL_PER_MINUTE=0

# Starts the server on data dir $1 (log in $work/log) and sets `pid` and `startup_ms`: the time
# from exec to the first successful /readyz (polled every 5 ms).
start_server() {
    local t0
    t0=$(date +%s%N)
    target/release/salas serve --listen "127.0.0.1:$PORT" --data-dir "$1" >>"$work/log" 2>&1 &
    pid=$!
    for _ in $(seq 2000); do
        curl -sf "$base/readyz" >/dev/null 2>&1 && break
        sleep 0.005
    done
    startup_ms=$((($(date +%s%N) - t0) / 1000000))
}
stop_server() {
    kill -TERM "$pid"
    wait "$pid" || { echo "the server exited with status $?" >&2; exit 1; }
    pid=
}
# Resident memory, and how much of it is the binary's own code and data mapped from its file
# (shared with the page cache) rather than memory the server allocated.
rss() {
    awk '/VmRSS/ {t=$2} /RssAnon/ {a=$2} /RssFile/ {f=$2} /RssShmem/ {s=$2}
        END {printf "%.1f MiB (allocated %.1f, mapped from files %.1f)", t/1024, a/1024, (f+s)/1024}' \
        "/proc/$pid/status"
}

# Server-side p50/p99 in ms of the access-log lines after byte $1 whose path starts with $2.
server_ms() {
    tail -c +"$(($1 + 1))" "$work/log" | python3 -c '
import re, sys
prefix = sys.argv[1]
ms = sorted(float(m.group(2)) for m in (re.search(r"path=(\S+) .*ms=([0-9.]+)", l) for l in sys.stdin)
            if m and m.group(1).startswith(prefix))
pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else float("nan")
print(f"{pick(0.50):.2f} ms {pick(0.99):.2f} ms {len(ms)}")' "$2"
}

printf '%-46s %10s %10s %10s %14s %14s\n' "" "req/s" "p50" "p99" "server p50" "server p99"
# One wrk run: $1 label, $2 path prefix for the server-side figures, the rest wrk's arguments.
load() {
    local name=$1 prefix=$2 mark out server
    shift 2
    mark=$(stat -c %s "$work/log")
    out=$(wrk --latency "$@")
    server=$(server_ms "$mark" "$prefix")
    printf '%-46s %10s %10s %10s %8s %-5s %8s %-5s (%s logged)\n' "$name" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")" $server
    if grep -q "Non-2xx" <<<"$out"; then grep "Non-2xx" <<<"$out"; fi
}

# 1. Write path.
mkdir "$work/writes"
start_server "$work/writes"
echo "write server: up in $startup_ms ms, RSS idle $(rss)"
# Four sign-ins at once: each password check (argon2id) works in 19 MiB, which must not stay.
signing=()
for _ in 1 2 3 4; do
    curl -sf -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"email\":\"$SALAS_ADMIN_EMAIL\",\"password\":\"$SALAS_ADMIN_PASSWORD\"}" "$base/api/v1/auth/token" &
    signing+=($!)
done
wait "${signing[@]}"
echo "write server: RSS after four sign-ins at once $(rss)"
eval "$(python3 benches/seed.py "127.0.0.1:$PORT" 32 0)"
export TOKEN
# An office set up and left alone: what the work freed is handed back within 5 s (src/main.rs).
sleep 6
echo "write server: RSS idle with 32 rooms set up, 6 s later $(rss)"
read -ra rooms <<<"$ROOMS"
first=$(date -u -d "$(date -u -d tomorrow +%F)" +%s)
book() {
    local clients=$1 threads=$2
    shift 2
    out=$(wrk -t"$threads" -c"$clients" -d"$DURATION" -s benches/book.lua "$base" -- "$first" "$threads" "$@")
    read -r _ rate p50 p99 total failed < <(grep '^RESULT' <<<"$out")
    printf '%-46s %10s %8s ms %7s ms   (%s bookings, %s not 201)\n' \
        "POST /api/v1/reservations, $clients client(s)" "$rate" "$p50" "$p99" "$total" "$failed"
}
book 1 1 "${rooms[@]:0:16}"
one=$rate
book 64 2 "${rooms[@]:16:16}"
echo "64 clients / 1 client: $(python3 -c "print(f'{$rate / $one:.2f}')")x; RSS $(rss)"
stop_server
target/release/salas check --data-dir "$work/writes" | tail -1

# 2. Read path.
mkdir "$work/reads"
start_server "$work/reads"
seed_start=$(date +%s%N)
eval "$(python3 benches/seed.py "127.0.0.1:$PORT" 50 "$RESERVATIONS")"
echo "seeded 50 rooms and $RESERVATIONS reservations in $((($(date +%s%N) - seed_start) / 1000000)) ms; RSS $(rss)"
stop_server
start_server "$work/reads"
echo "read server: restarted with $RESERVATIONS reservations, up in $startup_ms ms, RSS $(rss)"
# It answers at once; the in-memory calendar of live reservations builds in the background (about
# 1.5 s at 100,000) and reads use the file until then. Measure the steady state.
sleep 5
echo "read server: RSS idle with the calendar built: $(rss)"
# The seed signed in before the restart; sessions and tokens are stored, so they still work.
auth=(-H "Authorization: Bearer $TOKEN")
next_day=$(date -d "$DAY + 1 day" +%F)
week=$(date -d "$DAY + 7 days" +%F)
w=(-t1 -c4 -d"$DURATION")
load "GET / (day timeline, 50 rooms, 500 bookings)" "/" "${w[@]}" -H "Cookie: $SESSION" "$base/?date=$DAY"
# The same page from one connection: its own time, without queueing behind the other three for
# the two cores the server shares with wrk.
load "GET / (the same, 1 connection)" "/" -t1 -c1 -d"$DURATION" -H "Cookie: $SESSION" "$base/?date=$DAY"
load "GET /rooms/{id}/availability (1 day)" "/api/v1/rooms/" "${w[@]}" "${auth[@]}" \
    "$base/api/v1/rooms/$ROOM/availability?from=${DAY}T00:00:00Z&to=${next_day}T00:00:00Z"
load "GET /rooms/{id}/availability (7 days)" "/api/v1/rooms/" "${w[@]}" "${auth[@]}" \
    "$base/api/v1/rooms/$ROOM/availability?from=${DAY}T00:00:00Z&to=${week}T00:00:00Z"
load "GET /availability (free rooms of 50, 1 hour)" "/api/v1/availability" "${w[@]}" "${auth[@]}" \
    "$base/api/v1/availability?from=${DAY}T18:00:00Z&to=${DAY}T19:00:00Z&capacity=4"
load "GET /reservations?room_id&from&to (1 day)" "/api/v1/reservations" "${w[@]}" "${auth[@]}" \
    "$base/api/v1/reservations?room_id=$ROOM&from=${DAY}T00:00:00Z&to=${next_day}T00:00:00Z"
load "GET /rooms (50)" "/api/v1/rooms" "${w[@]}" "${auth[@]}" "$base/api/v1/rooms"
echo "RSS after the reads: $(rss)"
stop_server
