# The staff HTTP API, walked with curl as its users would: a grid worker
# reports from the street, the community officer finds it in the queue,
# accepts and resolves it, the grid worker verifies it; every change names
# the person. Tokens: none, a bad one or a logged-out one get 401; a grid
# worker acting on another grid's node gets 403 and nothing changes.
# Malformed JSON, an oversized body, an unknown route and a wrong method get
# clear JSON errors; a client stuck in its headers is cut off, and idle
# connections do not stop the node serving its other clients or its links.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
G1=$C1.g1
G2=$C1.g2

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
adduser wang grid $G1 "street-pass-1"
adduser li grid $G2 "street-pass-2"
adduser zhao community $C1 "office-pass-3"

U1=$(url_of $G1)
UC=$(url_of $C1)
U2=$(url_of $G2)
[[ "$U1" =~ ^http://127\.0\.0\.1:[0-9]+/api/v1$ ]] || fail "health's http_url for $G1: '$U1'"
log "API: $G1 at $U1, $C1 at $UC"


# Who may come in.
expect_status 401 GET "$UC/nodes/$C1/cases" ""
jq -e '.error.code == "unauthorized" and (.error.message | length > 0)' "$HOME_DIR/body" >/dev/null || fail "401 body: $(body)"
expect_status 401 GET "$UC/nodes/$C1/cases" "not-a-token"
expect_status 401 POST "$U1/login" "" '{"name": "wang", "password": "wrong-password"}'
TW=$(login wang street-pass-1)
TL=$(login li street-pass-2)
TZ=$(login zhao office-pass-3)
[ ${#TW} -ge 40 ] || fail "a token of ${#TW} characters"

# The grid worker reports.
expect_status 201 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": "路面塌陷，直径约一米", "priority": "urgent", "lat": 31.8712, "lon": 119.9561, "located": true}'
id=$(body | jq -r .id)
body | jq -e '.located and .lat == 31.8712 and .lon == 119.9561 and .state == "reported" and .category_name == "城管/道路设施" and (.created | test("Z$")) and .history[0].by == "wang"' >/dev/null ||
    fail "the new case: $(body)"
log "wang reported $id"

# The community officer finds it in the queue and works it.
wait_until 5 "$C1 holds $id" case_is $C1 "$id" ".holder == \"$C1\""
expect_status 200 GET "$UC/nodes/$C1/cases?state=reported&holding=1" "$TZ"
body | jq -e --arg id "$id" '[.cases[].id] | index($id) != null' >/dev/null || fail "the queue: $(body)"
expect_status 200 POST "$UC/nodes/$C1/cases/$id/actions/accept" "$TZ" '{"note": "已签收"}'
body | jq -e '.state == "accepted" and .history[-1].by == "zhao"' >/dev/null || fail "accept: $(body)"
expect_status 200 POST "$UC/nodes/$C1/cases/$id/actions/resolve" "$TZ" '{"note": "已修复"}'
body | jq -e '.state == "resolved"' >/dev/null || fail "resolve: $(body)"

# Another grid's worker may not touch it: 403, nothing changed.
expect_status 403 POST "$U2/nodes/$G1/cases/$id/actions/verify" "$TL" '{}'
jq -e '.error.code == "forbidden"' "$HOME_DIR/body" >/dev/null || fail "403 body: $(body)"
expect_status 404 POST "$U2/nodes/$G2/cases/$id/actions/verify" "$TL" '{}' # her own grid never saw it
expect $C1 "$id" '.state == "resolved"'
# A grid worker may not act as the community either.
expect_status 403 POST "$UC/nodes/$C1/cases/$id/actions/verify" "$TW" '{}'

# The reporter verifies: sent on to the holder, closed there.
expect_status 202 POST "$U1/nodes/$G1/cases/$id/actions/verify" "$TW" '{"note": "现场已复核"}'
wait_until 5 "$id closed at $C1" case_is $C1 "$id" '.state == "closed"'
expect_status 200 GET "$UC/nodes/$C1/cases/$id" "$TZ"
body | jq -e '.state == "closed" and ([.history[] | select(.by == "wang")] | length) >= 2 and .holder_name == "三井街道第一社区"' >/dev/null ||
    fail "the closed case: $(body)"
log "accepted and resolved by zhao, verified by wang, over HTTP"

# Bad input: clear errors, and the node goes on serving.
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": '
jq -e '.error.code == "bad-request" and (.error.message | test("JSON"))' "$HOME_DIR/body" >/dev/null || fail "bad JSON: $(body)"
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "urban/roads", "text": "x", "colour": "red"}'
jq -e '.error.message | test("colour")' "$HOME_DIR/body" >/dev/null || fail "unknown field: $(body)"
expect_status 400 POST "$U1/nodes/$G1/cases" "$TW" '{"category": "no/such", "text": "x"}'
head -c 300000 /dev/zero | tr '\0' 'a' >"$HOME_DIR/big"
code=$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TW" --data-binary @"$HOME_DIR/big" "$U1/nodes/$G1/cases")
[ "$code" = 413 ] || fail "an oversized body: status $code"
expect_status 404 GET "$U1/nodes/$G1/nothing" "$TW"
expect_status 405 POST "$U1/nodes/$G1/health" "$TW" '{}'
expect_status 200 GET "$U1/nodes/$G1/health" "$TW"
body | jq -e --arg n "$G1" '.node == $n' >/dev/null || fail "health over HTTP: $(body)"

# Slow and idle clients. A request whose headers never finish is cut off
# 5 s after it connected, and so is one that sends its headers a byte every
# 2 s (never idle long enough for an inactivity timeout); 1,000 connections
# that send nothing leave the door and the tree links serving everyone else.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=${U1#http://127.0.0.1:}
port=${port%%/*}
exec 7<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /api/v1/nodes/%s/health HTTP/1.1\r\nHost: x\r\nX-Slow: ' "$G1" >&7
exec 8<>"/dev/tcp/127.0.0.1/$port"
(
    for c in G E T ' ' / a p i; do
        printf '%s' "$c" >&8 2>/dev/null || exit 0
        sleep 2 # the client under test: one byte every 2 s
    done
) &
TRICKLE=$!
BG_PIDS+=("$TRICKLE")
idle=()
for _ in $(seq 1000); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    idle+=("$fd")
done
expect_status 200 GET "$U1/nodes/$G1/health" "$TW"
slow_id=$(gl submit --node $G1 --category urban/roads --text "井盖缺失")
wait_until 5 "$C1 holds $slow_id with 1002 clients waiting" case_is $C1 "$slow_id" ".holder == \"$C1\""
start=$(date +%s)
timeout 15 cat <&7 >/dev/null || fail "the slow client was not cut off within 15 s"
timeout 15 cat <&8 >/dev/null || fail "the trickling client was not cut off within 15 s"
took=$(($(date +%s) - start))
[ "$took" -le 8 ] || fail "the trickling client was cut off only after $took s"
log "clients stuck in their headers (silent, and a byte every 2 s) were cut off within $took s; 1,000 idle connections, the API and the tree served meanwhile"
exec 7<&-
exec 8<&-
for fd in "${idle[@]}"; do exec {fd}<&-; done
expect_status 200 GET "$U1/nodes/$G1/health" "$TW"
body | jq -e '.node != null and .http_cut >= 2 and .http_requests > 10' >/dev/null || fail "health after the idle clients (cut connections counted): $(body)"

# Logging out ends the token.
expect_status 200 POST "$U1/logout" "$TW" '{}'
expect_status 401 GET "$U1/nodes/$G1/cases" "$TW"
log "ok: lifecycle over HTTP by three people; 401, 403, 400, 413, 404, 405 as they should be"
