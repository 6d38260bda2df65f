# worklib.sh: helpers of the work tests (requests, tasks, the lifecycle):
# the mini district with a second community, and checks on a node's copy
# of a case. Sourced after lib.sh.

C1=xinbei.sanjing.c01
C2=xinbei.sanjing.c02

# two_communities FILE [fast]: the mini district with community C2 (one
# grid) beside C1, with hour-long time limits unless `fast` keeps mini's.
two_communities() {
    local base="$HOME_DIR/base-topology.json"
    if [ "${2:-}" = fast ]; then cp "$MINI" "$base"; else slow_topology "$base"; fi
    jq '.nodes += [{"id": "xinbei.sanjing.c02", "tier": "community", "name": "三井街道第二社区"},
                   {"id": "xinbei.sanjing.c02.g1", "tier": "grid", "name": "三井街道第二社区第1网格"}]' \
        "$base" >"$1"
}

gl() { "$GRIDLINK" "$1" --home "$HOME_DIR" "${@:2}"; }
case_json() { gl show --node "$1" "$2" --json; }
# case_is NODE CASE JQ_EXPR: the node's copy of the case satisfies the expression.
case_is() { case_json "$1" "$2" | jq -e "$3" >/dev/null; }
# expect NODE CASE JQ_EXPR: as case_is, or fail showing the copy.
expect() { case_is "$@" || fail "at $1, $2 is not $3: $(case_json "$1" "$2" | jq -c '{state, holder, accept_due_ms, resolve_due_ms, extension_asked_ms, counters, history: [.history[].action]}')"; }
# field NODE CASE JQ_PATH: one value of the node's copy.
field() { case_json "$1" "$2" | jq -r "$3"; }
# actions NODE CASE: the history's action names, space-separated.
actions() { case_json "$1" "$2" | jq -r '[.history[].action] | join(" ")'; }
