# A community killed with SIGKILL right after it acknowledged a case still has
# the case exactly once after `up` restarts it, and the case's escalation
# still fires on its deadline (the deadline index survives the restart).
source "$(dirname "$0")/lib.sh"

start_up "$MINI"
start_watch "$HOME_DIR/watch.json"
W="$HOME_DIR/watch.json"
community=xinbei.sanjing.c01
grid=xinbei.sanjing.c01.g1

pending() { "$GRIDLINK" health --home "$HOME_DIR" --node $grid | jq .outbox_pending; }
old_pid=$(node_pid $community)
[ -n "$old_pid" ] || fail "community process not found"

case_id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $grid --category governance --text "消防通道被占")
# The grid's outbox empties only when the community's ack arrives, and the
# community acks only after its commit. Kill it the moment that is seen.
drained() { [ "$(pending)" = 0 ]; }
wait_until 5 "community acknowledges" drained
kill -KILL "$old_pid"
killed_ms=$(now_ms)
log "killed community (pid $old_pid) right after its ack"

wait_until 20 "community restarted by up" sh -c "p=\$(pgrep -f -- 'gridlink-node --home $HOME_DIR --node $community( |\$)'); [ -n \"\$p\" ] && [ \"\$p\" != $old_pid ]"
wait_until 20 "community serving again" "$GRIDLINK" health --home "$HOME_DIR" --node $community --timeout 500
ready_ms=$(now_ms)
log "community back after $((ready_ms - killed_ms)) ms"

n=$("$GRIDLINK" list --home "$HOME_DIR" --node $community --json | jq --arg c "$case_id" '[.[] | select(.id==$c)] | length')
[ "$n" -eq 1 ] || fail "community holds $n copies of $case_id"
due=$("$GRIDLINK" show --home "$HOME_DIR" --node $community "$case_id" --json | jq .accept_due_ms)
[ "$due" -gt 0 ] || fail "the acceptance deadline was lost in the crash"

wait_until 15 "escalation after restart" has_event "$W" escalated $community "$case_id"
esc=$(events "$W" escalated $community "$case_id" | jq .time_ms)
# On time: at the deadline, or at once on restart if the deadline passed while the node was down.
expected=$((due > ready_ms ? due : ready_ms))
[ "$esc" -ge "$due" ] || fail "escalated $((due - esc)) ms before its deadline"
[ $((esc - expected)) -lt 1500 ] || fail "escalated $((esc - expected)) ms late"
log "escalated $((esc - due)) ms after the deadline"

wait_until 10 "township receives" has_event "$W" received xinbei.sanjing "$case_id"
# Exactly once upstream too, and the community logged the report once.
[ "$(count_events "$W" received xinbei.sanjing "$case_id")" -eq 1 ] || fail "township received the case more than once"
[ "$(count_events "$W" received $community "$case_id")" -eq 1 ] || fail "community logged the report more than once"
"$GRIDLINK" list --home "$HOME_DIR" --node xinbei.sanjing --json | jq -e --arg c "$case_id" '[.[] | select(.id==$c)] | length == 1' >/dev/null ||
    fail "township does not hold exactly one copy"
log "ok"
