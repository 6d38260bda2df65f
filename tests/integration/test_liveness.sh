# Killing a community shows it down at its township and in `watch` within a
# few heartbeats, and up again once it is restarted.
source "$(dirname "$0")/lib.sh"

start_up "$MINI"
start_watch "$HOME_DIR/watch.json"
W="$HOME_DIR/watch.json"
community=xinbei.sanjing.c01
township=xinbei.sanjing

down_at_township() {
    "$GRIDLINK" health --home "$HOME_DIR" --node $township | jq -e --arg c $community '.children_down | index($c) != null'
}
up_at_township() {
    "$GRIDLINK" health --home "$HOME_DIR" --node $township | jq -e --arg c $community '.children_up | index($c) != null'
}
link_events() { jq -c --arg k "$1" --arg c $community 'select(.kind==$k and .node=="xinbei.sanjing" and .peer==$c)' "$W" | wc -l; }
more_events() { [ "$(link_events "$1")" -gt "$2" ]; }

wait_until 5 "township sees the community up" up_at_township
# Hold the supervisor so the community stays dead long enough to be missed.
kill -STOP "$UP_PID"
pid=$(node_pid $community)
kill -KILL "$pid"
t_kill=$(now_ms)
wait_until 8 "township marks the community down" down_at_township
t_down=$(now_ms)
wait_until 3 "watch shows link-down" more_events link-down 0
log "down after $((t_down - t_kill)) ms"
# Down means 3 heartbeat intervals (1 s each) without a word, checked every
# 250 ms; the last heartbeat may have come up to 1 s before the kill, so
# between 2 and 3.25 s after it (allow for a loaded machine on both sides).
[ $((t_down - t_kill)) -ge 1750 ] || fail "marked down after only $((t_down - t_kill)) ms"
[ $((t_down - t_kill)) -le 6000 ] || fail "marked down only after $((t_down - t_kill)) ms"

ups_before=$(link_events link-up)
kill -CONT "$UP_PID"
wait_until 15 "community restarted and up at the township" up_at_township
wait_until 5 "watch shows link-up" more_events link-up "$ups_before"
"$GRIDLINK" health --home "$HOME_DIR" --node $community | jq -e '.parent_up' >/dev/null || fail "community does not see its parent"
log "ok"
