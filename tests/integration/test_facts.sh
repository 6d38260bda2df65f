# The plan's indicators end to end: on the mini district with a second
# township (a town with one village), units report facts with
# `gridlink facts set` and over the staff API; bad facts and the wrong
# people are refused; every change is kept with who made it and when
# (the CLI and the API list the same history); the broker's
# /api/v1/indicators gives, for 2017 and 2018, district-wide and per
# township, the values this test computes itself from the facts it set,
# against the plan's targets; 信息化覆盖率 counts the nodes' live minutes;
# and a broker killed with SIGKILL comes back with the same figures.
source "$(dirname "$0")/buslib.sh"
source "$(dirname "$0")/httplib.sh"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
D=xinbei
T1=xinbei.sanjing
C1=xinbei.sanjing.c01
T2=xinbei.xinqiao
V1=xinbei.xinqiao.v01

jq '.nodes += [{"id": "xinbei.xinqiao", "tier": "township", "name": "新桥镇"},
               {"id": "xinbei.xinqiao.v01", "tier": "community", "name": "新桥镇西桥村", "addresses": ["西桥路"]},
               {"id": "xinbei.xinqiao.v01.g1", "tier": "grid", "name": "西桥村第1网格"}]' "$MINI" >"$HOME_DIR/two.json"
with_http "$HOME_DIR/two.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
B="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))/api/v1"
API=$(url_of $C1)
adduser zhao community $C1 zhao-pass-1
adduser wu community $V1 wu-pass-1
adduser li township $T2 li-pass-1
adduser wang grid $C1.g1 wang-pass-1
adduser centre monitor $D centre-pass-1
TZ=$(login zhao zhao-pass-1 "$API")
TW=$(login wu wu-pass-1 "$API")
TL=$(login li li-pass-1 "$API")
TG=$(login wang wang-pass-1 "$API")

# ---- the CLI ----
gl facts names --json | jq -e '.facts | length >= 11 and any(.name == "service_room_m2" and .tier == "community")' >/dev/null ||
    fail "facts names: $(gl facts names --json)"
gl facts set --node $C1 service_room_m2 650 --as-of 2016-12-01 --note 旧址 >/dev/null
gl facts set --node $C1 service_room_m2 820 --as-of 2017-03-01 >/dev/null
gl facts set --node $C1 service_room_m2 500 --as-of 2018-02-01 --note 搬迁临时用房 >/dev/null
gl facts set --node $C1 office_room_m2 120 --as-of 2017-03-01 >/dev/null
gl facts set --node $C1 social_orgs 7 --as-of 2017-05-01 >/dev/null
gl facts set --node $C1 social_workers_u45 10 --as-of 2017-01-01 >/dev/null
gl facts set --node $C1 social_workers_u45_certified 5 --as-of 2017-01-01 >/dev/null
gl facts set --node $C1 social_workers_u45_certified 9 --as-of 2018-06-01 >/dev/null
gl facts set --node $T1 grid_management yes --as-of 2017-04-01 >/dev/null
out=$(gl facts set --node $C1 grid_management 1 2>&1) && fail "a community set a township's fact: $out"
[[ "$out" == *"township"* ]] || fail "the refusal does not say who reports it: $out"
out=$(gl facts set --node $C1 harmonious_community 2 2>&1) && fail "a flag took 2: $out"
out=$(gl facts set --node $C1 no_such_fact 1 2>&1) && fail "an unknown fact was taken: $out"
out=$(gl facts set --node $C1 social_orgs 3 --as-of 2017-02-30 2>&1) && fail "a date that is none was taken: $out"
out=$(gl facts set --node $C1 social_orgs 3 --as-of 2099-01-01 2>&1) && fail "a fact dated in the future was taken: $out"

# ---- the staff API ----
declare -A URL
for n in $C1 $V1 $T2; do URL[$n]=$(url_of $n); done
# Every staff API answer is recorded and checked against the OpenAPI document at the end.
MANIFEST="$HOME_DIR/manifest.jsonl"
rec() {
    local out sent="" status
    out=$(mktemp "$HOME_DIR/answer.XXXXXX")
    status=$(call "$@")
    cp "$HOME_DIR/body" "$out"
    if [ $# -ge 4 ]; then
        sent=$(mktemp "$HOME_DIR/request.XXXXXX")
        printf '%s' "$4" >"$sent"
    fi
    jq -cn --arg m "$1" --arg u "$2" --arg s "$status" --arg b "$out" --arg r "$sent" \
        '{method: $m, url: $u, status: $s, type: "application/json", body: $b, request: $r, pending: false}' >>"$MANIFEST"
    echo "$status"
}
post() { rec POST "${URL[$1]}/nodes/$1/facts" "$2" "$3"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
want "$(post $V1 "$TW" '{"name": "service_room_m2", "value": 520, "as_of": "2017-02-01"}')" 201 "the village's room"
body | jq -e '.name == "service_room_m2" and .value == 520 and .by == "wu" and .node == "xinbei.xinqiao.v01"' >/dev/null ||
    fail "the answer of a fact set: $(body)"
want "$(post $V1 "$TW" '{"name": "social_orgs", "value": 4, "as_of": "2017-02-01"}')" 201 "orgs"
want "$(post $V1 "$TW" '{"name": "harmonious_community", "value": 1, "as_of": "2017-09-01", "note": "市级验收"}')" 201 "harmonious"
want "$(post $V1 "$TW" '{"name": "social_workers_u45", "value": 4, "as_of": "2017-01-01"}')" 201 "workers"
want "$(post $V1 "$TW" '{"name": "social_workers_u45_certified", "value": 3, "as_of": "2017-01-01"}')" 201 "certified"
want "$(post $V1 "$TW" '{"name": "democratic_consultation", "value": 1, "as_of": "2018-03-01"}')" 201 "consultation"
want "$(post $T2 "$TL" '{"name": "service_center", "value": 1, "as_of": "2017-06-01"}')" 201 "the town's service center"
# Refusals: another unit's staff, a grid, a bad body, a fact of another tier.
want "$(post $V1 "$TZ" '{"name": "social_orgs", "value": 9}')" 403 "another community's officer"
want "$(post $C1 "$TG" '{"name": "social_orgs", "value": 9}')" 403 "a grid's account"
want "$(post $T2 "$TW" '{"name": "service_center", "value": 0}')" 403 "a village's officer on the town"
want "$(post $V1 "$TW" '{"name": "social_orgs", "value": -1}')" 400 "a negative count"
want "$(post $V1 "$TW" '{"name": "social_orgs", "value": 2.5}')" 400 "a fractional count"
want "$(post $V1 "$TW" '{"name": "social_orgs", "value": 2, "extra": 1}')" 400 "an unknown field"
want "$(call POST "${URL[$V1]}/nodes/$V1/facts" "$TW" '{"name": "social_orgs"')" 400 "a body that is not JSON"
want "$(post $V1 "$TW" '{"name": "grid_management", "value": 1}')" 400 "a township's fact at a village"
body | jq -e '.error.message | test("township")' >/dev/null || fail "the refusal: $(body)"
want "$(call GET "${URL[$V1]}/nodes/$V1/facts?name=nope" "$TW")" 400 "an unknown name filter"

# ---- history: every change, who and when; the CLI and the API agree ----
hist=$(gl facts show --node $C1 --json)
echo "$hist" | jq -e '[.history[] | select(.name == "service_room_m2")] | length == 3' >/dev/null ||
    fail "the room's three changes are not all kept: $hist"
echo "$hist" | jq -e '[.history[] | select(.name == "service_room_m2") | .value] == [650, 820, 500]' >/dev/null ||
    fail "the room's history is not in the order it was reported: $hist"
echo "$hist" | jq -e '.facts.service_room_m2.value == 500 and .facts.service_room_m2.note == "搬迁临时用房"' >/dev/null ||
    fail "the room's value now: $hist"
echo "$hist" | jq -e 'all(.history[]; (.time | test("^20[0-9][0-9]-[0-9]{2}-[0-9]{2}T.*Z$")) and .by != "" and .seq > 0)' >/dev/null ||
    fail "a change lacks who or when: $hist"
want "$(rec GET "$API/nodes/$C1/facts" "$TZ")" 200 "the community's facts"
[ "$(body | jq -c '.history | map([.name, .value, .as_of, .seq])')" = "$(echo "$hist" | jq -c '.history | map([.name, .value, .as_of, .seq])')" ] ||
    fail "the API's history differs from the CLI's: $(body)"
want "$(rec GET "${URL[$V1]}/nodes/$V1/facts?name=harmonious_community" "$TW")" 200 "one fact's history"
body | jq -e '(.history | length) == 1 and .history[0].by == "wu" and .history[0].note == "市级验收"' >/dev/null ||
    fail "the village's harmonious history: $(body)"
gl facts show --node $C1 | grep -q "搬迁临时用房" || fail "facts show prints no history: $(gl facts show --node $C1)"
# The facts are in the unit's log, so on the bus.
logged() { curl -s -m 2 -H "Authorization: Bearer $TZ" "$API/nodes/$C1/events?after=0" | sed -n 's/^data: //p' || true; }
[ "$(logged | jq -s '[.[] | select(.kind == "fact" and .fact.name != null)] | length')" = 8 ] ||
    fail "the community's log does not hold its 8 facts: $(logged | tail -3)"

expect_status 200 GET "$API/openapi.json" ""
cp "$HOME_DIR/body" "$HOME_DIR/openapi.json"
python3 "$GL_SRC/tests/integration/openapi_check.py" recorded "$HOME_DIR/openapi.json" "$MANIFEST" >&2 ||
    fail "a facts answer does not match the OpenAPI document"

# ---- the broker's indicators ----
TC=$(login centre centre-pass-1 "$B")
ind() { curl -sf -H "Authorization: Bearer $TC" "$B/indicators?$1"; }
row() { jq -c --arg id "$2" '.indicators[] | select(.id == $id)' <<<"$1"; }
# Every fact set above reached the broker: the 2018 village consultation is the last one.
caught_up() { ind "year=2018" | jq -e '.indicators[] | select(.id == "democratic_consultation_coverage") | .numerator == 1' >/dev/null; }
wait_until 20 "the broker has the facts" caught_up
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/indicators?year=2017")" = 401 ] || fail "indicators without a token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TC" "$B/indicators?year=17x")" = 400 ] ||
    fail "a bad year was not refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TC" "$B/indicators?unit=$C1")" = 400 ] ||
    fail "a community's indicators were not refused (they are per township)"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TC" "$B/indicators?unit=xinbei.nowhere")" = 404 ] ||
    fail "an unknown unit"

# check DOC ID NUM DEN VALUE TARGET MET: one row as this test computes it
# (VALUE and TARGET null when there is none; a share in percent, 2 decimals).
check() {
    local r
    r=$(row "$1" "$2")
    [ -n "$r" ] || fail "no row $2"
    jq -e --argjson n "$3" --argjson d "$4" --argjson v "$5" --argjson t "$6" --argjson m "$7" \
        '.numerator == $n and .denominator == $d and .value == $v and .target == $t and .met == $m' <<<"$r" >/dev/null ||
        fail "$2: $r, expected numerator $3, denominator $4, value $5, target $6, met $7"
}
d17=$(ind "year=2017")
jq -e '.year == 2017 and .unit.id == "xinbei" and .unit.name == "新北区" and (.townships | length) == 2' <<<"$d17" >/dev/null ||
    fail "the district's 2017 answer: $d17"
# Communities: C1 (urban, 三井街道第一社区) and V1 (a village, 新桥镇西桥村).
# 2017: C1 room 820 (>= 700), V1 520 (>= 500): 2 of 2; harmonious only V1; workers (5+3)/(10+4).
check "$d17" harmonious_community_rate 1 2 50 25 true
check "$d17" service_room_compliance 2 2 100 70 true
check "$d17" township_service_center_rate 1 2 50 50 true
check "$d17" social_worker_cert_rate_u45 8 14 57.14 40 true
check "$d17" social_orgs_per_urban_community 7 1 7 6 true
check "$d17" social_orgs_per_rural_community 4 1 4 3 true
check "$d17" grid_management_coverage 1 2 50 10 true
check "$d17" democratic_consultation_coverage 0 2 0 2 false
check "$d17" urban_service_room_avg 820 1 820 null null
check "$d17" rural_service_room_avg 520 1 520 null null
check "$d17" office_room_within_20pct 1 2 50 null null
row "$d17" harmonious_community_rate | jq -e '.zh == "高标准城乡和谐社区创建率" and .units == 2 and .reported == 1' >/dev/null ||
    fail "the harmonious row's names and counts: $(row "$d17" harmonious_community_rate)"
row "$d17" informatization_coverage | jq -e '.plan | test("试点")' >/dev/null || fail "the 2017 plan words: $(row "$d17" informatization_coverage)"
# 2018: C1's room is 500 (< 700 for an urban community), certified 9 of 10; V1 consults.
d18=$(ind "year=2018")
check "$d18" service_room_compliance 1 2 50 80 false
check "$d18" social_worker_cert_rate_u45 12 14 85.71 60 true
check "$d18" democratic_consultation_coverage 1 2 50 30 true
check "$d18" urban_service_room_avg 500 1 500 null null
# Per township: the town alone.
t17=$(ind "year=2017&unit=$T2")
jq -e '.unit.name == "新桥镇" and (has("townships") | not)' <<<"$t17" >/dev/null || fail "the town's answer: $t17"
check "$t17" harmonious_community_rate 1 1 100 25 true
check "$t17" township_service_center_rate 1 1 100 50 true
check "$t17" grid_management_coverage 0 1 0 10 false
check "$t17" social_orgs_per_urban_community 0 0 null 6 null
# The district's answer carries the same township rows.
[ "$(jq -c --arg t $T2 '.townships[] | select(.id == $t) | .indicators' <<<"$d17")" = "$(jq -c .indicators <<<"$t17")" ] ||
    fail "the district's row of the town differs from the town's own"
# 2016, before the plan: only C1's old room (650, short of 700), no targets.
d16=$(ind "year=2016")
check "$d16" service_room_compliance 0 2 0 null null
check "$d16" urban_service_room_avg 650 1 650 null null

# 信息化覆盖率 this year: minutes the nodes were live over the minutes the broker watched.
year=$(TZ=Asia/Shanghai date +%Y)
live_counted() {
    local r
    r=$(row "$(ind "year=$year")" informatization_coverage)
    jq -e --argjson n "$n_nodes" '.units == $n and .reported == $n and .denominator > 0 and .numerator > 0 and
        .numerator <= .denominator and .value > 0 and .value <= 100' <<<"$r" >/dev/null
}
wait_until 30 "every node's live minutes counted" live_counted
now=$(ind "year=$year")
jq -e --argjson n "$n_nodes" '.observed_minutes as $o | $o > 0 and
    (.indicators[] | select(.id == "informatization_coverage") | .denominator == $o * $n)' <<<"$now" >/dev/null ||
    fail "the coverage's denominator is not the watched minutes times the nodes: $now"

# ---- a forged fact: a community's key reports a township's fact on the bus ----
bus_setup
refused() { curl -sf "${B%/api/v1}/metrics" | awk '$1 == "gridlink_broker_refused_total{reason=\"fact\"}" {print $2}'; }
[ "$(refused)" = 0 ] || fail "facts refused before any was forged: $(refused)"
"$BUSPROBE" publish "$BUS_IN" "$BROKER_KEY" "$KEYS/$C1.cert" node=$C1 seq=$(($(log_seq $C1) + 1)) kind=fact \
    fact=grid_management:1
wait_until 10 "the forged fact counted" test "$(refused)" = 1
# Its sequence was not taken: the community's next real fact reaches the indicators.
gl facts set --node $C1 social_orgs 9 --as-of 2017-12-01 >/dev/null
wait_until 10 "the real fact after the forged one" eval 'row "$(ind year=2017)" social_orgs_per_urban_community | jq -e ".numerator == 9" >/dev/null'
check "$(ind year=2017)" grid_management_coverage 1 2 50 10 true
d17=$(ind "year=2017")
d18=$(ind "year=2018")
log "a forged fact refused and counted; the real ones go on"

# ---- a broker killed with SIGKILL comes back with the same figures ----
old=$(broker_pid)
[ -n "$old" ] || fail "no broker process"
kill -KILL "$old"
new_broker() { local p; p=$(broker_pid); [ -n "$p" ] && [ "$p" != "$old" ] && TC=$(login centre centre-pass-1 "$B" 2>/dev/null) && ind "year=2017" >/dev/null; }
wait_until 20 "the broker restarted" new_broker
strip() { jq -c 'del(.as_of) | .indicators |= map(select(.id != "informatization_coverage")) |
    .townships |= map(.indicators |= map(select(.id != "informatization_coverage")))'; }
[ "$(ind "year=2017" | strip)" = "$(strip <<<"$d17")" ] || fail "the restarted broker's 2017 figures differ: $(ind "year=2017")"
[ "$(ind "year=2018" | strip)" = "$(strip <<<"$d18")" ] || fail "the restarted broker's 2018 figures differ"
after=$(row "$(ind "year=$year")" informatization_coverage | jq .denominator)
before=$(row "$now" informatization_coverage | jq .denominator)
# A kill loses at most the marks of the last commit (100 ms): one minute of each node.
[ "$after" -ge $((before - n_nodes)) ] || fail "the restarted broker lost watched minutes: $before before, $after after"
log "ok"
