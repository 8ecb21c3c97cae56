#!/usr/bin/env bash
# The embedded store and PostgreSQL side by side, on this machine, in one run (docs/performance.md
# quotes the output). Needs the release binary, wrk and Debian's postgresql package:
#   cargo build --release && benches/replicas.sh     (DURATION=10s RESERVATIONS=100000 by default)
#  1. Writes: POST /api/v1/reservations with 1 and with 64 clients (benches/book.lua, every
#     request a new slot) on redb, on PostgreSQL with one replica, and with two replicas (two wrk
#     processes of 32 clients, one per replica, on rooms of their own; their rates add up).
#     WRITE_MODES="" skips them.
#  2. Reads with RESERVATIONS reservations stored: the day timeline and a room's availability,
#     on redb and on a PostgreSQL replica, at 4 connections (client p50/p99 from wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
RESERVATIONS=${RESERVATIONS:-100000}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_port=${PG_PORT:-15432}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$work/pg/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# Keep the logs of a failed run.
trap 'status=$?; [ $status -ne 0 ] && for l in "$work"/*.log; do echo "== $l"; tail -20 "$l"; done; cleanup' EXIT
export NO_COLOR=1 SALAS_ADMIN_EMAIL=admin@example.test SALAS_ADMIN_PASSWORD='admin password 1'
export SALAS_LIMITS_PER_IP_PER_MINUTE=0 SALAS_LIMITS_PER_CREDENTIAL_PER_MINUTE=0
export SALAS_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# PostgreSQL: a cluster of its own in the work directory, durable as a real one (fsync on).
mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg" -U salas --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=50" \
    -l "$work/pg/log" -w start >/dev/null
# new_database NAME: an empty database, and its URL.
new_database() {
    as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U salas "$1"
    echo "postgres://salas@127.0.0.1:$pg_port/$1"
}

# start NAME PORT [STORE_URL]: a server on data dir $work/NAME; waits for /readyz.
start() {
    local env=()
    [ -n "${3:-}" ] && env=(SALAS_STORE_BACKEND=postgres "SALAS_STORE_URL=$3")
    mkdir -p "$work/$1"
    env "${env[@]}" target/release/salas serve --listen "127.0.0.1:$2" --data-dir "$work/$1" >>"$work/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 3000); do
        curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return
        sleep 0.01
    done
    echo "server $1 did not start" >&2
    cat "$work/$1.log" >&2
    exit 1
}
stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
first=$(date -u -d "$(date -u -d tomorrow +%F)" +%s)
# wrk_book LABEL CLIENTS THREADS URL ROOMS...: prints "rate p50 p99 total failed".
wrk_book() {
    local clients=$1 threads=$2 url=$3
    shift 3
    wrk -t"$threads" -c"$clients" -d"$DURATION" -s benches/book.lua "$url" -- "$first" "$threads" "$@" |
        awk '/^RESULT/ {print $2, $3, $4, $5, $6}'
}
row() { printf '%-44s %10s %9s ms %9s ms   (%s bookings, %s not 201)\n' "$@"; }

printf '%-44s %10s %12s %12s\n' "POST /api/v1/reservations" "req/s" "p50" "p99"
for mode in ${WRITE_MODES-redb postgres postgres2}; do
    url=
    [ "$mode" != redb ] && url=$(new_database "writes_$mode")
    start "$mode-a" 18101 "$url"
    [ "$mode" = postgres2 ] && start "$mode-b" 18102 "$url"
    eval "$(python3 benches/seed.py 127.0.0.1:18101 64 0)"
    export TOKEN
    read -ra rooms <<<"$ROOMS"
    read -r rate p50 p99 total failed < <(wrk_book 1 1 http://127.0.0.1:18101 "${rooms[@]:0:16}")
    row "$mode, 1 client" "$rate" "$p50" "$p99" "$total" "$failed"
    if [ "$mode" = postgres2 ]; then
        wrk_book 32 1 http://127.0.0.1:18101 "${rooms[@]:16:24}" >"$work/a.out" &
        on_a=$!
        wrk_book 32 1 http://127.0.0.1:18102 "${rooms[@]:40:24}" >"$work/b.out"
        wait "$on_a"
        read -r ra pa qa ta fa <"$work/a.out"
        read -r rb pb qb tb fb <"$work/b.out"
        row "$mode, 64 clients (32 per replica)" "$(python3 -c "print(round($ra + $rb))")" "$pa/$pb" "$qa/$qb" \
            "$((ta + tb))" "$((fa + fb))"
    else
        read -r rate p50 p99 total failed < <(wrk_book 64 2 http://127.0.0.1:18101 "${rooms[@]:16:48}")
        row "$mode, 64 clients" "$rate" "$p50" "$p99" "$total" "$failed"
    fi
    stop_all
done

# Reads with RESERVATIONS reservations stored, redb against a PostgreSQL replica.
printf '\n%-44s %10s %12s %12s\n' "reads, $RESERVATIONS reservations stored" "req/s" "p50" "p99"
for mode in ${READ_MODES:-redb postgres}; do
    url=
    [ "$mode" = postgres ] && url=$(new_database "reads_$mode")
    start "read-$mode" 18103 "$url"
    eval "$(python3 benches/seed.py 127.0.0.1:18103 50 "$RESERVATIONS")"
    sleep 3 # the calendar in memory is built
    next_day=$(date -d "$DAY + 1 day" +%F)
    for what in timeline availability; do
        if [ "$what" = timeline ]; then
            args=(-H "Cookie: $SESSION" "http://127.0.0.1:18103/?date=$DAY")
        else
            args=(-H "Authorization: Bearer $TOKEN"
                "http://127.0.0.1:18103/api/v1/rooms/$ROOM/availability?from=${DAY}T00:00:00Z&to=${next_day}T00:00:00Z")
        fi
        out=$(wrk --latency -t1 -c4 -d"$DURATION" "${args[@]}")
        printf '%-44s %10s %12s %12s\n' "$mode: $what" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
            "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
        grep -q "Non-2xx" <<<"$out" && grep "Non-2xx" <<<"$out"
    done
    stop_all
done
