# Memory and connection slots before authentication. Strangers that open raw
# TCP connections to the community's ROUTER, offer CURVE in a ZMTP 3
# greeting and never finish the handshake must not hold the node's memory or
# their connections:
#   big:  8 connections each announce a 64 MiB command frame (long-frame
#         header, flags 0x06) and send its body as fast as they can. The
#         node's VmRSS must stay under its baseline + RSS_BOUND_KB (16 MiB,
#         a quarter of one such frame; unbounded, the node buffers 8 x 64 MiB)
#         and every connection must be closed while the stranger still sends.
#   slow: 8 connections announce a 200-byte command and trickle it one byte
#         every 250 ms. Every one must be closed by the handshake timeout
#         (GL_HANDSHAKE_MS, 5 s), not after libzmq's default 30 s.
# Each of the 16 is counted in health.handshake_failed and logged. Meanwhile
# the node keeps serving its real children.
source "$(dirname "$0")/lib.sh"

COMMUNITY=xinbei.sanjing.c01
RSS_BOUND_KB=16384
HANDSHAKE_MS=5000
PREAUTH="$GL_BIN/tests/gl_preauth"

start_up "$MINI"
wait_until 20 "the community sees both grids" sh -c \
    "'$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq -e '.children_up | length == 2'"
pid=$(node_pid $COMMUNITY)
[ -n "$pid" ] || fail "no process for $COMMUNITY"
port=$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -n1)
[ -n "$port" ] || fail "cannot find the port $COMMUNITY listens on"
log "$COMMUNITY is pid $pid, listening on 127.0.0.1:$port"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# run_strangers MODE HOLD_MS OUT: run gl_preauth, sampling the node's RSS
# every 100 ms while it runs; prints the largest sample in kB.
run_strangers() {
    local mode=$1 hold=$2 out=$3
    "$PREAUTH" 127.0.0.1 "$port" "$mode" 8 "$hold" >"$out" 2>&1 &
    local tool=$!
    local max=0 r
    while kill -0 "$tool" 2>/dev/null; do
        r=$(rss_kb) || fail "$COMMUNITY died"
        [ "$r" -gt "$max" ] && max=$r
        sleep 0.1
    done
    wait "$tool" || fail "gl_preauth failed: $(cat "$out")"
    echo "$max"
}

base=0
for _ in 1 2 3 4 5; do
    r=$(rss_kb)
    [ "$r" -gt "$base" ] && base=$r
    sleep 0.1
done
log "baseline VmRSS ${base} kB"

max=$(run_strangers big 6000 "$HOME_DIR/big.out")
cat "$HOME_DIR/big.out" >&2
grew=$((max - base))
log "big frames: VmRSS peaked at ${max} kB, ${grew} kB over the baseline (bound ${RSS_BOUND_KB} kB)"
[ "$grew" -lt "$RSS_BOUND_KB" ] || fail "VmRSS grew by ${grew} kB for 8 unauthenticated connections"
grep -q "^closed 8 of 8," "$HOME_DIR/big.out" || fail "the node kept connections that announced a 64 MiB frame open"
# Each was cut off long before its frame was sent.
awk '/^conn/ && $4 + 0 >= 64 * 1024 * 1024 - 1 {bad = 1} END {exit bad}' "$HOME_DIR/big.out" ||
    fail "a stranger got a whole 64 MiB frame through"

max=$(run_strangers slow $((HANDSHAKE_MS + 4000)) "$HOME_DIR/slow.out")
cat "$HOME_DIR/slow.out" >&2
line=$(tail -n1 "$HOME_DIR/slow.out")
[[ "$line" =~ ^closed\ 8\ of\ 8,\ max\ ([0-9]+)\ ms$ ]] || fail "slow handshakes were not all closed: $line"
closed_ms=${BASH_REMATCH[1]}
[ "$closed_ms" -le $((HANDSHAKE_MS + 2000)) ] || fail "the last slow handshake was closed after ${closed_ms} ms"
log "slow handshakes: all 8 closed, the last after ${closed_ms} ms (handshake timeout ${HANDSHAKE_MS} ms)"

# All 16 were counted as failed handshakes, none as anything else.
failed() { [ "$("$GRIDLINK" health --home "$HOME_DIR" --node $COMMUNITY | jq .handshake_failed)" -eq 16 ]; }
wait_until 5 "16 failed handshakes in health" failed
grep -q "connection from 127.0.0.1:[0-9]* closed before its handshake completed\|connection from an unknown address closed before" \
    "$HOME_DIR/log/$COMMUNITY.log" || fail "the oversized frames left no trace in the log"
grep -q "handshake from 127.0.0.1:[0-9]* not completed" "$HOME_DIR/log/$COMMUNITY.log" ||
    fail "the handshake timeouts left no trace in the log"
kill -0 "$pid" 2>/dev/null || fail "$COMMUNITY died"
[ "$(node_pid $COMMUNITY)" = "$pid" ] || fail "$COMMUNITY was restarted"
wait_until 10 "the community still sees both grids" sh -c \
    "'$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq -e '.children_up | length == 2'"
id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $COMMUNITY.g1 --category urban/roads --text "after the strangers") ||
    fail "submit failed after the strangers"
holds() { "$GRIDLINK" show --home "$HOME_DIR" --node $COMMUNITY "$id" --json | jq -e ".holder == \"$COMMUNITY\""; }
wait_until 10 "the community receives a case from its grid" holds
log "ok: +${grew} kB for 8 x 64 MiB announced frames; slow handshakes closed after ${closed_ms} ms"
