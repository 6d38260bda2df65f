# A client holding a real key (here a compromised grid's) cannot make the
# broker hold memory for it: it sends 1,000 replay requests of the grid's
# whole retained log and never reads a byte. The broker's resident memory
# stays within 64 MiB of what it was before, the broker cuts the client off
# and counts it, refuses the key's requests for a while, and keeps serving
# everyone else.
source "$(dirname "$0")/buslib.sh"

REQUESTS=1000
BOUND_KIB=$((64 * 1024))
# In a sanitizer build, ASan's quarantine keeps freed memory back (256 MiB by
# default), which resident memory would count; hold back little.
if grep -qs '^GRIDLINK_SANITIZER:STRING=address' "$GL_BIN/CMakeCache.txt"; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
fi
slow_mini >"$HOME_DIR/mini-slow.json"
start_up "$HOME_DIR/mini-slow.json"
bus_setup
g1=xinbei.sanjing.c01.g1

# Give the grid a log worth replaying: 4,000 reports, all in the broker's window.
"$GRIDLINK" load --home "$HOME_DIR" --cases 4000 --rate 4000 --prefix $g1 >"$HOME_DIR/load.out" 2>"$HOME_DIR/load.err" ||
    fail "load failed: $(tail -n 3 "$HOME_DIR/load.err")"
seq_g1=$(log_seq $g1)
[ "$seq_g1" -ge 4000 ] || fail "the grid logged only $seq_g1 events"
wait_until 30 "the broker's view has all of $g1's log" mark_is $g1 "$seq_g1"

pid=$(broker_pid)
base=$(rss_kib "$pid")
log "broker $pid at $((base / 1024)) MiB with $seq_g1 events of $g1 retained"

# Sample the broker's memory all along, every 20 ms, into a file.
sample_rss() { while kill -0 "$pid" 2>/dev/null; do rss_kib "$pid" >>"$HOME_DIR/rss.txt" || true; sleep 0.02; done; }
sample_rss &
SAMPLER=$!
BG_PIDS+=($SAMPLER)

"$BUSPROBE" flood "$BUS_IN" "$BROKER_KEY" "$KEYS/$g1.cert" $g1 $REQUESTS >"$HOME_DIR/flood.out" 2>&1 &
FLOOD=$!
BG_PIDS+=($FLOOD)
wait_until 20 "the flood sent" grep -q "^sent $REQUESTS" "$HOME_DIR/flood.out"

# Until the broker reports the client cut off (at most 30 s), and then for
# 100 more samples (2 s or more), so what it queued after the cut shows too.
cut=0
deadline=$(($(date +%s) + 30))
while [ "$cut" -lt 1 ] && [ "$(date +%s)" -lt "$deadline" ]; do cut=$(broker_stat cutoffs); done
samples() { wc -l <"$HOME_DIR/rss.txt"; }
enough=$(($(samples) + 100))
more_samples() { [ "$(samples)" -ge "$enough" ]; }
wait_until 20 "100 more memory samples" more_samples
kill "$SAMPLER"
peak=$(sort -n "$HOME_DIR/rss.txt" | tail -n1)
log "broker peak $((peak / 1024)) MiB (+$(((peak - base) / 1024)) MiB) in $(wc -l <"$HOME_DIR/rss.txt") samples during $REQUESTS unread replays; cutoffs $cut"
[ "$((peak - base))" -lt "$BOUND_KIB" ] || fail "the broker grew by $(((peak - base) / 1024)) MiB (bound $((BOUND_KIB / 1024)) MiB)"
[ "$cut" -ge 1 ] || fail "the broker never reported the client cut off"
grep -q "cut off" "$HOME_DIR/log/broker.log" || fail "the cut-off is not in the broker's log"

# While cut off, the key's requests are refused with an error, not queued.
"$BUSPROBE" request "$BUS_IN" "$BROKER_KEY" "$KEYS/$g1.cert" 3000 op=replay node=$g1 from=1 to=10 >"$HOME_DIR/refused.json"
jq -s -e 'any(.[]; .end == true and .code != 0 and (.error | test("cut off")))' "$HOME_DIR/refused.json" >/dev/null ||
    fail "a request from the cut-off key was not refused: $(head -c 300 "$HOME_DIR/refused.json")"
! jq -s -e 'any(.[]; .events)' "$HOME_DIR/refused.json" >/dev/null || fail "the cut-off key still got events"

kill "$FLOOD"
wait "$FLOOD" 2>/dev/null || true
after=$(rss_kib "$pid")
log "after the client left: $((after / 1024)) MiB"
[ "$((after - base))" -lt "$BOUND_KIB" ] || fail "the broker still holds +$(((after - base) / 1024)) MiB after the client left"

no_clients() { [ "$(broker_stat clients)" -eq 0 ]; }
wait_until 10 "the broker forgets the clients that left" no_clients

# Everyone else is still served: the operator's snapshot comes back whole.
wait_until 10 "the operator's snapshot after the flood" mark_is $g1 "$seq_g1"
[ "$(broker_pid)" = "$pid" ] || fail "the broker restarted"
log "ok"
