# 即将超时: before a deadline passes, its warning fires: the holder logs a
# due-soon event (watch shows it, with the time left in Chinese), counts it
# in health, and `list --due-soon` lists the case until the deadline passes
# (then it is overdue instead). The township gives the community a task to
# sign for within 8 s, with warn_before_s 4: the warning is due at 4 s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
T=xinbei.sanjing

TOPO="$HOME_DIR/topology.json"
slow_topology "$HOME_DIR/slow.json"
jq '.warn_before_s = 4' "$HOME_DIR/slow.json" >"$TOPO"
start_up "$TOPO"
start_watch "$HOME_DIR/watch.json" --kind due-soon
W="$HOME_DIR/watch.txt"
"$GRIDLINK" watch --home "$HOME_DIR" --kind due-soon >"$W" 2>"$W.err" &
BG_PIDS+=($!)
wait_until 10 "readable watch live" grep -q "live" "$W.err"

due_soon_ids() { gl list --node "$1" --due-soon --json | jq -r '[.[].id] | join(" ")'; }
id=$(gl dispatch --node $T --to $C1 --category services/elderly --text "走访独居老人" --sign-within 8s)
wait_until 5 "$C1 has $id" case_is $C1 "$id" '.history[-1].action == "received"'
expect $C1 "$id" '.deadlines.accept_warning < .deadlines.accept and (.deadlines.accept_warning | test("Z$"))'
[ -z "$(due_soon_ids $C1)" ] || fail "due soon before its warning time: $(due_soon_ids $C1)"

listed() { [ "$(due_soon_ids $C1)" = "$id" ]; }
wait_until 8 "$C1 lists $id as due soon" listed
log "due soon at $C1: $(gl list --node $C1 --due-soon | tail -n 1)"
gl list --node $C1 --due-soon | grep -q "即将超时" || fail "list --due-soon does not mark it: $(gl list --node $C1 --due-soon)"
[ -z "$(due_soon_ids $T)" ] || fail "the township lists a case it does not hold: $(due_soon_ids $T)"
gl show --node $C1 "$id" | grep -q "即将超时" || fail "show does not say it: $(gl show --node $C1 "$id")"

wait_until 5 "the watch saw the warning" has_event "$HOME_DIR/watch.json" due-soon $C1 "$id"
note=$(events "$HOME_DIR/watch.json" due-soon $C1 "$id" | jq -r .note)
[[ "$note" == "即将超时: 签收还剩 "*" 分钟"* ]] || fail "the warning's note: $note"
wait_until 5 "the readable watch saw the warning" grep -q "due-soon .*$id" "$W"
[ "$(gl health --node $C1 | jq .due_soon)" -eq 1 ] || fail "health counts $(gl health --node $C1 | jq .due_soon) warnings"

# The deadline passes: overdue now, no longer due soon.
wait_until 10 "$id overdue at $C1" case_is $C1 "$id" '.overdue == true'
[ -z "$(due_soon_ids $C1)" ] || fail "still due soon once overdue: $(due_soon_ids $C1)"
[ "$(count_events "$HOME_DIR/watch.json" due-soon $C1 "$id")" -eq 1 ] || fail "warned more than once"
log "ok: warned before the sign-for deadline ($note), overdue after it"
