# The OpenAPI document at /api/v1/openapi.json against the API's real
# answers: the document is fetched without a token and checked as OpenAPI
# 3.0 (openapi_check.py: required keys, every $ref resolves, every
# operation has responses); then a grid worker, a community officer and a
# township officer work cases of each kind over HTTP, with filters, pages,
# actions and the errors (401, 403, 404, 400, 405, 409, 411, 413), and every
# answer's body is validated against the schema the document gives for its
# path, method and status. Last, altered copies of real answers (an
# undeclared key, a wrong type, a missing key) must be refused, so the
# check can fail.
#
# Photos (stored, cached, refused), the cookie (reads only) and the event
# stream (each event's data a BusEvent) are checked the same way, and so are
# the web app's reads (/me, /categories, a node's info).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
G1=$C1.g1
G2=$C1.g2
T=xinbei.sanjing
CHECK="$GL_SRC/tests/integration/openapi_check.py"
python3 -c 'import jsonschema' || fail "python3-jsonschema is missing (scripts/install-deps.sh)"

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
adduser wang grid $G1 "street-pass-1"
adduser li grid $G2 "street-pass-2"
adduser zhao community $C1 "office-pass-3"
adduser sun township $T "office-pass-4"

U1=$(url_of $G1)
UC=$(url_of $C1)
U2=$(url_of $G2)
UT=$(url_of $T)

# rec [--pending] [--type TYPE] METHOD URL TOKEN [BODY|@FILE]: makes the
# request, records it in the manifest for the checker and prints its status;
# the body is in $HOME_DIR/body. --pending: a route not served everywhere yet.
MANIFEST="$HOME_DIR/manifest.jsonl"
rec() {
    local pending=false type=application/json
    while [ "${1#--}" != "$1" ]; do
        case $1 in
        --pending) pending=true ;;
        --type) type=$2 && shift ;;
        esac
        shift
    done
    local out sent=""
    out=$(mktemp "$HOME_DIR/answer.XXXXXX")
    local args=(-s -o "$out" -w '%{http_code} %{content_type}' -X "$1" "$2")
    [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
    if [ $# -ge 4 ]; then
        sent=$(mktemp "$HOME_DIR/request.XXXXXX")
        if [ "${4:0:1}" = @ ]; then cp "${4:1}" "$sent"; else printf '%s' "$4" >"$sent"; fi
        args+=(-H "Content-Type: $type" --data-binary @"$sent")
    fi
    local got status ctype
    got=$(curl "${args[@]}" "${CURL_EXTRA[@]}") || true
    status=${got%% *}
    ctype=${got#* }
    [ "$ctype" = "$got" ] && ctype=""
    [ "$type" = application/json ] || sent=""
    jq -cn --arg m "$1" --arg u "$2" --arg s "$status" --arg t "$ctype" --arg b "$out" --arg r "$sent" \
        --argjson p "$pending" '{method: $m, url: $u, status: $s, type: $t, body: $b, request: $r, pending: $p}' >>"$MANIFEST"
    cp "$out" "$HOME_DIR/body"
    echo "$status"
}
CURL_EXTRA=()
CALL=rec

# The document: public, about this process, well-formed.
expect_status 200 GET "$U1/openapi.json" ""
cp "$HOME_DIR/body" "$HOME_DIR/openapi.json"
python3 "$CHECK" document "$HOME_DIR/openapi.json" >&2 || fail "the document is not well-formed"
[ "$(jq -r '.servers[0].url' "$HOME_DIR/openapi.json")" = "$U1" ] || fail "servers: $(jq -c .servers "$HOME_DIR/openapi.json")"
expect_status 405 POST "$U1/openapi.json" "" '{}'
expect_status 200 GET "$UT/openapi.json" ""
jq -e --arg u "$UT" '.servers[0].url == $u' "$HOME_DIR/body" >/dev/null || fail "the township's process names itself: $(jq -c .servers "$HOME_DIR/body")"

# Who may come in.
expect_status 401 GET "$UC/nodes/$C1/cases" ""
expect_status 401 GET "$UC/nodes/$C1/cases" "not-a-token"
expect_status 401 POST "$U1/login" "" '{"name": "wang", "password": "wrong-password"}'
expect_status 400 POST "$U1/login" "" '{"name": "wang"}'
expect_status 405 GET "$U1/login" ""
TW=$(login wang street-pass-1)
TL=$(login li street-pass-2)
TZ=$(login zhao office-pass-3)
TS=$(login sun office-pass-4)
expect_status 200 GET "$U1/nodes/$G1/health" "$TW"
expect_status 200 GET "$UT/nodes/$T/health" "$TS"
expect_status 405 POST "$U1/nodes/$G1/health" "$TW" '{}'

# An incident, worked to the end.
expect_status 201 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": "路面塌陷", "priority": "urgent", "address": "三井花园12幢"}'
inc=$(body | jq -r .id)
wait_until 5 "$C1 holds $inc" case_is $C1 "$inc" ".holder == \"$C1\""
expect_status 200 POST "$UC/nodes/$C1/cases/$inc/actions/accept" "$TZ" '{"note": "已签收"}'
expect_status 409 POST "$UC/nodes/$C1/cases/$inc/actions/accept" "$TZ" '{}'
expect_status 200 POST "$UC/nodes/$C1/cases/$inc/actions/extend" "$TZ" '{"by_ms": 3600000, "note": "等材料"}'
expect_status 200 POST "$UC/nodes/$C1/cases/$inc/actions/start" "$TZ" '{}'
expect_status 200 POST "$UC/nodes/$C1/cases/$inc/actions/resolve" "$TZ" '{"note": "已修复"}'
expect_status 202 POST "$U1/nodes/$G1/cases/$inc/actions/verify" "$TW" '{"note": "现场已复核"}'
wait_until 5 "$inc closed at $C1" case_is $C1 "$inc" '.state == "closed"'
expect_status 200 GET "$UC/nodes/$C1/cases/$inc" "$TZ"
expect_status 200 GET "$U1/nodes/$G1/cases/$inc" "$TW"

# A resident's request at the community's intake, returned to the queue
# of nobody: the community takes it, then merges a duplicate into it.
expect_status 201 POST "$UC/nodes/$C1/cases" "$TZ" '{"kind": "request", "category": "urban/lighting", "text": "路灯不亮", "address": "三井花园", "reporter": "13800000000"}'
req=$(body | jq -r .id)
expect_status 201 POST "$UC/nodes/$C1/cases" "$TZ" '{"kind": "request", "category": "urban/lighting", "text": "路灯不亮（重复）", "located": true, "lat": 31.87, "lon": 119.965}'
dup=$(body | jq -r .id)
expect_status 200 GET "$UC/nodes/$C1/cases/$req" "$TZ"
rec POST "$UC/nodes/$C1/cases/$dup/actions/merge" "$TZ" "{\"into\": \"$req\"}" >/dev/null

# A task from the township to the community, returned; a whistle to a
# department, with its part.
expect_status 201 POST "$UT/nodes/$T/cases" "$TS" "{\"kind\": \"task\", \"category\": \"services/elderly\", \"text\": \"独居老人走访\", \"to\": \"$C1\", \"due_ms\": 86400000}"
task=$(body | jq -r ".case_ids[0]")
wait_until 5 "$C1 holds $task" case_is $C1 "$task" ".holder == \"$C1\""
# (answered 202 today, since the case has left the node asked)
code=$(rec POST "$UC/nodes/$C1/cases/$task/actions/return" "$TZ" '{"reason": "not-ours", "note": "非本社区"}')
body | jq -e '.state == "returned"' >/dev/null || fail "return: $code $(body)"
expect_status 201 POST "$UT/nodes/$T/cases" "$TS" '{"kind": "whistle", "category": "urban/roads", "text": "违建联合执法", "departments": ["xinbei.sanjing.market"], "sign_within_ms": 1800000}'
whistle=$(body | jq -r .id)
expect_status 200 GET "$UT/nodes/$T/cases/$whistle" "$TS"
body | jq -e '.parts | length == 1' >/dev/null || fail "the whistle's parts: $(body)"
rec POST "$UT/nodes/$T/cases/$task/actions/urge" "$TS" '{"note": "请尽快"}' >/dev/null
log "cases: incident $inc, requests $req and $dup, task $task, whistle $whistle"

# Lists: filters and pages.
for q in "state=closed" "kind=request" "category=urban" "holder=$C1" "text=%E8%B7%AF%E7%81%AF" "overdue=1" \
    "due_soon=1" "unplaced=1" "holding=1" "limit=1" "limit=1&page=2" "state=reported&kind=incident&limit=5&page=1"; do
    expect_status 200 GET "$UC/nodes/$C1/cases?$q" "$TZ"
done
expect_status 200 GET "$UC/nodes/$C1/cases?limit=1" "$TZ"
next=$(body | jq -r '.next // empty')
[ -n "$next" ] || fail "a page of one among several has no next: $(body)"
expect_status 200 GET "$UC/nodes/$C1/cases?limit=1&after=$next" "$TZ"
expect_status 200 GET "$UT/nodes/$T/cases" "$TS"

# Errors.
expect_status 403 POST "$U2/nodes/$G1/cases/$inc/actions/verify" "$TL" '{}'
expect_status 403 GET "$UC/nodes/$C1/cases" "$TW"
expect_status 404 GET "$U1/nodes/$G1/cases/$G1-999999" "$TW"
expect_status 404 GET "$U1/nodes/$G1/nothing" "$TW"
expect_status 404 GET "$U1/nodes/no.such.node/health" "$TW"
expect_status 400 GET "$U1/nodes/$G1/cases/not%20an%20id" "$TW"
expect_status 400 GET "$U1/nodes/$G1/cases?limit=0" "$TW"
expect_status 400 GET "$U1/nodes/$G1/cases?state=flying" "$TW"
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": '
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": "x", "colour": "red"}'
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "no/such", "text": "x"}'
expect_status 405 GET "$U1/nodes/$G1/cases/$inc/actions/accept" "$TW"
head -c 300000 /dev/zero | tr '\0' 'a' >"$HOME_DIR/big"
expect_status 413 POST "$U1/nodes/$G1/cases" "$TW" @"$HOME_DIR/big"
CURL_EXTRA=(-H "Transfer-Encoding: chunked")
expect_status 411 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": "x"}'
CURL_EXTRA=()

# Photos: stored, stored again, read, read again from a cache, one of the
# wrong type, one attached to a new case.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82' >"$HOME_DIR/dot.png"
sha=$(sha256sum "$HOME_DIR/dot.png" | cut -d' ' -f1)
expect_status 201 --type image/png POST "$U1/nodes/$G1/attachments" "$TW" @"$HOME_DIR/dot.png"
expect_status 200 --type image/png POST "$U1/nodes/$G1/attachments" "$TW" @"$HOME_DIR/dot.png"
printf 'not a photo at all' >"$HOME_DIR/note.txt"
expect_status 400 --type image/png POST "$U1/nodes/$G1/attachments" "$TW" @"$HOME_DIR/note.txt"
expect_status 200 GET "$U1/nodes/$G1/attachments/$sha" "$TW"
cmp -s "$HOME_DIR/body" "$HOME_DIR/dot.png" || fail "the photo read back differs"
CURL_EXTRA=(-H "If-None-Match: \"$sha\"")
expect_status 304 GET "$U1/nodes/$G1/attachments/$sha" "$TW"
CURL_EXTRA=()
expect_status 404 GET "$U1/nodes/$G1/attachments/$(printf '%064d' 0)" "$TW"
expect_status 201 POST "$U1/nodes/$G1/cases" "$TW" "{\"category\": \"urban/greenery\", \"text\": \"树木倒伏\", \"attachments\": [\"$sha\"]}"

# The cookie login sets: reads only.
CURL_EXTRA=(-H "Cookie: gl_token=$TW")
expect_status 200 GET "$U1/nodes/$G1/cases" ""
expect_status 401 POST "$U1/nodes/$G1/cases" "" '{"category": "urban/roads", "text": "x"}'
CURL_EXTRA=()

# The event stream from the start of G1's log, read until its first event.
out=$(mktemp "$HOME_DIR/answer.XXXXXX")
curl -s -N -D "$out.headers" -o "$out" -H "Authorization: Bearer $TW" -H "Last-Event-ID: 0" "$U1/nodes/$G1/events" &
sse_pid=$!
BG_PIDS+=("$sse_pid")
wait_until 10 "an event on G1's stream" grep -q '^data:' "$out"
kill "$sse_pid"
wait "$sse_pid" 2>/dev/null || true
status=$(awk 'NR == 1 {print $2}' "$out.headers")
ctype=$(awk -F': ' 'tolower($1) == "content-type" {print $2}' "$out.headers" | tr -d '\r')
[ "$status" = 200 ] || fail "the event stream: status $status"
jq -cn --arg u "$U1/nodes/$G1/events" --arg s "$status" --arg t "$ctype" --arg b "$out" \
    '{method: "GET", url: $u, status: $s, type: $t, body: $b, request: "", pending: false}' >>"$MANIFEST"

# The web app's reads.
rec GET "$U1/me" "$TW" >/dev/null
rec GET "$U1/categories" "$TW" >/dev/null
rec GET "$U1/nodes/$G1" "$TW" >/dev/null

expect_status 200 POST "$U1/logout" "$TW" '{}'
expect_status 401 GET "$U1/nodes/$G1/cases" "$TW"

python3 "$CHECK" answers "$HOME_DIR/openapi.json" "$MANIFEST" >&2 || fail "an answer does not match the document"
log "ok: the document is well-formed and the $(wc -l <"$MANIFEST") answers recorded match it"
