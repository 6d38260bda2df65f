# A lossy link between a community and its township.
#
# Same layout as test_partition.sh: district and township in one network
# namespace, community and two grids in another, joined by a veth pair. An
# nftables rule inside the lower namespace drops GL_LOSS_PCT percent (default
# 20) of the packets crossing the veth in each direction, chosen at random
# (`numgen random mod 100 < N drop`; this kernel has no netem). Cases are
# submitted at the grids for GL_LOSS_S seconds (default 30) with the loss in
# place. Checked, while the loss is still on: every case a grid acknowledged
# reaches the township exactly once, the outboxes drain, and the township
# reports the community up. The drop counters prove the loss was real; link
# flaps (liveness timeouts) are counted and reported, not failed on.
# Default run: about 50 s. Long run:
#   GL_FAULT_LONG=1 ctest -R fault.test_loss     (300 s of load under loss)
# or GL_LOSS_S=N / GL_LOSS_PCT=N. Needs root, ip netns and nft; without nft
# the test is skipped (exit 77).
source "$(dirname "$0")/faultlib.sh"

LOSS_S=${GL_LOSS_S:-$([ -n "${GL_FAULT_LONG:-}" ] && echo 300 || echo 30)}
LOSS_PCT=${GL_LOSS_PCT:-20}

require_root
netns_pair
require_nft "$NS_B"
init_home netns

start_split_district

ip netns exec "$NS_B" nft -f - <<EOF
table inet glloss {
    chain in { type filter hook input priority 0; iifname "$VETH_B" numgen random mod 100 < $LOSS_PCT counter drop; iifname "$VETH_B" counter; }
    chain out { type filter hook output priority 0; oifname "$VETH_B" numgen random mod 100 < $LOSS_PCT counter drop; oifname "$VETH_B" counter; }
}
EOF
log "dropping ${LOSS_PCT}% of the packets on $VETH_B both ways, load for ${LOSS_S}s"
loss_ms=$(now_ms)

ACKED="$HOME_DIR.acked"
SUBMIT_PAUSE=0.1 start_submitter "$ACKED" 100000 $G1 $G2
samples=0 down_samples=0
while [ $(($(now_ms) - loss_ms)) -lt $((LOSS_S * 1000)) ]; do
    sleep 1
    samples=$((samples + 1))
    child_up $TOWNSHIP $COMMUNITY || down_samples=$((down_samples + 1))
done
stop_submitter
total=$(count_lines "$ACKED")
log "$total cases acknowledged, $(count_lines "$ACKED.fail") submissions refused; township saw the community down in $down_samples of $samples samples"

wait_progress 30 "every acknowledged case at the township, through the lossy link" "missing_at $TOWNSHIP $ACKED" \
    all_at $TOWNSHIP "$ACKED"
log "all $total at the township $(($(now_ms) - loss_ms - LOSS_S * 1000)) ms after the load stopped"
check_exactly_once $COMMUNITY "$ACKED"
check_exactly_once $TOWNSHIP "$ACKED"
drained() { [ "$(pending $COMMUNITY)" -eq 0 ] && [ "$(pending $G1)" -eq 0 ] && [ "$(pending $G2)" -eq 0 ]; }
all_pending() { echo $(($(pending $COMMUNITY) + $(pending $G1) + $(pending $G2))); }
wait_progress 30 "outboxes drained" all_pending drained
wait_until 15 "township reports the community up" child_up $TOWNSHIP $COMMUNITY

# The rule really dropped packets: "counter packets N" of the drop rules.
counters=$(ip netns exec "$NS_B" nft list table inet glloss | grep -o 'packets [0-9]*' | awk '{print $2}' | paste -sd' ')
read -r drop_in pass_in drop_out pass_out <<<"$counters"
log "dropped $drop_in of $((drop_in + pass_in)) packets in, $drop_out of $((drop_out + pass_out)) out"
[ "$drop_in" -gt 0 ] && [ "$drop_out" -gt 0 ] || fail "the loss rule dropped nothing"
flaps=$(cat "$HOME_DIR/log/$TOWNSHIP.log" "$HOME_DIR/log/$COMMUNITY.log" | grep -c "marked down" || true)
log "liveness timeouts on the lossy link: $flaps"
for id in "${!NODE_PID[@]}"; do node_alive "$id" || fail "node $id died"; done
log "ok: $total cases through a link dropping ${LOSS_PCT}% of packets, each at the township once"
