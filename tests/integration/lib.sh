# lib.sh: helpers for the integration tests. Each test runs real gridlink
# processes on loopback in its own temporary home, on ports it finds free,
# and removes everything it started when it exits, whatever the outcome.
set -euo pipefail

: "${GL_BIN:?GL_BIN must name the build directory}"
: "${GL_SRC:?GL_SRC must name the source directory}"
GRIDLINK="$GL_BIN/gridlink"
MINI="$GL_SRC/deploy/topology/mini.json"
TEST_NAME=$(basename "$0" .sh)
HOME_DIR=$(mktemp -d "/tmp/gl-$TEST_NAME-XXXXXX")
UP_PID=""
BG_PIDS=()

log() { printf '%s %s: %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$TEST_NAME" "$*" >&2; }
fail() {
    log "FAIL: $*"
    for f in "$HOME_DIR"/log/*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 20 "$f"; } >&2; done
    exit 1
}

cleanup() {
    local rc=$?
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        kill -TERM "$UP_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    # Anything still running from this home is a leak of the test itself.
    pkill -KILL -f -- "--home $HOME_DIR" 2>/dev/null || true
    # In a sanitizer build a report kills only that process, and up restarts
    # it: read the logs so that the report fails the test.
    # (-q: a match counts even when one of the globs matched no file)
    if grep -qs -E "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$HOME_DIR"/log/*.log "$HOME_DIR"/*.err; then
        log "FAIL: sanitizer report in the logs above"
        grep -hs -A 12 -E "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$HOME_DIR"/log/*.log "$HOME_DIR"/*.err | head -40 >&2 || true
        rc=1
    fi
    [ -n "${KEEP_HOME:-}" ] || rm -rf "$HOME_DIR"
    if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
    exit $rc
}
trap cleanup EXIT

# wait_until SECONDS DESCRIPTION CMD...: poll CMD until it succeeds.
wait_until() {
    local secs=$1 what=$2
    shift 2
    local deadline=$(($(date +%s%N) + secs * 1000000000))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for: $what"
        sleep 0.05
    done
}

# wait_progress STALL_S DESCRIPTION PROGRESS_CMD CMD...: poll CMD until it
# succeeds. PROGRESS_CMD prints a measure of the work the wait depends on
# (cases acknowledged, cases arrived): the wait fails only when that measure
# has not changed for STALL_S seconds, or after GL_WAIT_MAX_S (default 400)
# in all, so that a slow or loaded machine makes the test slower, not red.
wait_progress() {
    local stall=$1 what=$2 progress=$3
    shift 3
    local start last now value
    start=$(now_ms)
    last=$start
    value=$($progress 2>/dev/null || echo "?")
    until "$@" >/dev/null 2>&1; do
        now=$(now_ms)
        local v
        v=$($progress 2>/dev/null || echo "?")
        if [ "$v" != "$value" ]; then
            value=$v
            last=$now
        fi
        [ $((now - last)) -lt $((stall * 1000)) ] ||
            fail "waiting for: $what: no progress for ${stall}s (still at $value)"
        [ $((now - start)) -lt $((${GL_WAIT_MAX_S:-400} * 1000)) ] ||
            fail "waiting for: $what: not done after ${GL_WAIT_MAX_S:-400}s (at $value)"
        sleep 0.5
    done
}

# A base port with `count` consecutive free TCP ports on loopback, below the
# kernel's ephemeral range (ip_local_port_range), so that no outgoing
# connection of this machine can take one of them meanwhile.
free_port_base() {
    local count=${1:-16}
    local low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$low" -gt $((10000 + count)) ] || low=32768
    for _ in $(seq 50); do
        local base=$((10000 + RANDOM % (low - 10000 - count)))
        local used
        used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | awk -v b="$base" -v c="$count" '$1>=b && $1<b+c' | wc -l)
        [ "$used" -eq 0 ] && { echo "$base"; return 0; }
    done
    fail "no free port range"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_up TOPOLOGY [extra up args...]: run `gridlink up` and wait for every node.
start_up() {
    local topo=$1
    shift
    PORT_BASE=${PORT_BASE:-$(free_port_base "${PORT_COUNT:-32}")}
    "$GRIDLINK" up --topology "$topo" --home "$HOME_DIR" --port-base "$PORT_BASE" --quiet "$@" \
        >"$HOME_DIR/up.out" 2>"$HOME_DIR/up.err" &
    UP_PID=$!
    wait_until 10 "home initialised" test -f "$HOME_DIR/topology.json"
    for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
        wait_until 20 "node $n serving" "$GRIDLINK" health --home "$HOME_DIR" --node "$n" --timeout 500
    done
}

# with_http SRC DST: SRC serving the staff API, its tree ports and HTTP ports
# side by side in one free range; start_up keeps them where they are.
with_http() {
    PORT_BASE=$(free_port_base 64)
    jq --argjson p "$PORT_BASE" --argjson h $((PORT_BASE + 32)) '.port_base = $p | .http_port_base = $h' "$1" >"$2"
}

# slow_topology FILE: the mini district with hour-long time limits, so that
# nothing moves but what the test does.
slow_topology() {
    jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
                {"tier": "community", "accept_s": 3600, "resolve_s": 7200},
                {"tier": "township", "accept_s": 3600, "resolve_s": 7200},
                {"tier": "district", "accept_s": 3600, "resolve_s": 7200},
                {"tier": "department", "accept_s": 3600, "resolve_s": 7200}]' "$MINI" >"$1"
}

node_pid() { pgrep -f -- "gridlink-node --home $HOME_DIR --node $1( |\$)" | head -n1; }

# start_watch FILE [args...]: a JSON watcher writing to FILE, ready when live.
start_watch() {
    local out=$1
    shift
    "$GRIDLINK" watch --home "$HOME_DIR" --json "$@" >"$out" 2>"$out.err" &
    BG_PIDS+=($!)
    wait_until 10 "watch subscription live" grep -q "live" "$out.err"
}

# events FILE KIND NODE CASE: the matching events, one JSON object a line.
events() { jq -c --arg k "$2" --arg n "$3" --arg c "$4" 'select(.kind==$k and .node==$n and .case_id==$c)' "$1"; }
count_events() { events "$@" | wc -l; }
has_event() { [ "$(count_events "$@")" -ge 1 ]; }
