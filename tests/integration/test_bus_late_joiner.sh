# A watcher that joins after the events happened still gets them: the
# broker's snapshot carries the latest event of every case and every node's
# last sequence. That holds after a broker restart too, because the restarted
# broker rebuilds its view by replaying each node's log; and a late joiner
# then sees each new event exactly once.
source "$(dirname "$0")/lib.sh"

# Long deadlines, so nothing moves unless the test moves it.
slow="$HOME_DIR/mini-slow.json"
jq '.sla = [{"tier":"grid","accept_s":0,"resolve_s":0},
            {"tier":"community","accept_s":3600,"resolve_s":7200},
            {"tier":"township","accept_s":3600,"resolve_s":7200},
            {"tier":"district","accept_s":3600,"resolve_s":7200}]' "$MINI" >"$slow"
start_up "$slow"
g1=xinbei.sanjing.c01.g1
g2=xinbei.sanjing.c01.g2
c01=xinbei.sanjing.c01
nodes=$(jq -r '.nodes[].id' "$HOME_DIR/topology.json")

ids=()
for i in 1 2 3 4; do ids+=("$("$GRIDLINK" submit --home "$HOME_DIR" --node $g1 --category urban --text "井盖缺失 $i")"); done
for i in 1 2 3; do ids+=("$("$GRIDLINK" submit --home "$HOME_DIR" --node $g2 --category services --text "独居老人探访 $i")"); done
accepted=${ids[0]}
for id in "${ids[@]}"; do wait_until 5 "$id reaches $c01" "$GRIDLINK" show --home "$HOME_DIR" --node $c01 "$id"; done
"$GRIDLINK" act --home "$HOME_DIR" --node $c01 "$accepted" accept >/dev/null
log "submitted ${#ids[@]} cases, accepted $accepted"

log_seq() { "$GRIDLINK" health --home "$HOME_DIR" --node "$1" | jq .log_seq; }
# The broker's marks (from a snapshot) equal every node's own last log sequence.
view_converged() {
    local marks n
    marks=$("$GRIDLINK" watch --home "$HOME_DIR" --marks --json --seconds 5) || return 1
    for n in $nodes; do
        [ "$(jq -r --arg n "$n" 'select(.node==$n) | .seq' <<<"$marks")" = "$(log_seq "$n")" ] || return 1
    done
}

# late_join FILE: a watcher started now with --snapshot, until it is live.
late_join() {
    "$GRIDLINK" watch --home "$HOME_DIR" --json --snapshot >"$1" 2>"$1.err" &
    BG_PIDS+=($!)
    wait_until 10 "late watcher live" grep -q "live" "$1.err"
}

# check_snapshot FILE: every case is there once, with its current state.
check_snapshot() {
    local f=$1 id n state want
    for id in "${ids[@]}"; do
        n=$(jq -c --arg c "$id" 'select(.case_id==$c)' "$f" | wc -l)
        [ "$n" -eq 1 ] || fail "$f: $n snapshot lines for $id"
        state=$(jq -r --arg c "$id" 'select(.case_id==$c) | .state' "$f")
        want=reported
        [ "$id" = "$accepted" ] && want=accepted
        [ "$state" = "$want" ] || fail "$f: $id is '$state' in the snapshot, the community says '$want'"
    done
}

wait_until 20 "broker view equals the nodes' logs" view_converged
late_join "$HOME_DIR/late1.json"
check_snapshot "$HOME_DIR/late1.json"
log "late joiner got all ${#ids[@]} cases from the snapshot"

# A broker restarted from nothing rebuilds the same view from the nodes' logs.
old=$(pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)")
[ -n "$old" ] || fail "broker not found"
kill -KILL "$old"
new_broker() { p=$(pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)"); [ -n "$p" ] && [ "$p" != "$old" ]; }
wait_until 20 "broker restarted by up" new_broker
wait_until 20 "rebuilt view equals the nodes' logs" view_converged
late_join "$HOME_DIR/late2.json"
check_snapshot "$HOME_DIR/late2.json"
log "after a broker restart, a late joiner still got every case"

# After the snapshot, new events arrive live, once each.
id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $g2 --category urban --text "after joining")
wait_until 5 "new case seen live" has_event "$HOME_DIR/late2.json" received $c01 "$id"
sleep 1
[ "$(count_events "$HOME_DIR/late2.json" reported $g2 "$id")" -eq 1 ] || fail "the grid's report of $id was not seen exactly once"
[ "$(count_events "$HOME_DIR/late2.json" received $c01 "$id")" -eq 1 ] || fail "the community's receipt of $id was not seen exactly once"
log "ok"
