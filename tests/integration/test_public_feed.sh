# The public feed (村务公开) of a community and its township, read with curl
# and no login from the process that hosts them (--group township): a
# resident's request posted by Open311 with a name, phone, e-mail, address
# and coordinates, and a grid's report filed by the CLI with --reporter and
# --address, are worked to closed with public and internal notes and a
# photo; a task on the access list is taken and one off it refused. The
# feed's JSON and Atom show the cases, their outcomes, the task and the
# refusal and the month's figures; the Atom is well-formed XML with the
# expected entries; neither holds a name, phone, e-mail, address,
# coordinate or internal note; the photo appears, and is served, only once
# the community's officer publishes it through the staff API (as the staff
# app's button does). Where chromium is installed, the page is rendered and
# checked the same way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
T=xinbei.sanjing
G1=$C1.g1

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json" --group township
KEY=$("$GRIDLINK" apikey add --home "$HOME_DIR" --name hotline-app)
API=$(gl health --node $C1 --json | jq -r .http_url)
[ "$API" = "$(gl health --node $T --json | jq -r .http_url)" ] || fail "$C1 and $T are not in one process"
BASE=${API%/api/v1}
log "public feed at $BASE/public/v1/"
grep -qF "public feed (村务公开) of $T at $BASE/public/feed.html?node=$T (its communities' with their own ?node=)" \
    "$HOME_DIR/up.err" || fail "up does not print the feed's address: $(cat "$HOME_DIR/up.err")"

# get PATH [ARGS...]: GET with curl's query arguments, no credentials; prints the status.
get() {
    local p=$1
    shift
    curl -s -G -D "$HOME_DIR/headers" -o "$HOME_DIR/body" -w '%{http_code}' "$BASE$p" "$@"
}
body() { cat "$HOME_DIR/body"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
feed_json() { get /public/v1/feed.json -d node="$1" >/dev/null && cp "$HOME_DIR/body" "$HOME_DIR/feed.json"; }
# feed_has NODE JQ: the node's feed document satisfies JQ.
feed_has() { feed_json "$1" && jq -e "$2" "$HOME_DIR/feed.json" >/dev/null; }

# Everything private that is given to the cases below.
PRIVATE=(王丽 13900001111 wang.li@example.com 幸福路88号 31.87 119.955 李四 13800002222 晋陵北路 联系人 内部 u-77
    "人行道地砖破损" "路灯不亮")
no_private() {
    for s in "${PRIVATE[@]}"; do
        ! grep -qF -- "$s" "$1" || fail "$2 shows '$s': $(grep -oF -- "$s" "$1" | head -1) in $(cat "$1")"
    done
}

# A resident's request by Open311, with every contact field.
code=$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' --data-urlencode "api_key=$KEY" -d service_code=urban/roads \
    -d lat=31.87 -d long=119.955 --data-urlencode "address_string=三井街道幸福路88号3单元502室" \
    --data-urlencode "description=人行道地砖破损，王丽 13900001111" --data-urlencode "attribute[area]=2" \
    -d "attribute[blocking]=no" --data-urlencode first_name=丽 --data-urlencode last_name=王 -d phone=13900001111 \
    -d email=wang.li@example.com -d account_id=u-77 "$BASE/open311/v2/requests.json")
want "$code" 200 "POST requests.json"
R=$(body | jq -r '.[0].service_request_id')
wait_until 5 "$C1 holds $R" case_is $C1 "$R" ".holder == \"$C1\" and .contact.phone == \"13900001111\""

# A grid's report by the CLI, with the reporter and the address.
I=$(gl submit --node $G1 --category urban/lighting --text "路灯不亮，李四 13800002222" --reporter "李四 13800002222" \
    --address "晋陵北路12号东侧") || fail "submit"
wait_until 5 "$C1 has $I" case_is $C1 "$I" ".holder == \"$C1\""
log "request $R (Open311) and report $I (CLI) at $C1"

# A photo of the request, attached when it is resolved.
printf '\x89PNG\r\n\x1a\nfeed-test-photo' >"$HOME_DIR/photo.png"
SHA=$(gl attach --node $C1 "$HOME_DIR/photo.png") || fail "attach"
[[ "$SHA" =~ ^[0-9a-f]{64}$ ]] || fail "attach printed '$SHA'"

# Worked to closed, with public and internal notes.
gl act --node $C1 "$R" accept --note "联系人王丽 13900001111" >/dev/null
gl act --node $C1 "$R" resolve --note "[内部] 联系人王丽已电话回复" >/dev/null
wait_until 5 "$R resolved at $C1" case_is $C1 "$R" '.state == "resolved"'
verifier=$(field $C1 "$R" .originator)
gl act --node "$verifier" "$R" rework --note "内部：再核实 幸福路88号" >/dev/null
wait_until 5 "$R back in work at $C1" case_is $C1 "$R" '.state == "in_progress"'
gl act --node $C1 "$R" resolve --note "已更换人行道地砖" --photo "$SHA" >/dev/null
wait_until 5 "$R resolved again" case_is "$verifier" "$R" '.state == "resolved"'
gl act --node "$verifier" "$R" verify --note "现场核实，已修复" >/dev/null
wait_until 5 "$R closed at $C1" case_is $C1 "$R" '.state == "closed"'
gl rate --node "$verifier" "$R" --resolved yes --satisfied yes --note "王丽表示满意" >/dev/null || fail "rate"
wait_until 5 "$C1 has the rating" case_is $C1 "$R" '.rating.satisfied == true'
gl act --node $C1 "$I" accept --note "李四反映" >/dev/null
gl act --node $C1 "$I" resolve --note "路灯已修复" >/dev/null
wait_until 5 "$I resolved at $G1" case_is $G1 "$I" '.state == "resolved"'
gl act --node $G1 "$I" verify >/dev/null
wait_until 5 "$I closed at $C1" case_is $C1 "$I" '.state == "closed"'
log "both closed ($R verified by $verifier)"

# Tasks: one on the access list, taken; one off it, refused and counted.
K=$(gl dispatch --node $T --to $C1 --category services/elderly --text "走访独居老人") || fail "dispatch services/elderly"
wait_until 5 "$C1 has task $K" case_is $C1 "$K" ".holder == \"$C1\" and .state == \"assigned\""
gl act --node $C1 "$K" accept >/dev/null
! gl dispatch --node $T --to $C1 --category urban/roads --text "道路巡查" >/dev/null 2>&1 || fail "urban/roads was given to $C1"

# The community's feed.
wait_until 5 "the feed shows $R closed" feed_has $C1 "[.cases[] | select(.id == \"$R\" and .outcome == \"已办结\")] | length == 1"
want "$(get /public/v1/feed.json -d node=$C1)" 200 "feed.json"
grep -qi '^content-type: application/json' "$HOME_DIR/headers" || fail "feed.json: $(cat "$HOME_DIR/headers")"
cp "$HOME_DIR/body" "$HOME_DIR/feed.json"
jq -e --arg r "$R" --arg i "$I" --arg k "$K" --arg sha "$SHA" '
    .node == "xinbei.sanjing.c01" and .name == "三井街道第一社区" and .tier == "community"
    and (.cases | map(.id) | index($r) != null and index($i) != null)
    and (.cases[] | select(.id == $r) | .category_name == "道路设施" and .group_name == "城管" and .place == "三井街道第一社区"
        and .state == "closed" and (.closed | test("\\+08:00$")) and (.closed_local | test("^[0-9-]{10} [0-9:]{5}$"))
        and ([.steps[].note // empty] == ["已更换人行道地砖", "现场核实，已修复"]) and .photos == []
        and .rating == {"resolved": true, "satisfied": true} and .in_time == true)
    and (.cases[] | select(.id == $i) | .category_name == "路灯照明" and ([.steps[].note // empty] == ["路灯已修复"]))
    and (.tasks.taken | length == 1) and (.tasks.taken[0] | .id == $k and .on_access_list == true and .category_name == "养老服务")
    and .tasks.refused == 1
    and .figures.taken == 3 and .figures.closed == 2 and .figures.closed_in_time == 2 and .figures.in_time_rate == 1
    and (.figures.avg_close_hours | type == "number")' "$HOME_DIR/feed.json" >/dev/null ||
    fail "the community's feed: $(jq -c . "$HOME_DIR/feed.json")"
no_private "$HOME_DIR/feed.json" "feed.json"
! grep -qF "$SHA" "$HOME_DIR/feed.json" || fail "the unpublished photo is in feed.json"
log "feed.json: 2 cases closed, 1 task taken, 1 refused, figures $(jq -c .figures "$HOME_DIR/feed.json")"

want "$(get /public/v1/feed.atom -d node=$C1)" 200 "feed.atom"
grep -qi '^content-type: application/atom+xml' "$HOME_DIR/headers" || fail "feed.atom: $(cat "$HOME_DIR/headers")"
cp "$HOME_DIR/body" "$HOME_DIR/feed.atom"
xmllint --noout "$HOME_DIR/feed.atom" || fail "feed.atom is not XML: $(body)"
ax() { xmllint --xpath "$1" "$HOME_DIR/feed.atom"; }
A='namespace-uri()="http://www.w3.org/2005/Atom"'
[ "$(ax "count(/*[local-name()='feed' and $A])")" = 1 ] || fail "no Atom feed element"
for e in id title updated; do
    [ -n "$(ax "string(/*/*[local-name()='$e'])")" ] || fail "the feed has no $e: $(body)"
done
[ "$(ax "string(/*/*[local-name()='author']/*[local-name()='name'])")" = "三井街道第一社区" ] || fail "the feed's author: $(body)"
[ "$(ax "count(/*/*[local-name()='entry'])")" = 4 ] || fail "not 4 entries (figures, 2 cases, 1 task): $(body)"
for id in "$R" "$I" "$K"; do
    entry="/*/*[local-name()='entry'][*[local-name()='id' and contains(., '/case/$id')]]"
    for e in id title updated summary; do
        [ -n "$(ax "string($entry/*[local-name()='$e'])")" ] || fail "entry $id has no $e: $(body)"
    done
    [ "$(ax "count($entry/*[local-name()='link'][@rel='alternate'])")" = 1 ] || fail "entry $id has no link"
    ax "string($entry/*[local-name()='updated'])" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+08:00$' ||
        fail "entry $id: updated is not RFC 3339"
done
ax "string(/*/*[local-name()='entry'][1]/*[local-name()='summary'])" | grep -q "受理 3 件，办结 2 件" ||
    fail "the figures' entry: $(body)"
no_private "$HOME_DIR/feed.atom" "feed.atom"
! grep -qF "$SHA" "$HOME_DIR/feed.atom" || fail "the unpublished photo is in feed.atom"
want "$(get /public/v1/photo -d node=$C1 -d case="$R" -d sha="$SHA")" 404 "the unpublished photo"
log "feed.atom: well-formed, 4 entries, nothing private"

# Published, the photo shows and is served.
! gl act --node $C1 "$R" publish-photo --note 0000000000000000000000000000000000000000000000000000000000000000 \
    >/dev/null 2>&1 || fail "a photo not of the case was published"
# The staff app's way: the community's officer, through the staff API.
adduser zhao community $C1 "office-pass-3"
TZ=$(login zhao office-pass-3 "$API")
code=$(curl -s -o "$HOME_DIR/staff" -w '%{http_code}' -H "Authorization: Bearer $TZ" -H 'Content-Type: application/json' \
    --data-binary "{\"note\": \"$SHA\"}" "$API/nodes/$C1/cases/$R/actions/publish-photo")
[ "$code" = 200 ] || fail "publish-photo through the staff API: $code $(cat "$HOME_DIR/staff")"
wait_until 5 "the feed shows the photo" feed_has $C1 "[.cases[] | select(.id == \"$R\") | .photos[]] == [\"$SHA\"]"
want "$(get /public/v1/feed.atom -d node=$C1)" 200 "feed.atom after publishing"
cp "$HOME_DIR/body" "$HOME_DIR/feed.atom"
xmllint --noout "$HOME_DIR/feed.atom" || fail "feed.atom is not XML"
[ "$(ax "count(//*[local-name()='link'][@rel='enclosure' and contains(@href, '$SHA')])")" = 1 ] || fail "no enclosure: $(body)"
no_private "$HOME_DIR/feed.atom" "feed.atom after publishing"
no_private "$HOME_DIR/feed.json" "feed.json after publishing"
want "$(get /public/v1/photo -d node=$C1 -d case="$R" -d sha="$SHA")" 200 "the published photo"
cmp -s "$HOME_DIR/body" "$HOME_DIR/photo.png" || fail "the photo served is not the one attached"
log "the photo is public once published"

# The township's feed: the refusal is counted there too; the page is served.
wait_until 5 "the township's feed" feed_has $T '.tier == "township" and .tasks.refused == 1'
jq -e --arg r "$R" '[.cases[] | select(.id == $r and .outcome == "已办结" and .place == "三井街道第一社区")] | length == 1' \
    "$HOME_DIR/feed.json" >/dev/null || fail "the township's feed lacks $R, which it verified: $(jq -c . "$HOME_DIR/feed.json")"
no_private "$HOME_DIR/feed.json" "the township's feed.json"
want "$(get /public/v1/feed.atom -d node=$T)" 200 "the township's Atom"
xmllint --noout "$HOME_DIR/body" || fail "the township's Atom is not XML"
want "$(get /public/feed.html)" 200 "the public page"
grep -q 'lang="zh-CN"' "$HOME_DIR/body" || fail "the page is not zh-CN"
want "$(get /public/feed.js)" 200 "the page's script"
# The page as a browser renders it, where chromium is installed.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
    dom() {
        timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$HOME_DIR/chromium" \
            --virtual-time-budget=10000 --dump-dom "$BASE/public/feed.html?node=$C1" >"$HOME_DIR/page.html" 2>/dev/null
    }
    rendered() { dom && grep -q "id=\"$R\"" "$HOME_DIR/page.html"; }
    wait_until 60 "the page renders $R" rendered
    grep -q "三井街道第一社区 · 村务公开" "$HOME_DIR/page.html" && grep -q "已更换人行道地砖" "$HOME_DIR/page.html" &&
        grep -q "因不在社区工作准入清单内而未接收的任务：1 件" "$HOME_DIR/page.html" && grep -q "$SHA" "$HOME_DIR/page.html" ||
        fail "the rendered page: $(cat "$HOME_DIR/page.html")"
    no_private "$HOME_DIR/page.html" "the rendered page"
    log "the page renders in $CHROMIUM"
else
    log "no chromium: the page's rendering is not checked"
fi

# An answer is kept for readers only while nothing moves: a second refusal
# at the township shows in the community's feed at once.
feed_json $C1 && jq -e '.tasks.refused == 1' "$HOME_DIR/feed.json" >/dev/null || fail "before the second refusal"
! gl dispatch --node $T --to $C1 --category urban/roads --text "道路巡查" >/dev/null 2>&1 || fail "urban/roads was given to $C1"
feed_has $C1 '.tasks.refused == 2' || fail "the second refusal is not in the feed: $(jq -c .tasks "$HOME_DIR/feed.json")"

# Refusals: a node not hosted, a grid, a bad month, another method.
before=$(gl health --node $C1 --json | jq .public_refused)
want "$(get /public/v1/feed.json -d node=xinbei)" 404 "the district (another process)"
want "$(get /public/v1/feed.json -d node=$G1)" 404 "a grid"
want "$(get /public/v1/feed.json)" 404 "no node"
want "$(get /public/v1/feed.json -d node=$C1 -d month=2026-13)" 400 "a bad month"
want "$(get /public/v1/feed.json -d node=$C1 --data-urlencode "month=$(head -c 3000 /dev/zero | tr '\0' x)")" 400 "a long month"
want "$(get /public/v1/nothing -d node=$C1)" 404 "an unknown resource"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' -X POST "$BASE/public/v1/feed.json?node=$C1")" 405 "POST"
want "$(get /public/v1/feed.json -d node=$C1 -d month=2020-01)" 200 "an empty month"
jq -e '.cases == [] and .figures.taken == 0 and .figures.avg_close_hours == null' "$HOME_DIR/body" >/dev/null ||
    fail "an empty month: $(body)"
after=$(gl health --node $C1 --json | jq .public_refused)
[ "$after" -ge $((before + 7)) ] || fail "health counts $after public refusals, not $before + 7"
log "refusals answered and counted ($before, then $after)"
log "ok"
