# Photos and the event stream over HTTP, as the community officer works:
# the township dispatches a task to the community; the community officer,
# following the community's event stream, sees it arrive, accepts it, and
# resolves it with two photos (one small, one of several chunks); the
# township downloads both byte-identical and verifies. A grid worker's
# report with a photo climbs to the township the same way. A stream resumed
# with Last-Event-ID gets exactly the events after that one. Bad uploads
# are refused with clear errors: a text claiming to be a PNG, a file over
# 10 MiB, a photo named on a case where it was never uploaded, a write
# carried by the cookie alone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
T1=xinbei.sanjing
G1=$C1.g1

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
adduser zhao community $C1 "office-pass-3"
adduser sun township $T1 "office-pass-4"
adduser wang grid $G1 "street-pass-1"
UC=$(url_of $C1)
UT=$(url_of $T1)
UG=$(url_of $G1)

# upload URL TOKEN FILE TYPE: prints the status; the answer is in body.
upload() {
    curl -s -o "$HOME_DIR/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" -H "Content-Type: $4" \
        --data-binary @"$3" "$1"
}
TZ=$(login zhao office-pass-3 "$UC")
TS=$(login sun office-pass-4 "$UT")
TW=$(login wang street-pass-1 "$UG")

# Two photos: a small PNG and a JPEG of 1.5 MB (six chunks on the links).
printf '\x89PNG\r\n\x1a\n' >"$HOME_DIR/small.png"
head -c 2000 /dev/urandom >>"$HOME_DIR/small.png"
printf '\xff\xd8\xff\xe0' >"$HOME_DIR/big.jpg"
head -c 1500000 /dev/urandom >>"$HOME_DIR/big.jpg"
sha_small=$(sha256sum "$HOME_DIR/small.png" | cut -c1-64)
sha_big=$(sha256sum "$HOME_DIR/big.jpg" | cut -c1-64)

# The community officer follows the community's events from now on.
curl -s -N -H "Authorization: Bearer $TZ" "$UC/nodes/$C1/events" >"$HOME_DIR/events.txt" &
SSE_PID=$!
BG_PIDS+=("$SSE_PID")
wait_until 5 "the stream open" grep -q '^retry:' "$HOME_DIR/events.txt"

# The township dispatches; the community sees it arrive on the stream.
expect_status 201 POST "$UT/nodes/$T1/cases" "$TS" "{\"kind\": \"task\", \"to\": \"$C1\", \"category\": \"urban/sanitation\", \"text\": \"清理人行道堆物\"}"
task=$(body | jq -r .id)
wait_until 10 "the stream shows $task" grep -q "\"case_id\":\"$task\"" "$HOME_DIR/events.txt"
grep -A2 "^event: received" "$HOME_DIR/events.txt" | grep -q "\"case_id\":\"$task\"" ||
    fail "no 'received' event for $task on the stream: $(cat "$HOME_DIR/events.txt")"
log "the community's stream showed $task arriving"

# Accept, then resolve with the photos.
expect_status 200 POST "$UC/nodes/$C1/cases/$task/actions/accept" "$TZ" '{"note": "已签收"}'
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/small.png" image/png)
[ "$code" = 201 ] || fail "upload of the PNG: $code $(body)"
body | jq -e --arg h "$sha_small" '.sha256 == $h and .content_type == "image/png" and .size == 2008' >/dev/null ||
    fail "the PNG's receipt: $(body)"
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/big.jpg" image/jpeg)
[ "$code" = 201 ] || fail "upload of the JPEG: $code $(body)"
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/big.jpg" image/jpeg)
[ "$code" = 200 ] || fail "the same JPEG again: $code, expected 200 (stored already)"
expect_status 200 POST "$UC/nodes/$C1/cases/$task/actions/resolve" "$TZ" \
    "{\"note\": \"已清理，附照片\", \"attachments\": [\"$sha_small\", \"$sha_big\"]}"
body | jq -e --arg a "$sha_small" --arg b "$sha_big" '.state == "resolved" and .attachments == [$a, $b]' >/dev/null ||
    fail "resolve with photos: $(body)"

# The township has them, byte for byte, once the status is there.
wait_until 10 "$T1 sees $task resolved" case_is $T1 "$task" '.state == "resolved"'
for pair in "$sha_small:$HOME_DIR/small.png:image/png" "$sha_big:$HOME_DIR/big.jpg:image/jpeg"; do
    IFS=: read -r sha file type <<<"$pair"
    code=$(curl -s -D "$HOME_DIR/headers" -o "$HOME_DIR/got" -w '%{http_code}' -H "Authorization: Bearer $TS" \
        "$UT/nodes/$T1/attachments/$sha")
    [ "$code" = 200 ] || fail "the township's download of $sha: $code"
    cmp -s "$file" "$HOME_DIR/got" || fail "the township's copy of $sha differs from the upload"
    grep -qi "^content-type: $type" "$HOME_DIR/headers" || fail "content type of $sha: $(cat "$HOME_DIR/headers")"
    grep -qi '^cache-control: private, max-age=31536000, immutable' "$HOME_DIR/headers" || fail "caching of $sha"
    grep -qi "^etag: \"$sha\"" "$HOME_DIR/headers" || fail "ETag of $sha"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TS" -H "If-None-Match: \"$sha_big\"" \
    "$UT/nodes/$T1/attachments/$sha_big")
[ "$code" = 304 ] || fail "a download the browser has: $code, expected 304"
log "the township downloaded both photos byte-identical"

# The township verifies; the task closes.
expect_status 202 POST "$UT/nodes/$T1/cases/$task/actions/verify" "$TS" '{"note": "照片核实"}'
wait_until 10 "$task closed at $C1" case_is $C1 "$task" '.state == "closed"'

# Resuming: from the event before the last, exactly the last comes.
last=$(grep '^id: ' "$HOME_DIR/events.txt" | tail -n1 | cut -d' ' -f2)
[ -n "$last" ] && [ "$last" -gt 1 ] || fail "no event IDs on the stream"
wait_until 10 "the stream shows $task closed" grep -q "\"kind\":\"closed\".*\"case_id\":\"$task\"\|\"case_id\":\"$task\".*\"kind\":\"closed\"" "$HOME_DIR/events.txt"
last=$(grep '^id: ' "$HOME_DIR/events.txt" | tail -n1 | cut -d' ' -f2)
timeout 3 curl -s -N -H "Authorization: Bearer $TZ" -H "Last-Event-ID: $((last - 2))" "$UC/nodes/$C1/events" \
    >"$HOME_DIR/resumed.txt" || true
ids=$(grep '^id: ' "$HOME_DIR/resumed.txt" | cut -d' ' -f2 | tr '\n' ' ')
[ "$ids" = "$((last - 1)) $last " ] || fail "resumed after $((last - 2)): ids '$ids', expected '$((last - 1)) $last '"
# An EventSource sends the cookie login set.
curl -s -c "$HOME_DIR/cookies" -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data-binary '{"name": "zhao", "password": "office-pass-3"}' "$UC/login"
grep -q gl_token "$HOME_DIR/cookies" || fail "login set no cookie"
timeout 3 curl -s -N -b "$HOME_DIR/cookies" -H "Last-Event-ID: $((last - 1))" "$UC/nodes/$C1/events" \
    >"$HOME_DIR/cookie.txt" || true
grep -q "^id: $last\$" "$HOME_DIR/cookie.txt" || fail "the stream by cookie: $(cat "$HOME_DIR/cookie.txt")"
code=$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' -b "$HOME_DIR/cookies" -X POST -H 'Content-Type: application/json' \
    --data-binary '{"note": "x"}' "$UC/nodes/$C1/cases/$task/actions/urge")
[ "$code" = 401 ] || fail "a write carried by the cookie alone: $code, expected 401"
log "the stream resumed after Last-Event-ID; the cookie serves reads only"

# A grid worker's report with a photo climbs; the township escalation brings it up.
code=$(upload "$UG/nodes/$G1/attachments" "$TW" "$HOME_DIR/small.png" image/png)
[ "$code" = 201 ] || fail "the grid's upload: $code $(body)"
expect_status 201 POST "$UG/nodes/$G1/cases" "$TW" "{\"category\": \"urban/roads\", \"text\": \"路灯损坏\", \"attachments\": [\"$sha_small\"]}"
rid=$(body | jq -r .id)
wait_until 10 "$C1 holds $rid" case_is $C1 "$rid" ".holder == \"$C1\""
expect_status 202 POST "$UC/nodes/$C1/cases/$rid/actions/escalate" "$TZ" '{"note": "需街道协调"}'
wait_until 10 "$T1 holds $rid" case_is $T1 "$rid" ".holder == \"$T1\""
curl -s -o "$HOME_DIR/got" -H "Authorization: Bearer $TS" "$UT/nodes/$T1/attachments/$sha_small"
cmp -s "$HOME_DIR/small.png" "$HOME_DIR/got" || fail "the grid's photo at the township differs"

# Refusals.
printf 'hello, not a picture' >"$HOME_DIR/fake.png"
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/fake.png" image/png)
[ "$code" = 400 ] || fail "a text as image/png: $code"
body | jq -e '.error.message | test("not of the type")' >/dev/null || fail "the fake PNG's error: $(body)"
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/small.png" text/html)
[ "$code" = 400 ] || fail "a text/html upload: $code"
{
    printf '\xff\xd8\xff\xe0'
    head -c $((10 * 1024 * 1024)) /dev/zero
} >"$HOME_DIR/huge.jpg"
code=$(upload "$UC/nodes/$C1/attachments" "$TZ" "$HOME_DIR/huge.jpg" image/jpeg)
[ "$code" = 413 ] || fail "a file over 10 MiB: $code"
missing=$(printf 'never uploaded' | sha256sum | cut -c1-64)
expect_status 400 POST "$UC/nodes/$C1/cases" "$TZ" "{\"category\": \"urban/roads\", \"text\": \"x\", \"attachments\": [\"$missing\"]}"
body | jq -e '.error.message | test("not stored")' >/dev/null || fail "a photo never uploaded: $(body)"
expect_status 404 GET "$UC/nodes/$C1/attachments/$missing" "$TZ"
expect_status 400 GET "$UC/nodes/$C1/attachments/not-a-hash" "$TZ"
expect_status 200 GET "$UC/nodes/$C1/health" "$TZ"

# The CLI names the person at the shell too.
GRIDLINK_OPERATOR=chen.op gl act --node $T1 "$rid" accept --note "电话联系" >/dev/null
expect $T1 "$rid" '.history[-1].action == "accepted" and .history[-1].by == "chen.op"'
log "the CLI's change is recorded as chen.op's"

# The CLI reaches the same operations: attach, report with the photo, read it back elsewhere.
sha_cli=$(gl attach --node $G1 "$HOME_DIR/small.png")
[ "$sha_cli" = "$sha_small" ] || fail "gridlink attach printed '$sha_cli', expected $sha_small"
cid=$(gl submit --node $G1 --category urban/roads --text "命令行上报" --photo "$sha_cli")
wait_until 10 "$C1 holds $cid" case_is $C1 "$cid" ".attachments == [\"$sha_small\"]"
gl attachment --node $C1 "$sha_small" "$HOME_DIR/cli.png" >/dev/null
cmp -s "$HOME_DIR/small.png" "$HOME_DIR/cli.png" || fail "gridlink attachment wrote another file"
gl attach --node $G1 "$HOME_DIR/fake.png" 2>/dev/null && fail "gridlink attach took a text file"
gl submit --node $G1 --category urban/roads --text x --photo nothex 2>/dev/null && fail "--photo took a non-hash"
log "the CLI attaches, reports with and reads back the same photos"
log "ok: photos crossed the tree byte-identical; the stream resumed; bad uploads refused"
