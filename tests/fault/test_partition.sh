# A network partition between a community and its township.
#
# Two network namespaces joined by a veth pair (10.231.0.1 <-> 10.231.0.2,
# nothing else reachable): the district and the township in one, the
# community and its two grids in the other, each node its own gridlink-node
# process started with `ip netns exec`. Cases are submitted at the grids all
# along. The community-township link is cut with an nftables rule that drops
# every packet between the two addresses (a silent partition: no RST, no
# link-down event; GL_PARTITION_MODE=link takes the veth down instead), for
# GL_PARTITION_S seconds (default 20), then restored. Checked:
#   - during the cut the grids keep acknowledging cases and the township
#     reports the community down in `gridlink health`, the community its
#     parent down; the cut-off community keeps working its own cases: those
#     due to climb while its parent is unreachable stay with it, marked
#     overdue with the escalation pending, and it can still act on them;
#   - after the cut the township reports the community up again, every case
#     a grid acknowledged reaches the township (the waiting ones climb when the
#     link returns, the one acted on too: it was not finished), each exactly
#     once, and every outbox drains.
# Default run: about 60 s. Long run (minutes of partition):
#   GL_FAULT_LONG=1 ctest -R fault.test_partition     (partition of 300 s)
# or GL_PARTITION_S=N for any length. Needs root, ip netns and nft.
source "$(dirname "$0")/faultlib.sh"

PARTITION_S=${GL_PARTITION_S:-$([ -n "${GL_FAULT_LONG:-}" ] && echo 300 || echo 20)}
MODE=${GL_PARTITION_MODE:-drop}

require_root
netns_pair
[ "$MODE" = drop ] && require_nft "$NS_B"
init_home netns

start_split_district

ACKED="$HOME_DIR.acked"
SUBMIT_PAUSE=0.1 start_submitter "$ACKED" 100000 $G1 $G2
township_has_some() { [ "$(health $TOWNSHIP | jq .cases)" -ge 5 ]; }
wait_until 20 "first cases escalated to the township" township_has_some
before=$(count_lines "$ACKED")

cut_link() {
    if [ "$MODE" = link ]; then
        ip -n "$NS_B" link set "$VETH_B" down
    else
        ip netns exec "$NS_B" nft -f - <<EOF
table inet glcut {
    chain in { type filter hook input priority 0; ip saddr $NET_A drop; }
    chain out { type filter hook output priority 0; ip daddr $NET_A drop; }
}
EOF
    fi
}
heal_link() {
    if [ "$MODE" = link ]; then
        ip -n "$NS_B" link set "$VETH_B" up
    else
        ip netns exec "$NS_B" nft delete table inet glcut
    fi
}

cut_link
cut_ms=$(now_ms)
log "link cut ($MODE) after $before acknowledged cases; partition of ${PARTITION_S}s"
wait_until 15 "township sees the community down" child_down $TOWNSHIP $COMMUNITY
log "township reports the community down after $(($(now_ms) - cut_ms)) ms"
parent_down() { ! parent_up "$1"; }
wait_until 15 "community sees its parent down" parent_down $COMMUNITY

# The cut-off side keeps working: the grids acknowledge, the community takes
# the cases, and those due to climb wait with it.
sleep_until=$((cut_ms + PARTITION_S * 1000))
while [ "$(now_ms)" -lt "$sleep_until" ]; do
    child_down $TOWNSHIP $COMMUNITY || fail "township reports the community up during the partition"
    sleep 1
done
during=$(($(count_lines "$ACKED") - before))
waiting_json() {
    "$GRIDLINK" list --home "$HOME_DIR" --node $COMMUNITY --holding --overdue --json --timeout 5000 |
        jq '[.[] | select(.escalation_pending)]'
}
waiting=$(waiting_json | jq length)
log "during the partition: $during cases acknowledged by the grids, $waiting waiting at the community to climb"
[ "$during" -gt 0 ] || fail "the grids acknowledged nothing while cut off from the township"
[ "$waiting" -gt 0 ] || fail "no case waits at the community for its parent's link"
one=$(waiting_json | jq -r '.[0].id')
"$GRIDLINK" act --home "$HOME_DIR" --node $COMMUNITY "$one" accept --note "断网期间受理" >/dev/null ||
    fail "the cut-off community could not act on its own case $one"
[ "$("$GRIDLINK" show --home "$HOME_DIR" --node $COMMUNITY "$one" --json | jq -r .state)" = accepted ] ||
    fail "$one was not accepted at the community"

heal_link
restore_ms=$(now_ms)
log "link restored"
wait_until 40 "township sees the community up again" child_up $TOWNSHIP $COMMUNITY
log "township reports the community up $(($(now_ms) - restore_ms)) ms after the restore"

# A little more traffic over the healed link, then stop and let it drain.
sleep 3
stop_submitter
total=$(count_lines "$ACKED")
fails=$(count_lines "$ACKED.fail")
log "$total cases acknowledged in all, $fails submissions refused"
wait_progress 30 "every acknowledged case at the township" "missing_at $TOWNSHIP $ACKED" all_at $TOWNSHIP "$ACKED"
log "all $total at the township $(($(now_ms) - restore_ms)) ms after the restore"
check_exactly_once $COMMUNITY "$ACKED"
check_exactly_once $TOWNSHIP "$ACKED"
drained() { [ "$(pending $COMMUNITY)" -eq 0 ] && [ "$(pending $G1)" -eq 0 ] && [ "$(pending $G2)" -eq 0 ]; }
all_pending() { echo $(($(pending $COMMUNITY) + $(pending $G1) + $(pending $G2))); }
wait_progress 30 "outboxes drained" all_pending drained
parent_up $COMMUNITY || fail "community does not see its parent after the restore"
for id in "${!NODE_PID[@]}"; do node_alive "$id" || fail "node $id died"; done
[ "$("$GRIDLINK" show --home "$HOME_DIR" --node $TOWNSHIP "$one" --json | jq -r .holder)" = $TOWNSHIP ] ||
    fail "$one, accepted while cut off but not finished, did not climb when the link returned"
log "ok: $total cases, $during of them acknowledged during a ${PARTITION_S}s partition ($waiting waited at the community), each at the township once"
