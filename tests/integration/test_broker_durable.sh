# The broker's durable view: under load it is killed with SIGKILL and comes
# back from its own store: at once with the counts it had (not empty), then
# caught up by replaying only what it missed, not the nodes' whole logs.
# Once the district is quiet its counts are exactly those of a fresh rebuild
# from the nodes' logs (the store moved away, the broker restarted), and
# every case submitted is counted exactly once, open or closed. The KPI
# counters (every node's, day and month) agree with the rebuild's too.
source "$(dirname "$0")/lib.sh"

with_http "$MINI" "$HOME_DIR/mini.json"
start_up "$HOME_DIR/mini.json"
printf 'centre-pass-1\n' | "$GRIDLINK" user add --home "$HOME_DIR" --name centre --role monitor --scope xinbei --password-stdin >/dev/null
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
nodes=$(jq -r '.nodes[].id' "$HOME_DIR/topology.json")
B="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))"
g1=xinbei.sanjing.c01.g1
g2=xinbei.sanjing.c01.g2

log_seq() { "$GRIDLINK" health --home "$HOME_DIR" --node "$1" --timeout 2000 | jq .log_seq; }
logged() { local s=0; for n in $nodes; do s=$((s + $(log_seq "$n"))); done; echo $s; }
replayed() { curl -sf "$B/metrics" | awk '$1 == "gridlink_broker_events_total{how=\"replayed\"}" {print $2}'; }
broker_pid() { pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)" | head -n1; }
TOKEN=""
# counts: the broker's counts, logged in as the district's account (again
# after a restart: a session outlives the broker, the accounts are the home's).
counts() {
    [ -n "$TOKEN" ] || TOKEN=$(curl -sf -H 'Content-Type: application/json' \
        --data '{"name": "centre", "password": "centre-pass-1"}' "$B/api/v1/login" | jq -r .token) || return 1
    curl -sf -H "Authorization: Bearer $TOKEN" "$B/api/v1/counts"
}
# caught_up: the broker applied every node's log to its end.
caught_up() {
    local c
    c=$(counts) || return 1
    for n in $nodes; do
        [ "$(jq --arg n "$n" '.nodes[] | select(.id == $n) | .applied_seq' <<<"$c")" = "$(log_seq "$n")" ] || return 1
    done
}
# quiet: no node logged anything for two seconds (deadlines have run out).
quiet() {
    local a b
    a=$(logged)
    sleep 2
    b=$(logged)
    [ "$a" = "$b" ]
}

load() {
    while [ ! -e "$HOME_DIR/stop" ]; do
        "$GRIDLINK" submit --home "$HOME_DIR" --node "$1" --category urban --text "load" >>"$HOME_DIR/ids.$1" 2>/dev/null || true
    done
}
load $g1 &
BG_PIDS+=($!)
load $g2 &
BG_PIDS+=($!)
wait_until 20 "the broker serving its counts" counts
under_way() { [ "$(cat "$HOME_DIR"/ids.* 2>/dev/null | wc -l)" -ge 200 ]; }
wait_until 30 "load under way" under_way

# stored: the sum of the feeds' sequences in the broker's store (hex
# values of mdb_dump, one line after each key).
stored() {
    mdb_dump -s feeds "$HOME_DIR/broker" | awk '/^HEADER=END/ {on = 1; next} /^DATA=END/ {on = 0} on {print}' |
        awk 'NR % 2 == 0 {print $1}' | while read -r hex; do echo $((16#$hex)); done | awk '{s += $1} END {print s + 0}'
}

# SIGKILL under load; `up` restarts it once the store has been read.
old=$(broker_pid)
open_before=$(counts | jq .district.open)
kill -STOP "$UP_PID"
kill -KILL "$old"
at_kill=$(logged)
kept=$(stored)
kill -CONT "$UP_PID"
new_broker() { local p; p=$(broker_pid); [ -n "$p" ] && [ "$p" != "$old" ] && counts >/dev/null; }
wait_until 20 "the broker restarted" new_broker
open_after=$(counts | jq .district.open)
log "killed at $at_kill events logged, $kept in its store; open cases $open_before before the kill, $open_after on restart"
[ "$kept" -gt 0 ] || fail "the broker's store holds no feed's sequence"
[ "$open_after" -gt 0 ] || fail "the restarted broker came back with no open cases: it did not load its view"

sleep 2
touch "$HOME_DIR/stop"
wait "${BG_PIDS[@]}" 2>/dev/null || true
wait_until 60 "the district quiet" quiet
wait_until 30 "the broker caught up with every node" caught_up
total=$(logged)
r1=$(replayed)
log "after the restart: $r1 events replayed; $total logged in all, $kept of them in the store at the kill"
[ "$r1" -le $((total - kept)) ] || fail "the restarted broker replayed $r1 events, more than the $((total - kept)) it missed"
A=$(counts | jq -S '[.nodes[] | {id, counts}]')
# The KPI counters of every node, this month and today (Asia/Shanghai).
DAY=$(TZ=Asia/Shanghai date +%Y-%m-%d)
kpis() {
    local n p
    for n in $nodes; do
        for p in day month; do
            curl -sf -H "Authorization: Bearer $TOKEN" "$B/api/v1/kpi?unit=$n&period=$p&at=$DAY" |
                jq -c '{unit, period, counters}' || return 1
        done
    done
}
KA=$(kpis)
[ "$(jq -s 'map(select(.period == "month")) | map(.counters.dispatched) | add' <<<"$KA")" -gt 0 ] ||
    fail "no KPI counters after the load: $(head -3 <<<"$KA")"

# Every case once: open + closed over the holders is the number submitted.
submitted=$(cat "$HOME_DIR"/ids.* | sort -u | wc -l)
held=$(counts | jq '.district.open + .district.closed')
[ "$held" = "$submitted" ] || fail "the view counts $held cases, $submitted were submitted"

# A fresh rebuild from the logs gives the same counts.
kill -STOP "$UP_PID"
kill -KILL "$(broker_pid)"
rm -rf "$HOME_DIR/broker"
kill -CONT "$UP_PID"
old=""
wait_until 20 "a fresh broker" new_broker
wait_until 60 "the fresh broker rebuilt every node's feed" caught_up
r2=$(replayed)
Bc=$(counts | jq -S '[.nodes[] | {id, counts}]')
[ "$A" = "$Bc" ] || fail "counts after the restart and after a fresh rebuild differ: $(diff <(jq . <<<"$A") <(jq . <<<"$Bc") | head -20)"
log "fresh rebuild replayed $r2 events and agrees on every node's counts ($(jq -c .district <<<"$(counts)"))"
KB=$(kpis)
[ "$KA" = "$KB" ] || fail "KPI counters after the restart and after a fresh rebuild differ: $(diff <(echo "$KA") <(echo "$KB") | head -6)"
log "and on every node's KPI counters, day and month (district this month: $(grep -F '"unit":"xinbei","period":"month"' <<<"$KB" | jq -c '.counters | {dispatched, signed_in_time, accepted, due, closed}'))"
[ "$r2" -ge "$((total - 100))" ] || fail "a fresh rebuild replayed only $r2 of $total events"
log "ok"
