# The replay reads what retention moved out of the stores: with a
# retention of seconds every node archives and prunes its log as the day
# goes on, and the replay takes each logged event once (from the archive up
# to the store's pruned prefix, from the store after it), gives the
# recorded KPIs exactly when unchanged, and more escalations with the
# acceptance limits halved.
source "$(dirname "$0")/lib.sh"

export GRIDLINK_RETAIN_SECONDS=3 GRIDLINK_PRUNE_MS=200
C01=xinbei.sanjing.c01
TOWN=xinbei.sanjing
TOPO="$HOME_DIR/ten.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 10, "resolve_s": 600},
            {"tier": "township", "accept_s": 10, "resolve_s": 600},
            {"tier": "district", "accept_s": 10, "resolve_s": 600},
            {"tier": "department", "accept_s": 10, "resolve_s": 600}]' "$MINI" >"$TOPO"
start_up "$TOPO"
day_from=$(TZ=Asia/Shanghai date +%F)
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
held_by() { [ "$(gl show --node "$1" "$2" --json | jq -r .holder)" = "$1" ]; }
h() { gl health --node "$1" --timeout 2000 | jq -r ".$2"; }

late=$(gl submit --node "$C01.g1" --category urban/roads --text "路灯不亮")
never=$(gl submit --node "$C01.g1" --category urban/roads --text "路面塌陷")
for c in "$late" "$never"; do wait_until 5 "$C01 holds $c" held_by "$C01" "$c"; done
got=$(gl show --node $C01 "$late" --json | jq --arg n $C01 '[.history[] | select(.action == "received" and .node == $n)][-1].time_ms')
until [ $(($(now_ms) - got)) -ge 6500 ]; do sleep 0.05; done
gl act --node $C01 "$late" accept >/dev/null
at=$(($(now_ms) - got))
[ $at -lt 9000 ] || fail "the late case was accepted ${at} ms after its receipt, too close to its limit"
wait_until 16 "$never escalates to $TOWN" held_by "$TOWN" "$never"
gl act --node $TOWN "$never" accept >/dev/null
# The community's log up to its acceptance of the late case is archived.
pruned() { [ "$(h $C01 pruned_through)" -ge 5 ]; }
wait_until 20 "$C01 archives and prunes its log" pruned
kill -TERM "$UP_PID"
for _ in $(seq 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$UP_PID" 2>/dev/null && fail "gridlink up did not stop"
UP_PID=""
day_to=$(TZ=Asia/Shanghai date +%F)
# Every node's logged events: its archive's and its store's.
total=0
for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
    [ -f "$HOME_DIR/data/$n/data.mdb" ] || continue
    a=$(gl archive list --node "$n" --json | jq '[.[].events] | add // 0')
    s=$(mdb_stat -s log "$HOME_DIR/data/$n" | awk '/Entries:/ {print $2}')
    total=$((total + a + s))
    [ "$n" = $C01 ] && n_archived=$a
done
[ "$n_archived" -ge 5 ] || fail "the community archived $n_archived log entries"
HALF="$HOME_DIR/half.json"
jq '(.sla[] | select(.accept_s > 0) | .accept_s) |= (. / 2 | floor)' "$HOME_DIR/topology.json" >"$HALF"
replay() { gl replay --from "$day_from" --to "$day_to" --topology "$@"; }
replay "$HOME_DIR/topology.json" --json >"$HOME_DIR/same.json" 2>"$HOME_DIR/replay.err" || fail "replay: $(cat "$HOME_DIR/replay.err")"
replay "$HALF" --json >"$HOME_DIR/half.out.json" || fail "halved replay failed"
[ ! -s "$HOME_DIR/replay.err" ] || fail "the replay complained: $(cat "$HOME_DIR/replay.err")"

S="$HOME_DIR/same.json"
H="$HOME_DIR/half.out.json"
# Each node's events once: as many as its archive and its store hold.
[ "$(jq .replay.events "$S")" = "$total" ] || fail "the replay read $(jq .replay.events "$S") events; archives and stores hold $total"
[ "$(jq '.changes | length' "$S")" = 0 ] || fail "the unchanged replay changed steps: $(jq -c .changes "$S")"
jq -e '[.kpis[] | .recorded == .replayed] | all' "$S" >/dev/null || fail "unchanged replay differs"
jq -e '.replay.checked >= 1 and .replay.logged_differ == 0' "$S" >/dev/null || fail "replay figures: $(jq -c .replay "$S")"
resp() { jq -r --arg u "$2" ".kpis[\$u].$1.kpis.response | \"\(.numerator)/\(.denominator)\"" "$3"; }
[ "$(resp recorded $C01 "$S")" = 1/2 ] || fail "recorded response at $C01: $(resp recorded $C01 "$S"), not 1/2"
[ "$(resp replayed $C01 "$H")" = 0/2 ] || fail "halved response at $C01: $(resp replayed $C01 "$H"), not 0/2"
esc() { jq -r --arg w "$1" '.counts[] | select(.id == "escalations") | .[$w]' "$H"; }
[ "$(esc replayed)" -gt "$(esc recorded)" ] || fail "halved limits give $(esc replayed) escalations, the day had $(esc recorded)"
log "$total events read, $n_archived of the community's from its archive; escalations $(esc recorded) recorded, $(esc replayed) halved"
log "ok"
