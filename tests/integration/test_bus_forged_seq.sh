# One forged sequence number far beyond a node's log does not start an
# endless repair loop. With a real grid's key, an event and a mark claim the
# grid is at 2^62, the mark repeated. For the next 20 s the broker asks the grid's process for a
# replay only a few times (backing off), says once in its log that it does
# not believe the claim, and its log stays small; the grid's real events
# still reach the view afterwards.
source "$(dirname "$0")/buslib.sh"

WINDOW_S=20
MAX_ASKS=8
MAX_LOG_BYTES=$((32 * 1024))
slow_mini >"$HOME_DIR/mini-slow.json"
start_up "$HOME_DIR/mini-slow.json"
bus_setup
g1=xinbei.sanjing.c01.g1
c01=xinbei.sanjing.c01
BLOG="$HOME_DIR/log/broker.log"

id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $g1 --category urban --text "井盖缺失")
wait_until 5 "$id reaches $c01" "$GRIDLINK" show --home "$HOME_DIR" --node $c01 "$id"
wait_until 20 "broker view equals the nodes' logs" view_converged

huge=4611686018427387904 # 2^62
asks0=$(broker_stat asks)
log0=$(wc -c <"$BLOG")
"$BUSPROBE" publish "$BUS_IN" "$BROKER_KEY" "$KEYS/$g1.cert" node=$g1 seq=$huge kind=status case_id="$id" \
    state=closed holder=$g1 time_ms="$(now_ms)" version=2
"$BUSPROBE" mark "$BUS_IN" "$BROKER_KEY" "$KEYS/$g1.cert" $g1 $huge
log "forged an event and a mark of $g1 at $huge"

# Watch the broker for the whole window (the property is about a duration),
# the forged mark repeated all along, as an attacker would.
start=$(date +%s)
end=$((start + WINDOW_S))
while [ "$(date +%s)" -lt "$end" ]; do
    "$BUSPROBE" mark "$BUS_IN" "$BROKER_KEY" "$KEYS/$g1.cert" $g1 $huge
    asks=$(broker_stat asks)
    [ $((asks - asks0)) -le $MAX_ASKS ] || break
done
asks=$(broker_stat asks)
grown=$(($(wc -c <"$BLOG") - log0))
log "in $(($(date +%s) - start))s after the forgery: $((asks - asks0)) repair asks, broker log +$grown bytes"
[ $((asks - asks0)) -le $MAX_ASKS ] || fail "$((asks - asks0)) repair asks (at most $MAX_ASKS)"
[ "$grown" -le $MAX_LOG_BYTES ] || fail "the broker log grew by $grown bytes (at most $MAX_LOG_BYTES)"
[ "$(grep -c "claimed sequence $huge" "$BLOG")" -eq 1 ] || fail "the false claim is not logged exactly once"
[ "$(broker_stat overclaims)" -ge 1 ] || fail "the false claim is not counted"

# The grid's real events still reach the view.
seq_before=$(log_seq $g1)
id2=$("$GRIDLINK" submit --home "$HOME_DIR" --node $g1 --category urban --text "路灯不亮")
wait_until 5 "$id2 reaches $c01" "$GRIDLINK" show --home "$HOME_DIR" --node $c01 "$id2"
[ "$(log_seq $g1)" -gt "$seq_before" ] || fail "the grid logged nothing"
wait_until 10 "the broker has $g1's new event" mark_is $g1 "$(log_seq $g1)"
wait_until 10 "$id2 in the view" state_is "$id2" reported
state_is "$id" reported || fail "$id is '$(view_state "$id")' in the view"
log "ok"
