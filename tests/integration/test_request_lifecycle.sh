# A resident's request from the district's hotline through its whole
# lifecycle: assigned to the wrong community, returned, re-assigned by the
# district, signed for, extended with the district's approval, resolved,
# sent back by a failed verification, resolved again, verified and closed,
# then reopened by a "not resolved" rating. Each step is asked where it
# belongs; those asked at the district are sent on to the holder.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei

TOPO="$HOME_DIR/two-communities.json"
two_communities "$TOPO"
start_up "$TOPO"

id=$(gl request --node $D --community $C1 --category urban/lighting --text "楼下路灯不亮" --reporter "王女士")
[[ "$id" =~ ^xinbei-[0-9]+$ ]] || fail "request printed '$id', not a case ID"
log "request $id taken at the district for $C1"
expect $D "$id" ".kind == \"request\" and .state == \"assigned\" and .holder == \"$C1\" and .community == \"$C1\"
    and .originator == \"$D\""
[[ "$(actions $D "$id")" == "reported assigned"* ]] || fail "history at the district: $(actions $D "$id")"
# The district keeps no deadline of its own: its copy has none, or the holder's once its receipt is back.
wait_until 5 "the district has $C1's receipt" case_is $D "$id" '.history[-1].action == "received"'
[ "$(field $D "$id" .accept_due_ms)" = "$(field $C1 "$id" .accept_due_ms)" ] ||
    fail "the district's copy has a deadline of its own: $(field $D "$id" .accept_due_ms)"

# The community signs for it or returns it: it returns it, wrong location.
wait_until 5 "$C1 has $id" case_is $C1 "$id" '.history[-1].action == "received"'
expect $C1 "$id" ".state == \"assigned\" and .holder == \"$C1\" and .accept_due_ms > 0 and (.deadlines.accept | test(\"Z$\"))"
gl act --node $C1 "$id" return --reason wrong-location --note "地址在第二社区" >/dev/null
expect $C1 "$id" ".state == \"returned\" and .holder == \"$D\" and .counters.returns == 1
    and ([.history[] | select(.action == \"returned\" and (.note | contains(\"wrong-location\")))] | length == 1)"
wait_until 5 "the district takes the return back" case_is $D "$id" \
    ".state == \"returned\" and .holder == \"$D\" and .history[-1].action == \"received\" and .accept_due_ms > 0"
# The district's receipt comes back to the community: both copies are that version.
v=$(field $D "$id" .version)
wait_until 5 "$C1 has the district's receipt" case_is $C1 "$id" \
    ".version == $v and .history[-1].action == \"received\" and .history[-1].node == \"$D\""
log "$C1 returned it (wrong-location); back at the district"

# The district assigns it to the right community.
gl act --node $D "$id" assign --to $C2 >/dev/null
expect $D "$id" ".state == \"assigned\" and .holder == \"$C2\""
wait_until 5 "$C2 has $id" case_is $C2 "$id" \
    ".state == \"assigned\" and .holder == \"$C2\" and .history[-1].action == \"received\" and .accept_due_ms > 0"

# C2 signs for it and asks for two more hours; the district approves.
gl act --node $C2 "$id" accept --note "已签收" >/dev/null
expect $C2 "$id" '.state == "accepted" and .accept_due_ms == 0 and .resolve_due_ms > 0 and (.deadlines | has("accept") | not)'
due=$(field $C2 "$id" .resolve_due_ms)
gl act --node $C2 "$id" extend --by 2h --note "需更换灯杆" >/dev/null
expect $C2 "$id" ".extension_asked_ms == 7200000 and .resolve_due_ms == $due and .history[-1].action == \"extension-asked\""
wait_until 5 "the district sees the extension asked" case_is $D "$id" '.extension_asked_ms == 7200000'
out=$(gl act --node $D "$id" approve)
grep -q "approve sent to $C2" <<<"$out" || fail "approve at the district printed: $out"
wait_until 5 "$C2 applies the approval" case_is $C2 "$id" '.counters.extensions == 1 and .extension_asked_ms == 0'
moved=$(($(field $C2 "$id" .resolve_due_ms) - due))
[ "$moved" -eq 7200000 ] || fail "the approved extension moved the resolve deadline by $moved ms, not 7200000"
wait_until 5 "the district's copy has the new deadline" case_is $D "$id" ".resolve_due_ms == $((due + 7200000))"
log "extension approved: resolve deadline moved by $moved ms"

# C2 works it; the district's verification fails; C2 resolves again.
gl act --node $C2 "$id" start >/dev/null
gl act --node $C2 "$id" resolve --note "已更换灯泡" >/dev/null
expect $C2 "$id" '.state == "resolved" and .accept_due_ms == 0 and .resolve_due_ms == 0'
wait_until 5 "the district sees it resolved" case_is $D "$id" '.state == "resolved"'
gl act --node $D "$id" rework --note "核查: 灯仍不亮" >/dev/null
wait_until 5 "$C2 gets the rework" case_is $C2 "$id" \
    ".state == \"in_progress\" and .holder == \"$C2\" and .counters.reworks == 1 and .resolve_due_ms > 0"
wait_until 5 "the district sees the rework" case_is $D "$id" '.state == "in_progress" and .counters.reworks == 1'
gl act --node $C2 "$id" resolve --note "已更换灯杆" >/dev/null
wait_until 5 "the district sees it resolved again" case_is $D "$id" '.state == "resolved"'
gl act --node $D "$id" verify --note "核查通过" >/dev/null
wait_until 5 "$C2 closes it" case_is $C2 "$id" '.state == "closed" and .accept_due_ms == 0 and .resolve_due_ms == 0'
wait_until 5 "the district sees it closed" case_is $D "$id" '.state == "closed"'
log "reworked once, verified: closed"

# The return visit: not resolved. The case reopens at C2.
gl rate --node $D "$id" --resolved no --satisfied no --note "居民反映仍不亮" >/dev/null
wait_until 5 "$C2 reopens it" case_is $C2 "$id" \
    ".state == \"in_progress\" and .holder == \"$C2\" and .counters.reopens == 1 and .resolve_due_ms > 0
     and .rating.resolved == false"
wait_until 5 "the district sees it reopened" case_is $D "$id" \
    ".state == \"in_progress\" and .holder == \"$C2\" and .counters.reopens == 1"
want="reported assigned received returned received assigned received accepted extension-asked extended started resolved reworked resolved verified rated reopened"
got=$(actions $C2 "$id")
[ "$got" = "$want" ] || fail "history at $C2: $got; expected: $want"
[ "$(actions $D "$id")" = "$want" ] || fail "history at the district: $(actions $D "$id")"
case_json $C2 "$id" | jq -e '[.history[] | has("action") and has("state") and has("node") and has("time")] | all' \
    >/dev/null || fail "history entries lack action, state, node or time"
log "rated not resolved: reopened at $C2; $(wc -w <<<"$want") history entries"
log "ok"
