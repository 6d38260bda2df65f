#!/usr/bin/env bash
# The retention benchmark (issue 13): a simulated week of constant load on
# the mini district, time compressed, its stores measured once a simulated
# day. A day lasts DAY_S real seconds (default 10) and the retention is
# RETAIN_DAYS of them (default 2), through GRIDLINK_RETAIN_SECONDS; the load
# is cases reported at both grids, accepted and resolved by the community
# and verified by the grid, one every PACE_S seconds (default 0.5) at each
# grid, for DAYS days (default 7). Each line: the simulated day, the cases
# closed so far, the live log entries and cases in all stores, the bytes
# of LMDB pages in use (mdb_stat -ef: pages used less free pages, times
# the page size) and ever used (the high-water mark; free pages are reused
# before it moves), the data.mdb files' size, and the archive's size. Once the retention is reached the stores stop growing:
# what enters in a day leaves in a day, to the archive.
#
#   bench/retention.sh [OUT.md]      (default bench/results/retention.md)
#
# Build first (scripts/build.sh); BUILD_DIR names the build (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BIN=${BUILD_DIR:-build}
GRIDLINK="$SRC/$BIN/gridlink"
OUT=${1:-bench/results/retention.md}
DAY_S=${DAY_S:-10}
RETAIN_DAYS=${RETAIN_DAYS:-2}
DAYS=${DAYS:-7}
PACE_S=${PACE_S:-0.5}
[ -x "$GRIDLINK" ] || { echo "build first: $GRIDLINK missing" >&2; exit 2; }

HOME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/glbench-retention-XXXXXX")
PIDS=()
UP_PID=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$UP_PID" ]; then
        kill -TERM "$UP_PID" 2>/dev/null || true
        wait "$UP_PID" 2>/dev/null || true
    fi
    [ -n "${KEEP_HOME:-}" ] || rm -rf "$HOME_DIR"
}
trap cleanup EXIT

low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
PORT_BASE=$((10000 + RANDOM % (low - 10100)))
# Hour-long limits: nothing escalates, every case is closed by the load.
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "township", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "district", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "department", "accept_s": 3600, "resolve_s": 7200}]' \
    deploy/topology/mini.json >"$HOME_DIR/mini.json"

export GRIDLINK_RETAIN_SECONDS=$((DAY_S * RETAIN_DAYS)) GRIDLINK_PRUNE_MS=$((DAY_S * 1000 / 20))
"$GRIDLINK" up --topology "$HOME_DIR/mini.json" --home "$HOME_DIR" --port-base "$PORT_BASE" --quiet \
    >"$HOME_DIR/up.out" 2>"$HOME_DIR/up.err" &
UP_PID=$!
nodes=""
for _ in $(seq 200); do
    [ -f "$HOME_DIR/topology.json" ] && break
    sleep 0.1
done
nodes=$(jq -r '.nodes[].id' "$HOME_DIR/topology.json")
for n in $nodes; do
    for _ in $(seq 200); do
        "$GRIDLINK" health --home "$HOME_DIR" --node "$n" --timeout 500 >/dev/null 2>&1 && break
        sleep 0.1
    done
done
C1=xinbei.sanjing.c01
gl() { "$GRIDLINK" "$1" --home "$HOME_DIR" "${@:2}"; }

# One grid's load: a case every PACE_S seconds, worked to closed.
load() {
    local grid=$1 id next
    next=$(date +%s%N)
    while :; do
        id=$(gl submit --node "$grid" --category urban/roads --text "井盖松动" 2>/dev/null) || continue
        for _ in $(seq 100); do
            gl show --node $C1 "$id" --json 2>/dev/null | jq -e --arg c $C1 '.holder == $c' >/dev/null && break
            sleep 0.05
        done
        gl act --node $C1 "$id" accept >/dev/null 2>&1 &&
            gl act --node $C1 "$id" resolve --note "已处理" >/dev/null 2>&1 &&
            gl act --node "$grid" "$id" verify >/dev/null 2>&1 && echo "$id" >>"$HOME_DIR/closed"
        next=$((next + $(awk -v p="$PACE_S" 'BEGIN {printf "%d", p * 1e9}')))
        local wait_ns=$((next - $(date +%s%N)))
        [ "$wait_ns" -le 0 ] || sleep "$(awk -v n="$wait_ns" 'BEGIN {printf "%.3f", n / 1e9}')"
    done
}
load xinbei.sanjing.c01.g1 &
PIDS+=($!)
load xinbei.sanjing.c01.g2 &
PIDS+=($!)

sample() {
    local entries=0 cases=0 used=0 live=0 file=0 e c p ps fr
    for n in $nodes; do
        local d="$HOME_DIR/data/$n"
        e=$(mdb_stat -s log "$d" | awk '/Entries:/ {print $2}')
        c=$(mdb_stat -s cases "$d" | awk '/Entries:/ {print $2}')
        mdb_stat -ef "$d" >"$HOME_DIR/stat"
        p=$(awk '/Number of pages used:/ {print $5}' "$HOME_DIR/stat")
        ps=$(awk '/Page size:/ {print $3}' "$HOME_DIR/stat")
        fr=$(awk '/Free pages:/ {print $3}' "$HOME_DIR/stat")
        entries=$((entries + e))
        cases=$((cases + c))
        used=$((used + p * ps))
        live=$((live + (p - fr) * ps))
        file=$((file + $(stat -c %s "$d/data.mdb")))
    done
    local arch
    arch=$(du -sb "$HOME_DIR/archive" 2>/dev/null | awk '{print $1}')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(sort -u "$HOME_DIR/closed" 2>/dev/null | wc -l)" \
        "$entries" "$cases" "$live" "$used" "$file" "${arch:-0}"
}

rows=()
start=$(date +%s)
for day in $(seq 1 "$DAYS"); do
    sleep $((start + day * DAY_S - $(date +%s)))
    rows+=("$(sample "$day")")
    echo "${rows[-1]}" >&2
done
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
PIDS=()
archived=$(gl health --node $C1 | jq -c '{log_seq, pruned_through, archived_events, archived_cases, archive_errors}')

{
    echo "# gridlink retention benchmark, $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
    echo
    echo "machine: $(nproc) cores; the mini district (7 nodes, one process each) under \`gridlink up\`, every commit synced."
    echo "A simulated day is ${DAY_S} s; the retention is ${RETAIN_DAYS} days (GRIDLINK_RETAIN_SECONDS=$GRIDLINK_RETAIN_SECONDS,"
    echo "a pass every ${GRIDLINK_PRUNE_MS} ms); the load is a case every ${PACE_S} s at each of the two grids, reported,"
    echo "accepted, resolved and verified (closed). Stores summed over the 7 nodes."
    echo
    echo "| day | cases closed | live log entries | live cases | pages in use (bytes) | pages ever used (bytes) | data.mdb files (bytes) | archive (bytes) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "The community at the end: \`$archived\`"
    echo
    echo "Made by \`bench/retention.sh\` (DAY_S=$DAY_S RETAIN_DAYS=$RETAIN_DAYS DAYS=$DAYS PACE_S=$PACE_S)."
} >"$OUT"
cat "$OUT"
