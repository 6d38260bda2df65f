# A day recorded on the mini district, replayed: unchanged it gives the
# recorded KPIs exactly (and those are the broker's, /api/v1/kpi, for every
# unit); with the acceptance limits halved a case accepted late escalates
# and the day has more escalations. The replay reads the stores read-only,
# while the nodes run and after they stop, and leaves every store's bytes
# as they were.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httplib.sh"

C01=xinbei.sanjing.c01
TOWN=xinbei.sanjing
# Ten seconds to accept at every tier above the grids: a case accepted after
# six and a half is in time, and late once the limit is halved to five.
TOPO="$HOME_DIR/ten.json"
with_http "$MINI" "$HOME_DIR/http.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 10, "resolve_s": 600},
            {"tier": "township", "accept_s": 10, "resolve_s": 600},
            {"tier": "district", "accept_s": 10, "resolve_s": 600},
            {"tier": "department", "accept_s": 10, "resolve_s": 600}]' "$HOME_DIR/http.json" >"$TOPO"
start_up "$TOPO"
day_from=$(TZ=Asia/Shanghai date +%F)

submit() { "$GRIDLINK" submit --home "$HOME_DIR" --node "$C01.g1" --category urban/roads --text "$1"; }
held_by() { [ "$("$GRIDLINK" show --home "$HOME_DIR" --node "$1" "$2" --json | jq -r .holder)" = "$1" ]; }
accept() { "$GRIDLINK" act --home "$HOME_DIR" --node "$1" "$2" accept >/dev/null; }
received_ms() { "$GRIDLINK" show --home "$HOME_DIR" --node "$1" "$2" --json |
    jq --arg n "$1" '[.history[] | select(.action == "received" and .node == $n)][-1].time_ms'; }

quick=$(submit "井盖松动")
late=$(submit "路灯不亮")
never=$(submit "路面塌陷")
for c in "$quick" "$late" "$never"; do wait_until 5 "$C01 holds $c" held_by "$C01" "$c"; done
accept "$C01" "$quick"
# The late one: accepted 6.5 s after its receipt, 3.5 s before its limit.
got=$(received_ms "$C01" "$late")
until [ $(($(now_ms) - got)) -ge 6500 ]; do sleep 0.05; done
accept "$C01" "$late"
at=$(($(now_ms) - got))
[ $at -lt 9000 ] || fail "the late case was accepted ${at} ms after its receipt, too close to its limit"
log "accepted $late ${at} ms after its receipt"
# The third climbs to the township on its deadline; the township accepts it.
wait_until 16 "$never escalates to $TOWN" held_by "$TOWN" "$never"
accept "$TOWN" "$never"
wait_until 5 "the township's acceptance reaches $C01" sh -c \
    "'$GRIDLINK' show --home '$HOME_DIR' --node $C01 $never --json | jq -e '.state == \"accepted\"'"
day_to=$(TZ=Asia/Shanghai date +%F)

# Halved acceptance limits, written from the home's own topology.
HALF="$HOME_DIR/half.json"
jq '(.sla[] | select(.accept_s > 0) | .accept_s) |= (. / 2 | floor)' "$HOME_DIR/topology.json" >"$HALF"
replay() { "$GRIDLINK" replay --home "$HOME_DIR" --from "$day_from" --to "$day_to" --topology "$@"; }

# While the nodes run.
replay "$HOME_DIR/topology.json" --json >"$HOME_DIR/live.json" || fail "replay on live stores failed"
jq -e '[.kpis[] | .recorded == .replayed] | all' "$HOME_DIR/live.json" >/dev/null ||
    fail "unchanged replay on live stores differs: $(jq -c '.replay' "$HOME_DIR/live.json")"

# The recorded KPIs are the district center's: every unit's numerators and
# denominators equal those of the broker's /api/v1/kpi for the day.
if [ "$day_from" = "$day_to" ]; then
    gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
    BASE="http://127.0.0.1:$((PORT_BASE + 32 + $(jq '.nodes | length' "$HOME_DIR/topology.json")))"
    adduser centre monitor xinbei centre-pass-1
    TOKEN=$(login centre centre-pass-1 "$BASE/api/v1")
    pairs='.kpis | to_entries | map({key, value: [.value.numerator, .value.denominator]}) | from_entries'
    agree() {
        local n got want
        for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
            got=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/kpi?unit=$n&period=day&at=$day_from" |
                jq -c "$pairs") || return 1
            # a unit the replay lists no counts for has none
            want=$(jq -c --arg n "$n" ".kpis[\$n].recorded // {kpis: {}} | $pairs" "$HOME_DIR/live.json")
            [ "$want" = '{}' ] && want=$(jq -c 'map_values([0, 0])' <<<"$got")
            [ "$got" = "$want" ] || { echo "$n: broker $got, replay $want" >"$HOME_DIR/disagree"; return 1; }
        done
    }
    # polled until the broker has applied every event (10 s at most)
    for _ in $(seq 100); do agree && break; sleep 0.1; done
    agree || fail "the broker's KPIs are not the replay's recorded ones: $(cat "$HOME_DIR/disagree")"
    got=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/kpi?unit=$C01&period=day&at=$day_from" |
        jq -r '.kpis.response | "\(.numerator)/\(.denominator)"')
    [ "$got" = 2/3 ] || fail "the broker's response at $C01 is $got"
    log "the recorded KPIs of every unit are the broker's ($C01 response $got)"
else
    log "the day turned during the test: the broker's day figures are not compared"
fi

# Stopped: the stores' bytes are what the replays must leave alone.
kill -TERM "$UP_PID"
for _ in $(seq 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$UP_PID" 2>/dev/null && fail "gridlink up did not stop"
UP_PID=""
sums() { (cd "$HOME_DIR/data" && sha256sum */data.mdb); }
before=$(sums)

t0=$(now_ms)
replay "$HOME_DIR/topology.json" --json >"$HOME_DIR/same.json" || fail "unchanged replay failed"
replay "$HALF" --json >"$HOME_DIR/half.out.json" || fail "halved replay failed"
t1=$(now_ms)
text=$(replay "$HALF" --unit "$C01") || fail "readable replay failed"
[ "$(sums)" = "$before" ] || fail "a replay changed a store"
log "two replays in $((t1 - t0)) ms; the stores are unchanged"

S="$HOME_DIR/same.json"
H="$HOME_DIR/half.out.json"
# Unchanged: every unit's every KPI, the step counts, nothing moved; the
# recorded escalation fell on the due time the engine's rule gives.
jq -e '[.kpis[] | .recorded == .replayed] | all' "$S" >/dev/null || fail "unchanged replay differs: $(jq -c '[.kpis | to_entries[] | select(.value.recorded != .value.replayed) | .key]' "$S")"
jq -e '[.counts[] | .recorded == .replayed] | all' "$S" >/dev/null || fail "unchanged step counts differ: $(jq -c .counts "$S")"
jq -e '.replay.clocks_changed == 0 and (.changes | length) == 0' "$S" >/dev/null || fail "unchanged replay moved clocks"
jq -e '.replay.checked >= 1 and .replay.lag_min_ms >= 0 and .replay.lag_max_ms < 1000' "$S" >/dev/null ||
    fail "recorded escalations do not follow the engine's due times: $(jq -c .replay "$S")"
# Every clock's logged due time is the one the replay's rule gives.
jq -e '.replay.logged_dues >= 4 and .replay.logged_differ == 0' "$S" >/dev/null ||
    fail "the logged due times are not the rule's: $(jq -c .replay "$S")"
resp() { jq -r --arg u "$2" ".kpis[\$u].$1.kpis.response | \"\(.numerator)/\(.denominator)\"" "$3"; }
[ "$(resp recorded $C01 "$S")" = 2/3 ] || fail "recorded response at $C01: $(resp recorded $C01 "$S"), not 2/3"
[ "$(resp replayed $C01 "$S")" = 2/3 ] || fail "unchanged replayed response at $C01: $(resp replayed $C01 "$S")"
[ "$(jq -r '.kpis.xinbei.recorded.formula' "$S")" = gl-kpi-1 ] || fail "no formula version in the KPIs"

# Halved: the late case escalates at its new due time, the one that
# escalated does so earlier, the quick one stands.
esc() { jq -r --arg w "$1" '.counts[] | select(.id == "escalations") | .[$w]' "$H"; }
[ "$(esc recorded)" -ge 1 ] || fail "the recorded day has no escalation"
[ "$(esc replayed)" -gt "$(esc recorded)" ] || fail "halved limits give $(esc replayed) escalations, the day had $(esc recorded)"
jq -e --arg c "$late" --arg n "$C01" \
    '[.changes[] | select(.change == "made" and .kind == "escalated" and .case_id == $c and .node == $n)] | length == 1' \
    "$H" >/dev/null || fail "the late case does not escalate under halved limits: $(jq -c .changes "$H")"
jq -e --arg c "$never" '[.changes[] | select(.case_id == $c)] | length == 2' "$H" >/dev/null ||
    fail "the escalated case does not move to its new due time: $(jq -c .changes "$H")"
jq -e --arg c "$quick" '[.changes[] | select(.case_id == $c)] | length == 0' "$H" >/dev/null ||
    fail "the case accepted at once changed"
[ "$(resp recorded $C01 "$H")" = 2/3 ] || fail "recorded response at $C01 under halved: $(resp recorded $C01 "$H")"
[ "$(resp replayed $C01 "$H")" = 1/3 ] || fail "halved response at $C01: $(resp replayed $C01 "$H"), not 1/3"
grep -q "响应率" <<<"$text" && grep -q "response" <<<"$text" || fail "readable replay lacks the KPI labels: $text"
log "escalations $(esc recorded) recorded, $(esc replayed) with the limits halved"

# Asked wrongly: a usage error on one line.
for bad in "--from 2026-13-01 --to 2026-13-01 --topology $HALF" "--from $day_from --to $day_to"; do
    if "$GRIDLINK" replay --home "$HOME_DIR" $bad 2>"$HOME_DIR/err"; then fail "replay $bad succeeded"; fi
    [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] || fail "replay $bad: $(cat "$HOME_DIR/err")"
done
log "ok"
