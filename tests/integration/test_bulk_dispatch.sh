# A township dispatches one task to both of its communities with a sign-for
# limit of 3 s. One community signs and finishes; the other does nothing,
# and when its 3 s pass the miss is reported up while it keeps the task.
# The township's parent task shows each recipient's part: signed, finished,
# overdue.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
T=xinbei.sanjing

TOPO="$HOME_DIR/two-communities.json"
two_communities "$TOPO"
start_up "$TOPO"
W="$HOME_DIR/watch.json"
start_watch "$W"

gl dispatch --node $T --under $T --tier community --category services/elderly --text "独居老人走访" \
    --sign-within 3s >"$HOME_DIR/tasks" 2>"$HOME_DIR/parent" || fail "dispatch failed: $(cat "$HOME_DIR/parent")"
mapfile -t tasks <"$HOME_DIR/tasks"
[ "${#tasks[@]}" -eq 2 ] || fail "dispatch printed ${#tasks[@]} task IDs: ${tasks[*]}"
[ "$(wc -l <"$HOME_DIR/parent")" -eq 1 ] || fail "the parent task is not one line on stderr: $(cat "$HOME_DIR/parent")"
parent=$(cat "$HOME_DIR/parent")
[[ "$parent" =~ ^xinbei\.sanjing-[0-9]+$ ]] || fail "the parent task's ID is '$parent'"
expect $T "$parent" ".kind == \"task\" and .holder == \"$T\" and .history[0].state == \"in_progress\" and .children == [\"${tasks[0]}\", \"${tasks[1]}\"]"
# Which task went where.
for t in "${tasks[@]}"; do
    h=$(field $T "$t" .holder)
    case $h in
    "$C1") t1=$t ;;
    "$C2") t2=$t ;;
    *) fail "task $t is held by $h" ;;
    esac
    expect $T "$t" ".parent_task == \"$parent\" and .state == \"assigned\" and .sign_within_ms == 3000
        and .history[0].action == \"dispatched\" and .history[0].state == \"assigned\""
done
[ -n "${t1:-}" ] && [ -n "${t2:-}" ] || fail "the tasks did not go one to each community: ${tasks[*]}"
log "parent $parent: $t1 to $C1, $t2 to $C2"

# C1 signs for its part and finishes it.
wait_until 5 "$C1 has $t1" case_is $C1 "$t1" '.state == "assigned" and .accept_due_ms > 0'
gl act --node $C1 "$t1" accept >/dev/null
gl act --node $C1 "$t1" resolve --note "已走访 12 户" >/dev/null
wait_until 5 "$C2 has $t2" case_is $C2 "$t2" '.state == "assigned" and .accept_due_ms > 0'
accept_due=$(field $C2 "$t2" .accept_due_ms)
[ $((accept_due - $(field $C2 "$t2" '.history[-1].time_ms'))) -eq 3000 ] ||
    fail "$C2's sign-for deadline is not 3 s after it received the task"

part() { case_json $T "$parent" | jq -e --arg id "$1" ".parts[] | select(.id == \$id) | $2" >/dev/null; }
wait_until 5 "the township sees $C1's part signed and finished" part "$t1" \
    ".holder == \"$C1\" and .state == \"resolved\" and .signed and .finished and (.overdue | not)"
part "$t2" ".holder == \"$C2\" and .state == \"assigned\" and (.signed | not) and (.finished | not)" ||
    fail "$C2's part at the township: $(case_json $T "$parent" | jq -c .parts)"

# C2 lets its 3 s pass: the miss is reported up, and C2 keeps the task.
wait_until 10 "the township's copy shows $t2 overdue" case_is $T "$t2" \
    ".overdue and .counters.overdue_accept == 1 and .holder == \"$C2\" and .state == \"assigned\""
expect $C2 "$t2" ".overdue and .counters.overdue_accept == 1 and .holder == \"$C2\" and .history[-1].action == \"overdue\""
late=$(($(field $C2 "$t2" '.history[-1].time_ms') - accept_due))
[ $late -ge 0 ] && [ $late -lt 1000 ] || fail "the sign-for was found overdue ${late} ms after its deadline"
part "$t2" ".holder == \"$C2\" and (.signed | not) and (.finished | not) and .overdue" ||
    fail "$C2's part at the township: $(case_json $T "$parent" | jq -c .parts)"
part "$t1" ".signed and .finished and (.overdue | not)" || fail "$C1's part changed: $(case_json $T "$parent" | jq -c .parts)"
wait_until 10 "an overdue event at $C2 on the bus" has_event "$W" overdue $C2 "$t2"
[ "$(count_events "$W" escalated $C2 "$t2")" -eq 0 ] || fail "$C2 escalated a task given to it from above"
log "$C2 missed its sign-for by ${late} ms: reported up, still held there"

# The readable view names the parts' holders.
gl show --node $T "$parent" | grep -q "part $t2  $C2 (三井街道第二社区)  \[assigned .*not signed, overdue" ||
    fail "show $parent: $(gl show --node $T "$parent")"
log "ok"
