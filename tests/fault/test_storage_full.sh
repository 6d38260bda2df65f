# A full filesystem under a community's store.
#
# The mini district on loopback, each node its own gridlink-node process; the
# community's data directory is a small tmpfs mounted by this test (and
# unmounted at exit), nearly filled with a filler file once the node runs.
# Under load its commits then fail with ENOSPC. Checked while the disk is
# full: the community logs a clear refusal ("batch of N inputs refused:
# storage full; 0 bytes free on its filesystem", or "storage I/O error" once
# LMDB's writes come up short)
# and acknowledges nothing, so the grids keep the cases in their outboxes
# (outbox_pending grows) while they go on acknowledging new reports; the
# community stays up and answers `gridlink health`. Then the filler is
# deleted: everything queued reaches the community and, by escalation, the
# township, each case exactly once, and the outboxes drain. About 40 s.
source "$(dirname "$0")/faultlib.sh"

require_root
command -v mount >/dev/null || skip "mount is not installed"

init_home loopback
DATA="$HOME_DIR/data/$COMMUNITY"
mkdir -p "$DATA"
mount -t tmpfs -o size=4m,mode=0700 gl-fault-tmpfs "$DATA" 2>/dev/null || skip "cannot mount a tmpfs here"
MOUNTS+=("$DATA")

for id in $DISTRICT $TOWNSHIP $COMMUNITY $G1 $G2; do start_node "" $id; done
wait_until 20 "township sees the community" child_up $TOWNSHIP $COMMUNITY

# Leave about 160 KiB: a few dozen cases fit, then the disk is full.
avail() { df -B1 --output=avail "$DATA" | tail -n1 | tr -d ' '; }
filler_kib=$(($(avail) / 1024 - 160))
dd if=/dev/zero of="$DATA/filler" bs=1024 count=$filler_kib status=none 2>/dev/null || true
log "tmpfs at $DATA: $(avail) bytes left after a ${filler_kib} KiB filler"

ACKED="$HOME_DIR.acked"
SUBMIT_PAUSE=0.05 start_submitter "$ACKED" 100000 $G1 $G2
# ENOSPC shows once, then LMDB's short writes give EIO; either way the
# refusal names the free space left.
REFUSAL='batch of [0-9]+ inputs refused: storage (full|I/O error); [0-9]+ bytes free on its filesystem'
# The disk fills as fast as the grids take reports: wait as long as they do.
acked_count() { count_lines "$ACKED"; }
wait_progress 30 "the community refuses a batch for lack of space" acked_count \
    grep -qE "$REFUSAL" "$HOME_DIR/log/$COMMUNITY.log"
full_ms=$(now_ms)
log "disk full after $(count_lines "$ACKED") acknowledged cases: $(grep -m1 -oE "$REFUSAL" "$HOME_DIR/log/$COMMUNITY.log")"

# While full the community acknowledges nothing it could not store (a small
# batch that fits in pages LMDB freed earlier may still commit), so the grids'
# outboxes grow; the grids still take reports; the community is alive and
# answers.
grids_pending() { echo $(($(pending $G1) + $(pending $G2))); }
grids_hold() { [ "$(grids_pending)" -gt 0 ]; }
wait_progress 30 "the grids hold cases the community refused" acked_count grids_hold
p1=$(grids_pending)
acked1=$(count_lines "$ACKED")
sleep 5
p2=$(grids_pending)
acked2=$(count_lines "$ACKED")
log "grid outboxes: $p1 then $p2 pending; grids acknowledged $((acked2 - acked1)) more cases meanwhile"
# p1 may dip to 0 when a small batch still fits in freed pages; five seconds
# of reports later the outboxes must have grown.
[ "$p2" -gt 0 ] || fail "the grids hold nothing although the community's disk is full"
[ "$p2" -gt "$p1" ] || fail "grid outboxes did not grow while the community was full ($p1 -> $p2)"
[ "$acked2" -gt "$acked1" ] || fail "the grids stopped acknowledging reports"
node_alive $COMMUNITY || fail "the community died on a full disk"
health $COMMUNITY >/dev/null || fail "the community does not answer while its disk is full"
stop_submitter
total=$(count_lines "$ACKED")
queued=$(grids_pending)
refusals=$(grep -cE "$REFUSAL" "$HOME_DIR/log/$COMMUNITY.log" || true)
log "$total cases acknowledged by the grids, $queued waiting in their outboxes, $refusals refused batches"

rm -f "$DATA/filler"
freed_ms=$(now_ms)
log "filler deleted: $(avail) bytes free"
wait_progress 30 "every acknowledged case at the township" "missing_at $TOWNSHIP $ACKED" all_at $TOWNSHIP "$ACKED"
log "all $total at the township $(($(now_ms) - freed_ms)) ms after space was freed"
check_exactly_once $COMMUNITY "$ACKED"
check_exactly_once $TOWNSHIP "$ACKED"
drained() { [ "$(grids_pending)" -eq 0 ] && [ "$(pending $COMMUNITY)" -eq 0 ]; }
wait_progress 30 "grid and community outboxes drained" grids_pending drained
for id in "${!NODE_PID[@]}"; do node_alive "$id" || fail "node $id died"; done
log "ok: $total cases, $queued held back by a full disk for $(((freed_ms - full_ms) / 1000))s, each at the township once"
