# Community work access (社区工作准入): a township may give a community
# only the task categories the topology's community_tasks lists. Any other
# is refused whole before anything is made, and counted per community and
# month in the township's health; a grid may still be given it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
T=xinbei.sanjing
G=$C1.g1
CAT=urban/roads

TOPO="$HOME_DIR/two-communities.json"
two_communities "$TOPO"
jq -e --arg c $CAT '.community_tasks | index($c) | not' "$TOPO" >/dev/null || fail "$CAT is in community_tasks"
start_up "$TOPO"
month=$(date -u +%Y-%m)

cases_at() { gl list --node "$1" --json | jq length; }
refused() { gl health --node $T | jq -r --arg c "$1" --arg m "$month" \
    '[.access_refused[] | select(.community == $c and .month == $m) | .count] | add // 0'; }

# refuse_dispatch N: the dispatch to C1 is refused, and counted for the Nth time.
refuse_dispatch() {
    local rc=0
    gl dispatch --node $T --to $C1 --category $CAT --text "道路巡查" >"$HOME_DIR/out" 2>"$HOME_DIR/err" || rc=$?
    [ $rc -eq 1 ] || fail "dispatching $CAT to $C1 exited $rc: $(cat "$HOME_DIR/out" "$HOME_DIR/err")"
    [ ! -s "$HOME_DIR/out" ] || fail "a refused dispatch printed: $(cat "$HOME_DIR/out")"
    [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] || fail "the refusal is not one line: $(cat "$HOME_DIR/err")"
    grep -q "work access" "$HOME_DIR/err" && grep -q "community_tasks" "$HOME_DIR/err" && grep -qF "$CAT" "$HOME_DIR/err" ||
        fail "the refusal does not say why: $(cat "$HOME_DIR/err")"
    [ "$(refused $C1)" -eq "$1" ] || fail "health counts $(refused $C1) refusals for $C1 in $month, not $1: $(gl health --node $T | jq -c .access_refused)"
    [ "$(cases_at $C1)" -eq 0 ] || fail "$C1 got a case: $(gl list --node $C1)"
    [ "$(cases_at $T)" -eq 0 ] || fail "the township made a case: $(gl list --node $T)"
}
refuse_dispatch 1
log "refused: $(cat "$HOME_DIR/err")"
refuse_dispatch 2
[ "$(refused $C2)" -eq 0 ] || fail "$C2 was counted without being asked"
log "a second attempt: counted 2 for $C1 in $month"

# To every community under the township: refused whole, counted for each.
rc=0
gl dispatch --node $T --under $T --tier community --category $CAT --text "道路巡查" 2>"$HOME_DIR/err" >/dev/null || rc=$?
[ $rc -eq 1 ] || fail "dispatching $CAT to every community exited $rc"
grep -q "refused for 2 communities" "$HOME_DIR/err" || fail "bulk refusal: $(cat "$HOME_DIR/err")"
[ "$(refused $C1)" -eq 3 ] && [ "$(refused $C2)" -eq 1 ] || fail "after the bulk refusal: $(gl health --node $T | jq -c .access_refused)"
[ "$(cases_at $C2)" -eq 0 ] && [ "$(cases_at $T)" -eq 0 ] || fail "a refused bulk dispatch made cases"

# A grid may be given it.
id=$(gl dispatch --node $T --to $G --category $CAT --text "道路巡查") || fail "dispatching $CAT to $G was refused"
[[ "$id" =~ ^xinbei\.sanjing-[0-9]+$ ]] || fail "dispatch to $G printed '$id'"
wait_until 5 "$G has $id" case_is $G "$id" ".kind == \"task\" and .state == \"assigned\" and .holder == \"$G\" and .category == \"$CAT\""
expect $T "$id" ".holder == \"$G\" and .assigned_by == \"$T\" and (.parent_task == \"\")"
[ "$(refused $C1)" -eq 3 ] || fail "the grid's task was counted as a refusal"
log "$CAT given to $G as $id"
log "ok"
