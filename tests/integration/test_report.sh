# The monthly report (通报) at the broker, on the demo district with
# hour-long limits so that nothing moves but what the test does: cases
# closed, left open and returned in several communities of two townships,
# with a minimum sample of 2. The district's and a township's report, as
# CSV (the summary and the red and black lists), as a spreadsheet and as a
# PNG chart, must show what GET /api/v1/kpi gives for each of their units,
# and the lists must be the ones the test ranks itself, and the plan's
# indicators (from facts the communities and a township report) what GET
# /api/v1/indicators gives (tests/integration/report_check.py). Bad requests get 400, no token 401,
# a grid account 403. The charts and spreadsheets go to BUILD/screenshots.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httplib.sh"

with_http "$GL_SRC/deploy/topology/demo.json" "$HOME_DIR/http.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "township", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "district", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "department", "accept_s": 3600, "resolve_s": 7200}]' "$HOME_DIR/http.json" >"$HOME_DIR/report.json"
export GRIDLINK_KPI_MIN_SAMPLE=2
start_up "$HOME_DIR/report.json" --no-demo
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
BASE="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))"
adduser centre monitor xinbei centre-pass-1
adduser wang grid xinbei.sanjing.c01.g1 wang-pass-1
TOKEN=$(login centre centre-pass-1 "$BASE/api/v1")
MONTH=$(TZ=Asia/Shanghai date +%Y-%m)

state_at() { [ "$(gl show --node "$1" "$2" --json | jq -r .state)" = "$3" ]; }
community_of() { echo "${1%.*}"; }
# open GRID: a case reported there and accepted by its community; its ID.
open_case() {
    local c id
    c=$(community_of "$1")
    id=$(gl submit --node "$1" --category urban/roads --text "路面破损")
    wait_until 5 "$id at $c" state_at "$c" "$id" reported
    gl act --node "$c" "$id" accept >/dev/null
    echo "$id"
}
closed_case() {
    local c id
    c=$(community_of "$1")
    id=$(open_case "$1")
    gl act --node "$c" "$id" resolve --note "已处理" >/dev/null
    wait_until 5 "$id resolved at $1" state_at "$1" "$id" resolved
    gl act --node "$1" "$id" verify >/dev/null
    wait_until 5 "$id closed at $c" state_at "$c" "$id" closed
}
for g in xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2 xinbei.sanjing.c01.g3 xinbei.hehai.c01.g1 xinbei.hehai.c01.g2 \
    xinbei.hehai.c02.g1 xinbei.luoxi.c01.g1; do
    closed_case $g
done
open_case xinbei.sanjing.c02.g1 >/dev/null
open_case xinbei.sanjing.c02.g2 >/dev/null
back=$(open_case xinbei.hehai.c02.g2)
gl act --node xinbei.hehai.c02 "$back" return --reason wrong-location >/dev/null
wait_until 5 "the returned case back at its grid" state_at xinbei.hehai.c02.g2 "$back" returned

# Facts for the plan's indicators.
gl facts set --node xinbei.sanjing.c01 service_room_m2 420 >/dev/null
gl facts set --node xinbei.sanjing.c02 service_room_m2 260 >/dev/null
gl facts set --node xinbei.sanjing.c01 harmonious_community 1 >/dev/null
gl facts set --node xinbei.sanjing grid_management 1 >/dev/null
ind() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/indicators?year=${MONTH%-*}&unit=$1"; }
facts_in() { [ "$(ind xinbei.sanjing | jq '[.indicators[] | select(.value != null)] | length')" -ge 3 ]; }
wait_until 10 "the broker holds the facts" facts_in

# The KPI documents of every unit; the broker has applied everything when
# the district's figures count all ten cases.
kpi() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/kpi?unit=$1&period=month"; }
all_in() { [ "$(kpi xinbei | jq .counters.returns)" = 1 ] && [ "$(kpi xinbei | jq .counters.closed)" -ge 7 ]; }
wait_until 10 "the broker's counters hold every case" all_in
echo '{}' >"$HOME_DIR/kpis.json"
for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
    kpi "$n" >"$HOME_DIR/one.json" || fail "kpi of $n"
    jq --arg n "$n" --slurpfile d "$HOME_DIR/one.json" '.[$n] = $d[0]' "$HOME_DIR/kpis.json" >"$HOME_DIR/k.json"
    mv "$HOME_DIR/k.json" "$HOME_DIR/kpis.json"
done
# units UNIT: the report's units, the unit then each child in topology order.
units() {
    jq --arg u "$1" '[.nodes[] | select(.id == $u)] + [.nodes[] | select((.id | split(".") | .[:-1] | join(".")) == $u)] |
        map({id, name, tier})' "$HOME_DIR/topology.json"
}
get() { curl -sf -H "Authorization: Bearer $TOKEN" -o "$HOME_DIR/$2" "$BASE/api/v1/report?$1" || fail "GET report?$1"; }
check() { python3 "$GL_SRC/tests/integration/report_check.py" "$@" || fail "report_check.py $*"; }
for u in xinbei xinbei.sanjing; do
    units $u >"$HOME_DIR/units.$u.json"
    get "unit=$u&month=$MONTH&format=csv" "$u.summary.csv"
    check summary "$HOME_DIR/$u.summary.csv" "$HOME_DIR/kpis.json" "$HOME_DIR/units.$u.json"
    get "unit=$u&month=$MONTH&format=csv&table=lists" "$u.lists.csv"
    on_lists=$(check lists "$HOME_DIR/$u.lists.csv" "$HOME_DIR/kpis.json" "$HOME_DIR/units.$u.json" 2)
    get "unit=$u&month=$MONTH&format=csv&table=indicators" "$u.indicators.csv"
    ind $u >"$HOME_DIR/$u.indicators.json"
    with_value=$(python3 "$GL_SRC/tests/integration/report_check.py" indicators "$HOME_DIR/$u.indicators.csv" \
        "$HOME_DIR/$u.indicators.json") || fail "report_check.py indicators $u"
    [ "$with_value" -ge 3 ] || fail "$u: only $with_value indicators with a value"
    get "unit=$u&month=$MONTH&format=xlsx" "$u.xlsx"
    check xlsx "$HOME_DIR/$u.xlsx" "$HOME_DIR/kpis.json" "$HOME_DIR/units.$u.json"
    get "unit=$u&month=$MONTH&format=png&kpi=closure" "$u.png"
    check png "$HOME_DIR/$u.png"
    mkdir -p "$GL_BIN/screenshots" && cp "$HOME_DIR/$u.png" "$HOME_DIR/$u.xlsx" "$GL_BIN/screenshots/"
    log "$u: summary, $on_lists entries on the red and black lists, $with_value indicators with a value, spreadsheet and chart agree"
done
# The district's lists hold townships: sanjing and hehai have samples of 2 or
# more, luoxi has one case; so each list has one township.
[ "$(grep -c '^"\?按期结案率' "$HOME_DIR/xinbei.lists.csv")" = 2 ] || fail "the district's 按期结案率 lists: $(grep 按期结案率 "$HOME_DIR/xinbei.lists.csv")"
curl -s -D "$HOME_DIR/headers" -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/report?unit=xinbei&format=xlsx"
grep -qi "^content-disposition: attachment; filename=\"report-xinbei-$MONTH.xlsx\"" "$HOME_DIR/headers" ||
    fail "the spreadsheet's headers: $(cat "$HOME_DIR/headers")"
# The cookie a browser holds downloads it too.
cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    --data-binary '{"name":"centre","password":"centre-pass-1"}' "$BASE/api/v1/login" | sed -n 's/^[Ss]et-[Cc]ookie: \(gl_token=[^;]*\).*/\1/p')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$BASE/api/v1/report?format=png")" = 200 ] ||
    fail "the report was not downloaded with the session cookie"

for q in "unit=xinbei.sanjing.c01" "unit=nowhere" "month=2026-13" "month=2026-1" "month=26-01-01" "format=pdf" \
    "format=csv&table=everything" "format=png&kpi=speed"; do
    expect_status 400 GET "$BASE/api/v1/report?$q" "$TOKEN"
    jq -e .error <"$HOME_DIR/body" >/dev/null || fail "$q: $(body)"
done
expect_status 401 GET "$BASE/api/v1/report?unit=xinbei" ""
expect_status 403 GET "$BASE/api/v1/report?unit=xinbei" "$(login wang wang-pass-1 "$BASE/api/v1")"
[ -z "$(find "$HOME_DIR/broker" -maxdepth 1 -name 'report.*')" ] || fail "the report left temporary files in $HOME_DIR/broker"
log "ok"
