# LMDB map growth under load.
#
# The mini district on loopback, each node its own gridlink-node process
# started with --map-size 32K (the smallest the node accepts: a new store
# needs five 4 KiB pages just to open). Under load every node's map fills
# again and again; each time the node aborts the batch, doubles the map and
# applies the same inputs again (regrow_and_replay), so nothing is refused and
# nothing is acknowledged twice. First, bursts: the community is stopped
# (SIGSTOP) while the grids take reports, resumed just long enough to take
# them in, stopped again past their 1 s acceptance deadlines while more
# reports queue up, and resumed: its deadlines then fire all at once on a
# nearly full map with inputs waiting in the same loop pass (the deadline
# path meets MDB_MAP_FULL, which spoils the batch transaction; before the fix
# in node_input the inputs after it were refused with MDB_BAD_TXN). Then a
# steady load. Checked: the community logs "map grown"
# several times, its map ends well above 32 KiB (mdb_stat -e on the live
# store), no batch was refused, every case a grid acknowledged reaches the
# community and (by escalation after 1 s) the township exactly once, and a
# restart with the same small --map-size keeps the grown map and the cases.
# About 45 s. GL_GROWTH_CASES=N changes the steady load (default 400).
source "$(dirname "$0")/faultlib.sh"

CASES=${GL_GROWTH_CASES:-400}
MAP=32K

init_home loopback
for id in $DISTRICT $TOWNSHIP $COMMUNITY $G1 $G2; do start_node "" $id --map-size $MAP; done
wait_until 20 "township sees the community" child_up $TOWNSHIP $COMMUNITY

# submit TAG N: N cases, half at each grid, as fast as the command line goes.
submit() {
    SUBMIT_PAUSE=0 start_submitter "$HOME_DIR.acked.$1.g1" $(($2 / 2)) $G1
    SUBMIT_PAUSE=0 start_submitter "$HOME_DIR.acked.$1.g2" $(($2 / 2)) $G2
    for p in "${SUBMITTER_PIDS[@]}"; do wait "$p" || true; done
    SUBMITTER_PIDS=()
}
grids_drained() { [ "$(pending $G1)" -eq 0 ] && [ "$(pending $G2)" -eq 0 ]; }
grids_pending() { echo $(($(pending $G1) + $(pending $G2))); }

C=${NODE_PID[$COMMUNITY]}
for round in 1 2; do
    kill -STOP "$C"
    submit burst$round.a 40
    kill -CONT "$C"
    sleep 0.3
    kill -STOP "$C"
    submit burst$round.b 40
    sleep 1
    kill -CONT "$C"
    wait_progress 30 "community took burst $round" grids_pending grids_drained
done
log "bursts done: $(grep -c "map grown" "$HOME_DIR/log/$COMMUNITY.log" || true) growths at the community so far"
submit steady "$CASES"

ACKED="$HOME_DIR.acked"
cat "$HOME_DIR".acked.*.g? >"$ACKED"
total=$(count_lines "$ACKED")
refused=$(cat "$HOME_DIR".acked.*.fail | wc -l)
log "$total cases acknowledged, $refused submissions refused"
[ "$refused" -eq 0 ] || { cat "$HOME_DIR".acked.*.err | head -5 >&2; fail "$refused submissions were refused while the map grew"; }

wait_progress 30 "every acknowledged case at the township" "missing_at $TOWNSHIP $ACKED" all_at $TOWNSHIP "$ACKED"
check_exactly_once $COMMUNITY "$ACKED"
check_exactly_once $TOWNSHIP "$ACKED"

for id in $DISTRICT $TOWNSHIP $COMMUNITY $G1 $G2; do
    n=$(grep -c "map grown" "$HOME_DIR/log/$id.log" || true)
    log "$id: map grown $n time(s), now $(mdb_stat -e "$HOME_DIR/data/$id" | awk '/Map size/ {print $3}') bytes"
done
grows=$(grep -c "map grown" "$HOME_DIR/log/$COMMUNITY.log" || true)
[ "$grows" -ge 3 ] || fail "the community's map grew $grows time(s); expected at least 3 from 32 KiB under this load"
map=$(mdb_stat -e "$HOME_DIR/data/$COMMUNITY" | awk '/Map size/ {print $3}')
[ "$map" -ge $((8 * 32768)) ] || fail "the community's map is only $map bytes"
if grep -h "refused" "$HOME_DIR"/log/*.log | grep -q "batch of"; then
    grep -h "batch of" "$HOME_DIR"/log/*.log | head -5 >&2
    fail "a node refused a batch while growing its map"
fi

# A restart with the same small --map-size keeps the grown map and the data.
cases_before=$(health $COMMUNITY | jq .cases)
kill -TERM "${NODE_PID[$COMMUNITY]}"
community_gone() { ! kill -0 "$C" 2>/dev/null; }
wait_until 10 "community stopped" community_gone
start_node "" $COMMUNITY --map-size $MAP
grep -q "keeps its grown map" "$HOME_DIR/log/$COMMUNITY.log" || fail "restart did not keep the grown map"
[ "$(health $COMMUNITY | jq .cases)" = "$cases_before" ] || fail "the community lost cases over the restart"
wait_until 20 "community back in the tree" child_up $TOWNSHIP $COMMUNITY
for id in "${!NODE_PID[@]}"; do node_alive "$id" || fail "node $id died"; done
log "ok: $total cases through stores that started at 32 KiB and grew $grows time(s) at the community"
