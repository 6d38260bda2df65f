# Needs surveys (需求调查) end to end over HTTP: a community officer
# publishes a survey at the community (one question of every kind) and
# issues survey codes; several residents answer on the public door (four
# with survey codes, one with the follow-up code of a request filed there);
# a reused code, an unknown one, a bad answer and an answer after closing
# are refused with JSON errors. The community's results equal what the
# test computes from the answers it sent; the texts are the staff's and
# never public; the district (another process) lists the survey with the
# same counts once the tally has climbed; a need becomes a task that the
# grid it went to holds, recorded on the survey.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
D=xinbei
G1=$C1.g1

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json" --group township
API=$(url_of $C1)
DAPI=$(url_of $D)
[ "$API" != "$DAPI" ] || fail "the district and $C1 share a process; the tally would not climb a link"
P=${API%/api/v1}/public/v1
adduser zhao community $C1 "office-pass-1"
adduser chen monitor $D "office-pass-2"
TZ=$(login zhao office-pass-1 "$API")
TD=$(login chen office-pass-2 "$DAPI")

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
CALL=rec

pub() { curl -s -o "$HOME_DIR/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$P/$1"; }
pub_get() { curl -s -o "$HOME_DIR/body" -w '%{http_code}' "$P/$1"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
error_is() { body | jq -e --arg c "$1" '.error.code == $c and (.error.message | test("[\u4e00-\u9fff]"))' >/dev/null || fail "$2: $(body)"; }

DEF='{"title": "2027年社区服务需求调查", "intro": "请选出您最需要的服务",
  "questions": [
    {"id": "need", "kind": "single", "text": "您最需要哪项服务？", "required": true,
     "options": ["老年助餐", "托育服务", "停车位", "健身场地"]},
    {"id": "also", "kind": "multi", "text": "还需要哪些？", "options": ["法律咨询", "就业指导", "文体活动"]},
    {"id": "sat", "kind": "scale", "text": "对社区服务的满意度", "required": true},
    {"id": "age", "kind": "number", "text": "您的年龄"},
    {"id": "say", "kind": "text", "text": "其他建议"}]}'

# Bad definitions are refused with a reason.
expect_status 400 POST "$API/nodes/$C1/surveys" "$TZ" '{"title": "x", "questions": [{"id": "a", "kind": "pick", "text": "?"}]}'
body | jq -e '.error.message | test("kind")' >/dev/null || fail "a bad kind: $(body)"
expect_status 400 POST "$API/nodes/$C1/surveys" "$TZ" '{"title": "x", "questions": [{"id": "a", "kind": "single", "text": "?", "options": ["only"]}]}'
expect_status 400 POST "$API/nodes/$C1/surveys" "$TZ" '{"title": "x", "questions": []}'
expect_status 403 POST "$API/nodes/$C1/surveys" "$(login chen office-pass-2 "$DAPI")" "$DEF"

expect_status 201 POST "$API/nodes/$C1/surveys" "$TZ" "$DEF"
S=$(body | jq -r .id)
[[ "$S" =~ ^$C1-s[0-9]+$ ]] || fail "the survey's id: $(body)"
body | jq -e '.unit_name == "三井街道第一社区" and .answers == 0 and (.questions | length) == 5 and .closed == false' \
    >/dev/null || fail "the published survey: $(body)"
log "published $S"

# Survey codes, given once and kept only as hashes.
expect_status 201 POST "$API/nodes/$C1/surveys/$S/tickets" "$TZ" '{"count": 4}'
mapfile -t CODES < <(body | jq -r '.codes[]')
[ "${#CODES[@]}" = 4 ] || fail "4 codes: $(body)"
for c in "${CODES[@]}"; do [[ "$c" =~ ^[2-9A-HJ-NP-Z]{12}$ ]] || fail "code $c"; done
! grep -rqa --exclude=body --exclude="answer.*" "${CODES[0]}" "$HOME_DIR" || fail "a survey code itself is kept in $HOME_DIR"

# A resident's request at the township's door gives a follow-up code.
RC=$(curl -s --data-urlencode service_code=urban/lighting --data-urlencode "address_string=三井街道晋陵北路88号" \
    --data-urlencode "description=路灯不亮" --data-urlencode lat=31.87 --data-urlencode long=119.955 "$P/requests" | jq -r .code)
[[ "$RC" =~ ^[2-9A-HJ-NP-Z]{12}$ ]] || fail "no follow-up code: $RC"

# The public page's reads: the open survey, its definition without results.
want "$(pub_get "surveys?node=$C1")" 200 "the open surveys"
body | jq -e --arg s "$S" '[.surveys[] | select(.id == $s)] | length == 1' >/dev/null || fail "open surveys: $(body)"
want "$(pub_get "surveys/$C1/$S")" 200 "the definition"
body | jq -e '.open == true and (.questions[0].options | length) == 4 and ([.questions[] | has("counts")] | any | not)' \
    >/dev/null || fail "the public definition: $(body)"
want "$(pub_get "surveys?node=$G1")" 404 "a grid's surveys"

# Five residents answer; the test keeps what it sent.
ANS='[{"need": "老年助餐", "also": ["法律咨询", "文体活动"], "sat": 4, "age": 67, "say": "希望增加助餐点"},
      {"need": "停车位", "also": [], "sat": 2, "age": 35},
      {"need": "老年助餐", "also": ["文体活动"], "sat": 5, "say": "楼道灯需要修"},
      {"need": "托育服务", "also": ["就业指导", "文体活动"], "sat": 3, "age": 29},
      {"need": "老年助餐", "sat": 4, "age": 72}]'
KEYS=("${CODES[0]}" "${CODES[1]}" "$(tr 'A-Z' 'a-z' <<<"${CODES[2]}")" "${CODES[3]:0:6}-${CODES[3]:6}" "$RC")
for i in 0 1 2 3 4; do
    a=$(jq -c ".[$i]" <<<"$ANS")
    want "$(pub "surveys/$C1/$S/answers" "{\"code\": \"${KEYS[$i]}\", \"answers\": $a}")" 201 "answer $i"
    body | jq -e '.message | test("感谢")' >/dev/null || fail "answer $i: $(body)"
done
log "five answers taken (four survey codes, one follow-up code)"

# Refusals: a code used twice, an unknown code, a bad value, a required question left out.
want "$(pub "surveys/$C1/$S/answers" "{\"code\": \"${CODES[1]}\", \"answers\": {\"need\": \"停车位\", \"sat\": 1}}")" 409 "a reused code"
error_is answered "a reused code"
want "$(pub "surveys/$C1/$S/answers" "{\"code\": \"$RC\", \"answers\": {\"need\": \"停车位\", \"sat\": 1}}")" 409 "a reused follow-up code"
want "$(pub "surveys/$C1/$S/answers" '{"code": "ABCDEFGHJKLM", "answers": {"need": "停车位", "sat": 1}}')" 404 "an unknown code"
error_is unknown-code "an unknown code"
want "$(pub "surveys/$C1/$S/answers" '{"code": "ABCDEFGHJKLM", "answers": {"need": "停车位", "sat": 9}}')" 400 "a scale of 9"
want "$(pub "surveys/$C1/$S/answers" '{"code": "ABCDEFGHJKLM", "answers": {"sat": 3}}')" 400 "need left out"
error_is bad-answer "need left out"
want "$(pub "surveys/$C1/$S/answers" 'not json')" 400 "not JSON"

# What the answers say, computed here from what was sent.
OPTS=$(jq -c '.questions' <<<"$DEF")
expected() {
    jq -c --argjson q "$OPTS" '. as $a | {
        answers: ($a | length),
        need: [$q[0].options[] as $o | [$a[] | select(.need == $o)] | length],
        also: [$q[1].options[] as $o | [$a[] | select((.also // []) | index($o))] | length],
        also_answered: [$a[] | select((.also // []) | length > 0)] | length,
        sat: [range(1; 6) as $v | [$a[] | select(.sat == $v)] | length],
        sat_mean: ([$a[].sat] | add / length),
        age_n: [$a[] | select(.age)] | length,
        age_mean: ([$a[].age // empty] | add / length),
        say_n: [$a[] | select(.say)] | length,
        says: [$a[].say // empty] | sort}' <<<"$ANS"
}
results() {
    jq -c '{answers,
        need: (.questions[0].counts), also: (.questions[1].counts), also_answered: .questions[1].answered,
        sat: .questions[2].counts, sat_mean: .questions[2].mean,
        age_n: .questions[3].answered, age_mean: .questions[3].mean,
        say_n: .questions[4].answered, says: ((.questions[4].texts // []) | sort)}'
}
WANT=$(expected)
log "expected: $WANT"
expect_status 200 GET "$API/nodes/$C1/surveys/$S" "$TZ"
GOT=$(body | results)
[ "$GOT" = "$WANT" ] || fail "the community's results $GOT, expected $WANT"
[ "$("$GRIDLINK" survey show --home "$HOME_DIR" --node $C1 --survey "$S" --json | results)" = "$WANT" ] || fail "the CLI's results differ"

# Texts and counts stay with the staff.
for p in "surveys?node=$C1" "surveys/$C1/$S"; do
    pub_get "$p" >/dev/null
    ! grep -q -e 希望增加助餐点 -e 楼道灯 "$HOME_DIR/body" || fail "a text answer is public: $p"
    ! grep -q -e '"counts"' -e '"answers"' -e '"answered"' -e '"texts"' "$HOME_DIR/body" || fail "results are public: $p: $(body)"
done

# The district, in another process, lists it with the same counts (no texts).
dist_has() {
    rec GET "$DAPI/nodes/$D/surveys" "$TD" >/dev/null
    body | jq -e --arg s "$S" '[.surveys[] | select(.id == $s and .answers == 5)] | length == 1' >/dev/null
}
wait_until 10 "the district has the tally" dist_has
DGOT=$(body | jq -c --arg s "$S" '.surveys[] | select(.id == $s)' | results)
DWANT=$(jq -c '.says = []' <<<"$WANT")
[ "$DGOT" = "$DWANT" ] || fail "the district's counts $DGOT, expected $DWANT"
body | jq -e --arg s "$S" '.surveys[] | select(.id == $s) | .unit_name == "三井街道第一社区"' >/dev/null ||
    fail "the district's listing: $(body)"
expect_status 200 GET "$DAPI/nodes/$D/surveys/$S" "$TD"
log "the district lists $S with 5 answers and the same counts"

# A need becomes a task at the grid.
expect_status 201 POST "$API/nodes/$C1/surveys/$S/task" "$TZ" \
    '{"question": "need", "option": 1, "to": "'$G1'", "category": "services/elderly", "title": "增设老年助餐点"}'
T=$(body | jq -r .id)
body | jq -e '.kind == "task" and (.text | test("老年助餐") and test("3 人选择") and test("需求调查"))' >/dev/null ||
    fail "the task: $(body)"
wait_until 10 "$G1 holds $T" case_is $G1 "$T" ".holder == \"$G1\" and .kind == \"task\""
expect_status 200 GET "$API/nodes/$C1/surveys/$S" "$TZ"
body | jq -e --arg t "$T" '.tasks == [$t]' >/dev/null || fail "the survey does not record $T: $(body)"
log "the need became task $T at $G1"

# Closed: no more answers, no longer listed as open.
"$GRIDLINK" survey close --home "$HOME_DIR" --node $C1 --survey "$S" >/dev/null || fail "survey close"
want "$(pub "surveys/$C1/$S/answers" "{\"code\": \"${CODES[0]}\", \"answers\": {\"need\": \"停车位\", \"sat\": 1}}")" 409 "after closing"
want "$(pub_get "surveys?node=$C1")" 200 "the open surveys after closing"
body | jq -e '.surveys == []' >/dev/null || fail "a closed survey is listed open: $(body)"
wait_until 10 "the district sees it closed" eval 'call GET "$DAPI/nodes/$D/surveys" "$TD" >/dev/null && body | jq -e --arg s "$S" ".surveys[] | select(.id == \$s) | .closed" >/dev/null'
[ "$(gl health --node $C1 --json | jq .public_refused)" -ge 8 ] || fail "refusals are not counted"
log "closed; refusals counted"
expect_status 200 GET "$API/openapi.json" ""
cp "$HOME_DIR/body" "$HOME_DIR/openapi.json"
python3 "$GL_SRC/tests/integration/openapi_check.py" recorded "$HOME_DIR/openapi.json" "$MANIFEST" >&2 ||
    fail "a survey answer does not match the OpenAPI document"
log "ok: $(wc -l <"$MANIFEST") staff answers match the OpenAPI document"
