# KPIs at the district center: on the mini district (a community signs for
# within 2 s, nothing else runs out) three cases go through a community: one
# accepted, resolved, verified and rated; one not signed for in time (it
# climbs to the township, which accepts it); one accepted and returned.
# The test computes the KPI counters itself from every node's log (the
# staff API's event stream, kpi_expect.py) and checks that
# GET /api/v1/kpi gives the same numerators and denominators for every
# unit, that the league table ranks and excludes by the minimum sample, that
# bad requests get 400, and that the dashboard (tests/browser/kpi.mjs, in
# chromium) shows the same values. Skipped (77) where chromium or npm is
# not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httplib.sh"

browser_runner kpi.mjs

with_http "$MINI" "$HOME_DIR/http.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 2, "resolve_s": 3600},
            {"tier": "township", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "district", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "department", "accept_s": 3600, "resolve_s": 7200}]' "$HOME_DIR/http.json" >"$HOME_DIR/kpi.json"
export GRIDLINK_KPI_MIN_SAMPLE=2
start_up "$HOME_DIR/kpi.json"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
BASE="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))"
adduser centre monitor xinbei centre-pass-1
TOKEN=$(login centre centre-pass-1 "$BASE/api/v1")
MONTH=$(TZ=Asia/Shanghai date +%Y-%m)
AT="$MONTH-01"
D=xinbei
T=xinbei.sanjing
C=xinbei.sanjing.c01
G1=xinbei.sanjing.c01.g1
G2=xinbei.sanjing.c01.g2

holder() { gl show --node "$1" "$2" --json | jq -r .holder; }
state_at() { [ "$(gl show --node "$1" "$2" --json | jq -r .state)" = "$3" ]; }

# A: accepted at once, resolved, verified by its grid, rated (resolved, not satisfied).
A=$(gl submit --node $G1 --category urban/roads --text "路灯不亮")
wait_until 5 "A at the community" state_at $C "$A" reported
gl act --node $C "$A" accept >/dev/null
gl act --node $C "$A" resolve --note "已修复" >/dev/null
wait_until 5 "A resolved at its grid" state_at $G1 "$A" resolved
gl act --node $G1 "$A" verify >/dev/null
wait_until 5 "A closed at the community" state_at $C "$A" closed
gl rate --node $G1 "$A" --resolved yes --satisfied no >/dev/null
# B: not signed for within 2 s: it climbs to the township, which accepts it.
B=$(gl submit --node $G1 --category urban/roads --text "井盖缺失")
wait_until 10 "B at the township" state_at $T "$B" escalated
gl act --node $T "$B" accept >/dev/null
# C: accepted, then returned to its grid.
Cc=$(gl submit --node $G2 --category urban/roads --text "占道经营")
wait_until 5 "C at the community" state_at $C "$Cc" reported
gl act --node $C "$Cc" accept >/dev/null
gl act --node $C "$Cc" return --reason wrong-location >/dev/null
wait_until 5 "C back at its grid" state_at $G2 "$Cc" returned
rated() { gl show --node $C "$A" --json | jq -e '.rating.resolved == true' >/dev/null; }
wait_until 5 "A's rating at the community" rated

# Every node's log, from its staff API's event stream.
: >"$HOME_DIR/events.jsonl"
for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
    url=$(url_of "$n")
    curl -sN --max-time 2 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: 0" "$url/nodes/$n/events" >"$HOME_DIR/sse.$n" || true
    sed -n 's/^data: //p' "$HOME_DIR/sse.$n" >>"$HOME_DIR/events.jsonl"
done
log "$(wc -l <"$HOME_DIR/events.jsonl") events in the nodes' logs"
python3 "$GL_SRC/tests/integration/kpi_expect.py" "$HOME_DIR/topology.json" "$HOME_DIR/events.jsonl" "$MONTH" \
    >"$HOME_DIR/expect.json" || fail "kpi_expect.py"
[ "$(jq ".\"$C\".dispatched" "$HOME_DIR/expect.json")" = 4 ] || fail "the logs give the community $(jq -c ".\"$C\"" "$HOME_DIR/expect.json")"
[ "$(jq ".\"$C\".signed_in_time" "$HOME_DIR/expect.json")" = 2 ] || fail "the logs give the community $(jq -c ".\"$C\"" "$HOME_DIR/expect.json")"
log "from the logs: community $(jq -c ".\"$C\"" "$HOME_DIR/expect.json")"

# The broker's figures: equal for every unit, once it has applied everything.
kpi() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/kpi?unit=$1&period=month&at=$AT"; }
# num UNIT KPI numerator|denominator
pair() { kpi "$1" | jq -c --arg k "$2" '.kpis[$k] | [.numerator, .denominator]'; }
agree() {
    local n e got
    for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
        e=$(jq -c --arg n "$n" '.[$n] | {response: [.signed_in_time, .dispatched], closure: [.closed, .due],
            closure_in_time: [.closed_in_time, .due], solved: [.rated_resolved, .rated],
            satisfied: [.rated_satisfied, .rated], return_rate: [.returns, .dispatched]}' "$HOME_DIR/expect.json")
        got=$(kpi "$n" | jq -c '.kpis | {response: [.response.numerator, .response.denominator],
            closure: [.closure.numerator, .closure.denominator],
            closure_in_time: [.closure_in_time.numerator, .closure_in_time.denominator],
            solved: [.solved.numerator, .solved.denominator], satisfied: [.satisfied.numerator, .satisfied.denominator],
            return_rate: [.return_rate.numerator, .return_rate.denominator]}') || return 1
        [ "$e" = "$got" ] || { echo "$n: logs $e, broker $got" >"$HOME_DIR/disagree"; return 1; }
    done
}
wait_until 10 "the broker's KPIs equal the logs' (last: $(cat "$HOME_DIR/disagree" 2>/dev/null))" agree
doc=$(kpi $C)
log "the broker agrees on every unit; community: $(jq -c '.kpis.response' <<<"$doc")"
[ "$(jq -r .name <<<"$doc")" = "三井街道第一社区" ] || fail "the unit's name is $(jq -r .name <<<"$doc")"
[ "$(jq -r .formula <<<"$doc")" = gl-kpi-1 ] || fail "formula $(jq -r .formula <<<"$doc")"
[ "$(jq -r .kpis.response.version <<<"$doc")" = gl-kpi-1 ] || fail "a KPI without its version"
[ "$(jq '.kpis | length' <<<"$doc")" -ge 13 ] || fail "only $(jq '.kpis | length' <<<"$doc") KPIs"
[ "$(jq -r .from <<<"$doc")" = "$(TZ=UTC date -d "$AT 00:00 +0800" +%Y-%m-%dT%H:%M:%S).000Z" ] ||
    fail "the month starts at $(jq -r .from <<<"$doc")"
[ "$(kpi xinbei.urban | jq .kpis.response.value)" = null ] || fail "a unit with nothing has a value"

# The league of communities: c01 ranked (3 ≥ 2 dispatched); of grids, g2 (1) excluded.
league() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/league?tier=$1&period=month&at=$AT&kpi=$2"; }
l=$(league community response)
[ "$(jq -r '.rows[0].unit' <<<"$l")" = $C ] && [ "$(jq '.rows[0].rank' <<<"$l")" = 1 ] || fail "community league: $l"
l=$(league grid return_rate)
[ "$(jq -c '[.excluded[].unit] | sort' <<<"$l")" = "[\"$G1\",\"$G2\"]" ] || fail "grid league exclusions: $l"
[ "$(jq '.min_sample' <<<"$l")" = 2 ] || fail "min sample $(jq .min_sample <<<"$l")"

# Bad requests: 400 with a JSON error.
for q in "kpi?unit=nowhere&period=month" "kpi?unit=$C&period=fortnight" "kpi?unit=$C&period=day&at=2026-02-30" \
    "league?tier=planet&period=month" "league?tier=community&kpi=speed"; do
    expect_status 400 GET "$BASE/api/v1/$q" "$TOKEN"
    jq -e .error <"$HOME_DIR/body" >/dev/null || fail "$q: $(body)"
done
expect_status 401 GET "$BASE/api/v1/kpi?unit=$C" ""

# The page: the district's figures and the community league show the same values.
want=$(jq -c --arg c $C --arg d $D '{district: .[$d], community: .[$c]}' "$HOME_DIR/expect.json")
mkdir -p "$HOME_DIR/browser"
BASE_URL=$BASE USER_NAME=centre PASSWORD=centre-pass-1 CHROMIUM=$CHROMIUM OUT_DIR="$GL_BIN/screenshots" \
    WORK_DIR="$HOME_DIR/browser" WANT="$want" DISTRICT=$D COMMUNITY=$C GRID=$G2 CASE="$B" CASE_HOLDER=$T \
    GRIDLINK=$GRIDLINK GL_HOME=$HOME_DIR \
    node "$RUNNER/kpi.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
log "ok"
