# A node's key cannot falsify the broker's view of a case it may not hold,
# nor by dating an event in the future. With the keys of a real grid and of
# a real community, forged events are published on the bus: about a case of
# a sibling grid, about the grid's own case dated in the year 2100, and a
# version jump about a case of another township. The operator's snapshot
# shows every case as before, the broker counts and logs each refusal, and
# the real nodes' events still reach the view (the forged sequence numbers
# were not taken). And where a node may speak, the case's version orders the
# view, not the date the sender claims.
source "$(dirname "$0")/buslib.sh"

two_townships >"$HOME_DIR/two.json"
start_up "$HOME_DIR/two.json"
bus_setup
g1=xinbei.sanjing.c01.g1
g2=xinbei.sanjing.c01.g2
c01=xinbei.sanjing.c01
t_g1=xinbei.tangqiao.c01.g1
t_c01=xinbei.tangqiao.c01

submit() { "$GRIDLINK" submit --home "$HOME_DIR" --node "$1" --category urban --text "$2"; }
sibling=$(submit $g2 "路灯不亮")
other=$(submit $t_g1 "占道经营")
own=$(submit $g1 "井盖缺失")
for id in "$sibling" "$own"; do wait_until 5 "$id reaches $c01" "$GRIDLINK" show --home "$HOME_DIR" --node $c01 "$id"; done
wait_until 5 "$other reaches $t_c01" "$GRIDLINK" show --home "$HOME_DIR" --node $t_c01 "$other"
"$GRIDLINK" act --home "$HOME_DIR" --node $t_c01 "$other" accept >/dev/null
wait_until 20 "broker view equals the nodes' logs" view_converged
for id in "$sibling" "$own"; do wait_until 5 "$id reported in the view" state_is "$id" reported; done
wait_until 5 "$other accepted in the view" state_is "$other" accepted
log "view before: $sibling reported, $own reported, $other accepted"

now=$(now_ms)
y2100=4102444800000
# publish KEY NODE CASE FIELD=VALUE...: a forged event as NODE's next log entry.
publish() {
    local key=$1 node=$2 case_id=$3
    shift 3
    "$BUSPROBE" publish "$BUS_IN" "$BROKER_KEY" "$KEYS/$key.cert" node="$node" seq=$(($(log_seq "$node") + 1)) \
        kind=closed case_id="$case_id" state=closed holder="$node" "$@"
}
publish $g1 $g1 "$sibling" time_ms="$now" version=2
publish $g1 $g1 "$own" time_ms=$y2100 version=1
publish $c01 $c01 "$other" time_ms="$now" version=1000
log "published three forged events"

refusals_counted() { local s; s=$(broker_stats); [ "$(jq '.foreign // 0' <<<"$s")" -ge 2 ] && [ "$(jq '.future // 0' <<<"$s")" -ge 1 ]; }
view_changed() { ! state_is "$sibling" reported || ! state_is "$own" reported || ! state_is "$other" accepted; }
handled() { refusals_counted || view_changed; }
wait_until 15 "the broker refuses the forgeries (or the view shows them)" handled
state_is "$sibling" reported || fail "the sibling grid's case is '$(view_state "$sibling")' in the view after a forgery"
state_is "$own" reported || fail "the grid's own case is '$(view_state "$own")' after an event dated 2100"
state_is "$other" accepted || fail "the other township's case is '$(view_state "$other")' after a version jump"
bus_request operator 5000 op=snapshot | reply_events >"$HOME_DIR/view.json"
! jq -s -e 'any(.[]; .kind=="closed")' "$HOME_DIR/view.json" >/dev/null || fail "a forged event is in the view"
refusals_counted || fail "the refusals are not counted: $(broker_stats)"
log "broker counters: $(broker_stats | jq -c '{foreign, future}')"
grep -q "may not hold case $sibling" "$HOME_DIR/log/broker.log" || fail "the refusal of $sibling is not logged"
grep -q "in the future" "$HOME_DIR/log/broker.log" || fail "the refusal of the event dated 2100 is not logged"

# The real nodes go on: their next events (at the sequence numbers the
# forgeries claimed) reach the view.
"$GRIDLINK" act --home "$HOME_DIR" --node $c01 "$own" accept >/dev/null
"$GRIDLINK" act --home "$HOME_DIR" --node $t_c01 "$other" start >/dev/null
wait_until 10 "$own accepted in the view" state_is "$own" accepted
wait_until 10 "$other in progress in the view" state_is "$other" in_progress
wait_until 20 "broker view equals the nodes' logs" view_converged

# Within what the grid may say (its own case), a later date does not beat a
# newer version: the case's version orders the view, not the sender's clock.
# The broker republishes what it takes: listen for it.
"$BUSPROBE" listen "$BUS_OUT" "$BROKER_KEY" "$KEYS/operator.cert" 20000 hugz "closed $g1" >"$HOME_DIR/live.txt" &
BG_PIDS+=($!)
wait_until 10 "subscribed to the broker's output" grep -q "^hugz" "$HOME_DIR/live.txt"
publish $g1 $g1 "$own" time_ms=$((now + 60000)) version=1
wait_until 10 "the broker takes the event" grep -q "^closed $g1" "$HOME_DIR/live.txt"
state_is "$own" accepted || fail "an older version of $own dated later took over the view: '$(view_state "$own")'"
log "an older version dated a minute later did not replace $own's accepted state"
wait_until 30 "broker view equals the nodes' logs" view_converged
log "ok"
