# Backup and restore of a live node. The community is copied while reports
# stream in; more cases and a task reach it after the copy; the district is
# stopped and the copy put back. When it starts again, the grid and the
# township see a store they have not seen, renumber their links with it, and
# everything sent from then on is taken exactly once: a new report and a
# new task arrive, nothing is refused or dead-lettered on any link, and the
# community holds what it had at the copy plus what came after the restore.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
T1=xinbei.sanjing
G1=$C1.g1

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"
ids=()
for i in $(seq 20); do ids+=("$(gl submit --node $G1 --category urban/roads --text "第${i}处路面破损")"); done
wait_until 10 "$C1 holds 20 cases" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $C1 --json | jq -e '.cases == 20'"
# The community's own messages to the grid, numbered on its link before the copy.
for id in "${ids[@]:0:5}"; do gl act --node $C1 "$id" accept >/dev/null; done
wait_until 10 "$G1 sees the acceptances" case_is $G1 "${ids[4]}" '.state == "accepted"'

# The copy, taken while reports keep coming.
mkdir "$HOME_DIR/backup"
(for i in $(seq 10); do gl submit --node $G1 --category urban/roads --text "复制期间第${i}处" >/dev/null; done) &
WRITER=$!
gl backup --node $C1 --to "$HOME_DIR/backup" >/dev/null || fail "backup of a running node failed"
wait $WRITER
[ -s "$HOME_DIR/backup/data.mdb" ] || fail "the backup holds no data.mdb"
at_copy=$(mdb_stat -s cases "$HOME_DIR/backup" | awk '/Entries:/ {print $2}')
[ "$at_copy" -ge 20 ] && [ "$at_copy" -le 30 ] || fail "the copy holds $at_copy cases, expected 20..30"
gl backup --node $C1 --to "$HOME_DIR/backup" 2>/dev/null && fail "a second backup into the same directory was taken"
log "copied $C1 while it ran: $at_copy cases in the copy"

# After the copy: a task comes down.
task=$(gl dispatch --node $T1 --to $C1 --category urban/sanitation --text "复制之后的任务" 2>/dev/null | head -n1)
wait_until 10 "$C1 holds $task" case_is $C1 "$task" ".holder == \"$C1\""

# Restoring a running node is refused.
out=$(gl restore --node $C1 --from "$HOME_DIR/backup" 2>&1) && fail "restore of a running node went ahead"
[[ "$out" == *"running"* ]] || fail "restore of a running node: $out"

# Stop the district, restore the community, start it again on the same ports.
kill -TERM "$UP_PID"
wait_until 20 "the district stopped" sh -c "! kill -0 $UP_PID 2>/dev/null"
gl restore --node $C1 --from "$HOME_DIR/backup" >/dev/null || fail "restore failed"
start_up "$HOME_DIR/slow.json"
wait_until 20 "$T1 has $C1 back" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $T1 --json | jq -e --arg c $C1 '.children_up | index(\$c) != null'"
wait_until 20 "$C1 has $G1 back" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $C1 --json | jq -e --arg g $G1 '(.children_up | index(\$g) != null) and .parent_up'"
for n in $T1 $G1; do
    wait_until 10 "$n saw a new store at $C1" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $n --json | jq -e '.store_resets >= 1'"
done
cases_back=$(gl health --node $C1 --json | jq .cases)
[ "$cases_back" -eq "$at_copy" ] || fail "$C1 holds $cases_back cases after the restore, the copy had $at_copy"

# From here on everything arrives, once.
new=$(gl submit --node $G1 --category urban/roads --text "恢复之后的报告")
wait_until 10 "$C1 holds $new" case_is $C1 "$new" ".holder == \"$C1\""
gl act --node $C1 "$new" accept >/dev/null
wait_until 10 "$G1 sees $new accepted at $C1" case_is $G1 "$new" '.state == "accepted"'
task2=$(gl dispatch --node $T1 --to $C1 --category urban/sanitation --text "恢复之后的任务" 2>/dev/null | head -n1)
wait_until 10 "$C1 holds $task2" case_is $C1 "$task2" ".holder == \"$C1\""
gl act --node $C1 "$task2" accept >/dev/null
wait_until 10 "$T1 sees $task2 accepted" case_is $T1 "$task2" '.state == "accepted"'
for n in $T1 $C1 $G1; do
    h=$(gl health --node $n --json)
    jq -e '.dead_letters == 0 and .refused_in == 0' <<<"$h" >/dev/null || fail "$n after the restore: $h"
done
wait_until 10 "every outbox drained" sh -c "for n in $T1 $C1 $G1; do '$GRIDLINK' health --home '$HOME_DIR' --node \$n --json | jq -e '.outbox_pending == 0' >/dev/null || exit 1; done"
[ "$(gl health --node $C1 --json | jq .cases)" -eq $((at_copy + 2)) ] || fail "$C1 holds $(gl health --node $C1 --json | jq .cases) cases, expected $((at_copy + 2))"
log "ok: restored $C1 from a live copy; its neighbours renumbered; new work arrived once, nothing refused"
