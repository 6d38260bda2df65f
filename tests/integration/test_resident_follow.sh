# Residents' receipts at the district's door, with curl as the public pages
# use it: a request filed without an account (with a name and a phone) is
# answered with a follow-up code (回执码) and its page's address; the code
# reads the request (state in Chinese, the holder's name, the public steps,
# the expected time) and never the reporter's name, phone, e-mail or
# address; malformed and unknown codes, a rating before the case is closed,
# a bad rating and a second one are refused with JSON errors and counted in
# health. The staff work the case to closed where it belongs, the resident
# rates it "not resolved": the case reopens at its holder (重办) with its
# reopens counter at 1. A second request is rated resolved and stays
# closed. Filings past the per-address limit get 429.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei

export GRIDLINK_PUBLIC_FILINGS=3
slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
API=$(gl health --node $D --json | jq -r .http_url)
P=${API%/api/v1}/public/v1
log "residents' door at $P"

# post PATH FIELD=VALUE...: a form-encoded POST; prints the status.
post() {
    local p=$1 args=()
    shift
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    curl -s -o "$HOME_DIR/body" -w '%{http_code}' "${args[@]}" "$P/$p"
}
get() { curl -s -o "$HOME_DIR/body" -w '%{http_code}' "$P/$1"; }
rate() { curl -s -o "$HOME_DIR/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$P/requests/$1/rate"; }
body() { cat "$HOME_DIR/body"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
error_is() { body | jq -e --arg c "$1" '.error.code == $c and (.error.message | length > 0)' >/dev/null || fail "$2: $(body)"; }

# Filed with a name, a phone and an address text.
want "$(post requests service_code=urban/lighting "address_string=三井街道晋陵北路88号" lat=31.87 long=119.955 \
    "description=路灯不亮已三天" first_name=丽 last_name=王 phone=13900001111 email=wang.li@example.com)" 201 "a public request"
code=$(body | jq -r .code)
id=$(body | jq -r .service_request_id)
[[ "$code" =~ ^[2-9A-HJ-NP-Z]{12}$ ]] || fail "the follow-up code is not 12 of the alphabet: $(body)"
[[ "$id" =~ ^xinbei-[0-9]+$ ]] || fail "the answer: $(body)"
body | jq -e --arg c "$code" '.url == "/public/follow.html?code=" + $c and (.notice | test("受理"))' >/dev/null || fail "the answer: $(body)"
expect $D "$id" ".kind == \"request\" and .holder == \"$C1\" and .contact.phone == \"13900001111\" and .contact.client == \"public\""
log "filed $id, follow-up code $code"

# The code is stored only as its hash.
! grep -rqa --exclude=body "$code" "$HOME_DIR" || fail "the code itself is kept in $HOME_DIR"

# Read by its code (lower case and with a hyphen as a resident may type it).
wait_until 5 "the district has $C1's receipt" case_is $D "$id" '.accept_due_ms > 0'
lower=$(tr 'A-Z' 'a-z' <<<"${code:0:6}-${code:6}")
want "$(get "requests/$lower")" 200 "the request by its code"
body | jq -e --arg id "$id" '.service_request_id == $id and .status == "open" and .state_label != null
    and (.state_label | test("[\u4e00-\u9fff]")) and .agency_responsible == "三井街道第一社区"
    and .service_name != null and (.expected_datetime | test("\\+08:00$")) and (.notes | length >= 1)
    and .can_rate == false and .rating == null and (has("address") | not) and (has("lat") | not)' >/dev/null ||
    fail "the request by its code: $(body)"
! grep -q -e 13900001111 -e wang.li@example -e 王丽 -e '"丽"' -e 晋陵北路 "$HOME_DIR/body" || fail "the reporter in a public answer: $(body)"
log "read by its code: $(body | jq -r .state_label), held by $(body | jq -r .agency_responsible)"

# Refusals.
want "$(get requests/SHORT)" 400 "a malformed code"
error_is bad-code "a malformed code"
want "$(get requests/22222222222O)" 400 "a code with an O"
want "$(get requests/$(head -c 300 /dev/zero | tr '\0' A))" 400 "a long code"
want "$(get requests/222222222222)" 404 "an unknown code"
error_is unknown-code "an unknown code"
want "$(rate 222222222222 '{"resolved":true,"satisfied":true}')" 404 "rating an unknown code"
want "$(rate "$code" '{"resolved":true,"satisfied":true}')" 409 "a rating before the case is closed"
error_is not-closed "a rating before closing"
want "$(rate "$code" '{"resolved":"yes"}')" 400 "a bad rating"
want "$(rate "$code" 'not json')" 400 "a rating that is not JSON"
want "$(rate "$code" "{\"resolved\":true,\"satisfied\":true,\"note\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}")" 413 "a rating too large"
head -c 1500 /dev/urandom >"$HOME_DIR/noise"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' --data-binary @"$HOME_DIR/noise" "$P/requests/$code/rate")" 400 "a rating of noise"
want "$(rate "$code/rate" '{"resolved":true,"satisfied":true}')" 404 "a path past rate"
want "$(post requests "description=x")" 400 "a request without a service"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' -X DELETE "$P/requests/$code")" 405 "another method"
want "$(get nothing)" 404 "an unknown resource"
refused=$(gl health --node $D --json | jq .public_refused)
[ "$refused" -ge 14 ] || fail "health counts $refused public refusals, not 14 or more"
log "refusals answered as JSON errors; health counts $refused"

# The staff work it to closed; the resident rates it not resolved.
gl act --node $C1 "$id" accept --note "已签收" >/dev/null
gl act --node $C1 "$id" resolve --note "已更换灯泡" >/dev/null
wait_until 5 "the district sees $id resolved" case_is $D "$id" '.state == "resolved"'
gl act --node $D "$id" verify --note "回访核实" >/dev/null
wait_until 5 "the district's copy is closed" case_is $D "$id" '.state == "closed"'
want "$(get "requests/$code")" 200 "the closed request"
body | jq -e '.status == "closed" and .can_rate == true and .state == "closed" and .state_label == "已结案"
    and ([.notes[].description] | any(test("已更换灯泡")))' >/dev/null || fail "closed: $(body)"
want "$(rate "$code" '{"resolved":false,"satisfied":false,"note":"还是不亮"}')" 200 "the rating"
body | jq -e '.rated and .reopened' >/dev/null || fail "the rating's answer: $(body)"
wait_until 5 "$C1 reopens it" case_is $C1 "$id" \
    ".state == \"in_progress\" and .holder == \"$C1\" and .counters.reopens == 1 and .rating.resolved == false"
wait_until 5 "the district sees it reopened" case_is $D "$id" '.state == "in_progress" and .counters.reopens == 1'
want "$(rate "$code" '{"resolved":true,"satisfied":true}')" 409 "a second rating"
error_is rated "a second rating"
want "$(get "requests/$code")" 200 "the reopened request"
body | jq -e '.status == "open" and .can_rate == false and .rating.resolved == false and .rating.satisfied == false' >/dev/null ||
    fail "reopened: $(body)"
log "rated not resolved: reopened at $C1 (reopens 1); a second rating is refused"

# A second request, rated resolved: it stays closed; the rating counts.
want "$(post requests service_code=urban/lighting lat=31.87 long=119.955 "description=楼道灯坏了")" 201 "a second request"
code2=$(body | jq -r .code)
id2=$(body | jq -r .service_request_id)
[ "$code2" != "$code" ] || fail "two requests got one code"
wait_until 5 "$C1 has $id2" case_is $C1 "$id2" '.history[-1].action == "received"'
gl act --node $C1 "$id2" accept >/dev/null
gl act --node $C1 "$id2" resolve --note "已修好" >/dev/null
wait_until 5 "the district sees $id2 resolved" case_is $D "$id2" '.state == "resolved"'
gl act --node $D "$id2" verify >/dev/null
wait_until 5 "the district's copy of $id2 is closed" case_is $D "$id2" '.state == "closed"'
want "$(rate "$code2" '{"resolved":true,"satisfied":true}')" 200 "rating resolved"
body | jq -e '.rated and (.reopened | not)' >/dev/null || fail "the rating: $(body)"
wait_until 5 "the rating at the district" case_is $D "$id2" '.state == "closed" and .rating.resolved and .rating.satisfied'
log "rated resolved and satisfied: $id2 stays closed"

# The third filing from this address this hour is past the limit (3).
want "$(post requests service_code=urban/lighting lat=31.87 long=119.955 "description=x")" 429 "past the limit"
error_is too-many "past the limit"
log "ok"
