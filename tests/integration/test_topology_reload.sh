#!/usr/bin/env bash
# test_topology_reload: SIGHUP makes a node process take HOME/topology.json
# again in place. A new time limit for communities applies to the next case
# at the community, under the same PID and with no link dropped (no
# link-down on the bus); a file with a new node is refused, named in the
# log, and the process goes on with what it had.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
G=xinbei.sanjing.c01.g1

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"
start_watch "$HOME_DIR/links.json" --kind link-down
pid=$(node_pid $C1)
[ -n "$pid" ] || fail "no process for $C1"

# left_s CASE: seconds from now to the case's accept deadline at C1.
left_s() { case_json $C1 "$1" | jq --argjson now "$(now_ms)" '((.accept_due_ms | tonumber) - $now) / 1000 | floor'; }
# report: a new case at the grid, once C1 holds it with its deadline.
report() {
    local id
    id=$(gl submit --node $G --category urban/roads --text "路面塌陷")
    wait_until 10 "$C1 holds $id" case_is $C1 "$id" '.holder == "xinbei.sanjing.c01" and (.accept_due_ms | tonumber) > 0'
    echo "$id"
}
# edit JQ: rewrite HOME/topology.json as `gridlink keygen` does, in one rename.
edit() {
    jq "$1" "$HOME_DIR/topology.json" >"$HOME_DIR/topology.json.new"
    mv "$HOME_DIR/topology.json.new" "$HOME_DIR/topology.json"
}

id1=$(report)
l1=$(left_s "$id1")
[ "$l1" -gt 3500 ] && [ "$l1" -le 3600 ] || fail "before the reload $id1 is due in ${l1}s, not about 3600"

log "communities get 7777 s to accept; SIGHUP to $C1's process ($pid)"
edit '(.sla[] | select(.tier == "community")) |= (del(.accept_s, .accept_ms, .accept_wh, .accept_wd) + {accept_s: 7777})'
kill -HUP "$pid"
wait_until 10 "$C1 reloaded" grep -q "SIGHUP: topology reloaded" "$HOME_DIR/log/$C1.log"
id2=$(report)
l2=$(left_s "$id2")
[ "$l2" -gt 7677 ] && [ "$l2" -le 7777 ] || fail "after the reload $id2 is due in ${l2}s, not about 7777"
# The case from before keeps its deadline.
[ "$(left_s "$id1")" -le 3600 ] || fail "$id1 got a new deadline"
[ "$(node_pid $C1)" = "$pid" ] || fail "$C1 runs in another process now"

log "a new grid in the file: refused, named, nothing changes"
edit '.nodes += [{"id": "xinbei.sanjing.c01.g3", "tier": "grid", "name": "三井街道第一社区第3网格"}]'
kill -HUP "$pid"
wait_until 10 "$C1 refuses the new shape" grep -q "SIGHUP: .* not taken (8 nodes instead of 7)" "$HOME_DIR/log/$C1.log"
id3=$(report)
l3=$(left_s "$id3")
[ "$l3" -gt 7677 ] && [ "$l3" -le 7777 ] || fail "after the refused reload $id3 is due in ${l3}s, not about 7777"
[ "$(node_pid $C1)" = "$pid" ] || fail "$C1 runs in another process now"

sleep 1
[ ! -s "$HOME_DIR/links.json" ] || fail "links went down: $(cat "$HOME_DIR/links.json")"
log "ok: reloaded in place (3600 s -> 7777 s for the next case), a new shape refused, no link down"
