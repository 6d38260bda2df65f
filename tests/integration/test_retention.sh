# Retention: with a retention of seconds, a community archives and prunes
# its log and its closed cases while traffic flows, and is killed with
# SIGKILL three times while it does. Afterwards: its archive holds every
# pruned log sequence exactly once and nothing else, its store nothing of
# what was pruned; every closed case answers `gridlink show` from the
# archive; the broker that watched converges on every node's log, keeps
# the archived cases in its view, and a fresh broker skips the archived
# prefix instead of waiting for it.
source "$(dirname "$0")/buslib.sh"

export GRIDLINK_RETAIN_SECONDS=6 GRIDLINK_PRUNE_MS=200 GRIDLINK_PRUNE_BATCH=25
slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"
bus_setup
C1=xinbei.sanjing.c01
G1=xinbei.sanjing.c01.g1
G2=xinbei.sanjing.c01.g2
gl() { "$GRIDLINK" "$1" --home "$HOME_DIR" "${@:2}"; }
h() { gl health --node "$1" --timeout 2000 | jq -r ".$2"; }
holds() { gl show --node $C1 "$1" --json | jq -e --arg c $C1 '.holder == $c' >/dev/null; }

# Cases reported at g1 and closed; cases reported at g2 left open.
closer() {
    local id
    while [ ! -e "$HOME_DIR/stop" ]; do
        id=$(gl submit --node $G1 --category urban/roads --text "井盖松动") || continue
        wait_until 10 "$C1 holds $id" holds "$id"
        gl act --node $C1 "$id" accept >/dev/null &&
            gl act --node $C1 "$id" resolve --note "已处理" >/dev/null &&
            gl act --node $G1 "$id" verify >/dev/null && echo "$id" >>"$HOME_DIR/closed"
    done
}
opener() {
    while [ ! -e "$HOME_DIR/stop" ]; do
        gl submit --node $G2 --category urban --text "占道经营" >>"$HOME_DIR/open" 2>/dev/null || true
        sleep 0.2
    done
}
closer &
BG_PIDS+=($!)
opener &
BG_PIDS+=($!)

archiving() { [ "$(h $C1 archived_events)" -gt 0 ] && [ "$(h $C1 archived_cases)" -gt 0 ]; }
wait_until 40 "$C1 archiving events and cases while traffic flows" archiving
log "archiving under way: $(gl health --node $C1 | jq -c '{log_seq, pruned_through, archived_events, archived_cases}')"

# SIGKILL while it prunes (a pass every 200 ms), three times.
for k in 1 2 3; do
    before=$(h $C1 archived_events)
    pid=$(node_pid $C1)
    kill -KILL "$pid"
    back() { local p; p=$(node_pid $C1); [ -n "$p" ] && [ "$p" != "$pid" ] && gl health --node $C1 --timeout 500; }
    wait_until 20 "$C1 restarted" back
    more() { [ "$(h $C1 archived_events)" -gt "$1" ]; }
    wait_until 30 "$C1 archiving again after kill $k" more "$before"
done
touch "$HOME_DIR/stop"
wait "${BG_PIDS[@]}" 2>/dev/null || true
BG_PIDS=()

# Quiet now: after the retention everything of c01's log is past it.
all_pruned() { [ "$(h $C1 pruned_through)" = "$(h $C1 log_seq)" ] && [ "$(h $C1 log_seq)" -gt 0 ]; }
wait_until 40 "$C1 pruned its whole log" all_pruned
last=$(h $C1 log_seq)
closed=$(sort -u "$HOME_DIR/closed" | wc -l)
log "$C1 logged $last events, archived all of them; $closed cases closed, $(sort -u "$HOME_DIR/open" | wc -l) left open"
[ "$closed" -ge 5 ] || fail "only $closed cases closed"

# Exactly once: the archive's sequences are 1..last, each once.
"$GRIDLINK" archive cat --home "$HOME_DIR" --node $C1 >"$HOME_DIR/cat.jsonl" 2>"$HOME_DIR/cat.err"
jq -r 'select(.type == "event") | .seq' "$HOME_DIR/cat.jsonl" >"$HOME_DIR/seqs"
[ "$(wc -l <"$HOME_DIR/seqs")" = "$last" ] || fail "archive cat gives $(wc -l <"$HOME_DIR/seqs") events for $last logged"
diff <(seq 1 "$last") <(sort -n "$HOME_DIR/seqs") >/dev/null || fail "archived sequences are not 1..$last once each"
raw=$(zcat "$HOME_DIR"/archive/$C1/*.jsonl.gz | jq -r 'select(.type == "event") | .seq' | wc -l)
log "archive files hold $raw event lines, $last after de-duplication (the kills' repeated appends)"
[ ! -s "$HOME_DIR/cat.err" ] || fail "archive cat complained: $(cat "$HOME_DIR/cat.err")"

# Nothing pruned is left in the store (read-only, beside the running node).
live=$(mdb_stat -s log "$HOME_DIR/data/$C1" | awk '/Entries:/ {print $2}')
[ "$live" = "0" ] || fail "$C1's store still holds $live log entries"

# Every closed case: gone from the store, answered from the archive.
n=0
for id in $(sort -u "$HOME_DIR/closed"); do
    gl show --node $C1 "$id" --json >"$HOME_DIR/show.json" || fail "show $id failed"
    jq -e '.state == "closed" and (.archived | test("^[0-9]{4}-[0-9]{2}$")) and (.history | length) >= 4' \
        "$HOME_DIR/show.json" >/dev/null || fail "show $id: $(jq -c '{state, archived}' "$HOME_DIR/show.json")"
    n=$((n + 1))
done
jq -e -s --argjson n "$closed" '[.[] | select(.type == "case" and .case.state == "closed")] | length >= $n' \
    "$HOME_DIR/cat.jsonl" >/dev/null || fail "the archive has fewer closed cases than the $closed closed"
gl show --node $C1 "$(head -n1 "$HOME_DIR/closed")" | grep -q "已归档 archived" || fail "show does not say archived"
log "$n closed cases answered from the archive"

# The broker that watched: converged, the archived cases still closed in its view.
wait_until 30 "the broker converged on every node" view_converged
first=$(head -n1 "$HOME_DIR/closed")
[ "$(view_state "$first")" = "closed" ] || fail "the broker's view lost $first: $(view_state "$first")"
[ "$(broker_stat archived_skipped)" = "0" ] || fail "a broker that kept up skipped archived sequences"

# A fresh broker: the archived prefix is skipped, not waited for.
kill -STOP "$UP_PID"
kill -KILL "$(broker_pid)"
rm -rf "$HOME_DIR/broker"
kill -CONT "$UP_PID"
wait_until 20 "a fresh broker" broker_pid
wait_until 40 "the fresh broker converged" view_converged
skipped=$(broker_stat archived_skipped)
log "a fresh broker skipped $skipped archived sequences and converged"
[ "$skipped" -ge "$last" ] || fail "the fresh broker skipped $skipped, fewer than $C1's $last archived"

# prune now: nothing left past the retention.
gl_out=$("$GRIDLINK" archive prune --home "$HOME_DIR" --node $C1)
[[ "$gl_out" == *"archived 0 log entries"* ]] || fail "archive prune: $gl_out"
log "ok"
