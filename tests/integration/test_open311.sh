# Open311 GeoReport v2 at the district's door, with curl as a client would
# use it: the services in JSON and XML, a service's attributes, a resident's
# request posted with a location in a grid and answered attributes (and
# one by address, in XML), read back by ID and in lists with a date window
# and pages, the specification's errors for a missing service_code, a bad
# API key, an unknown service or request and bad attributes; then the staff
# work the case through the CLI where it belongs (the community accepts and
# resolves, the district verifies) and Open311 shows it closed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei
G1=$C1.g1

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
KEY=$("$GRIDLINK" apikey add --home "$HOME_DIR" --name hotline-app)
[[ "$KEY" =~ ^[A-Za-z0-9_-]{43}$ ]] || fail "apikey add printed '$KEY'"
"$GRIDLINK" apikey list --home "$HOME_DIR" --json | jq -e '.[0].name == "hotline-app" and .[0].disabled == false' >/dev/null ||
    fail "apikey list: $("$GRIDLINK" apikey list --home "$HOME_DIR" --json)"

API=$(gl health --node $D --json | jq -r .http_url)
O=${API%/api/v1}/open311/v2
log "Open311 at $O"

# get PATH [ARGS...]: GET with curl's query arguments; prints the status.
get() {
    local p=$1
    shift
    curl -s -G -o "$HOME_DIR/body" -w '%{http_code}' "$O/$p" "$@"
}
# post PATH FIELD=VALUE...: a form-encoded POST; prints the status.
post() {
    local p=$1 args=()
    shift
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    curl -s -o "$HOME_DIR/body" -w '%{http_code}' "${args[@]}" "$O/$p"
}
body() { cat "$HOME_DIR/body"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
xpath() { xmllint --xpath "$1" "$HOME_DIR/body"; }

# The services, in both formats.
want "$(get services.json)" 200 "services.json"
body | jq -e '.[] | select(.service_code == "urban/roads") | .service_name == "道路设施" and .group == "城管"
    and .metadata == true and .type == "realtime" and (.keywords | test("坑洞"))' >/dev/null || fail "services.json: $(body)"
body | jq -e '.[] | select(.service_code == "services/elderly") | .metadata == false' >/dev/null || fail "services.json: $(body)"
n_services=$(body | jq length)
want "$(get services.xml)" 200 "services.xml"
xmllint --noout "$HOME_DIR/body" || fail "services.xml does not parse: $(body)"
[ "$(xpath 'count(/services/service)')" = "$n_services" ] || fail "services.xml has not $n_services services: $(body)"
[ "$(xpath 'string(/services/service[service_code="urban/roads"]/service_name)')" = "道路设施" ] || fail "services.xml: $(body)"
[ "$(xpath 'string(/services/service[service_code="urban/roads"]/metadata)')" = "true" ] || fail "services.xml metadata: $(body)"
log "$n_services services in JSON and XML"

# A service's definition.
want "$(get services/urban/roads.json)" 200 "the definition of urban/roads"
body | jq -e '.service_code == "urban/roads" and ([.attributes[].code] == ["area", "blocking", "noticed"])
    and (.attributes[0] | .datatype == "number" and .required == true and .variable == true and .order == 1)
    and (.attributes[1] | .datatype == "singlevaluelist" and ([.values[].key] == ["yes", "no"]) and .values[0].name == "是")
    and (.attributes[2] | .required == false and .datatype_description == null)' >/dev/null || fail "definition: $(body)"
want "$(get services/urban%2Froads.json)" 200 "the definition, its code escaped"
body | jq -e '.service_code == "urban/roads"' >/dev/null || fail "definition by an escaped code: $(body)"
want "$(get services/urban/roads.xml)" 200 "the definition in XML"
[ "$(xpath 'string(/service_definition/attributes/attribute[code="blocking"]/values/value[key="no"]/name)')" = "否" ] ||
    fail "definition in XML: $(body)"

# A resident's request in grid 1 of the first community, with attributes.
want "$(post requests.json "api_key=$KEY" service_code=urban/roads lat=31.87 long=119.955 \
    "description=人行道地砖破损，约两平方米" "attribute[area]=2.5" "attribute[blocking]=yes" \
    "attribute[noticed]=2026-12-01T08:30:00+08:00" first_name=丽 last_name=王 phone=13900001111 \
    email=wang.li@example.com account_id=u-77 "media_url=https://img.example.com/p/1.jpg")" 200 "POST requests.json"
id=$(body | jq -r '.[0].service_request_id')
[[ "$id" =~ ^xinbei-[0-9]+$ ]] || fail "POST answered: $(body)"
body | jq -e '.[0].account_id == "u-77" and (.[0].service_notice | test("三井街道第一社区"))' >/dev/null || fail "POST: $(body)"
expect $D "$id" ".kind == \"request\" and .holder == \"$C1\" and .grid == \"$G1\" and .community == \"$C1\" and .located"
wait_until 5 "$C1 has $id" case_is $C1 "$id" '.history[-1].action == "received"'
expect $C1 "$id" '.contact.phone == "13900001111" and .contact.client == "hotline-app" and .reporter == "王丽 13900001111"
    and ([.attributes[] | {(.code): .values}] | add) == {"area": ["2.5"], "blocking": ["yes"], "noticed": ["2026-12-01T08:30:00+08:00"]}'
log "request $id placed by its location in $G1, held by $C1"

# One by address, in XML, with a multivaluelist (an attribute left empty is
# not answered; a control character in the text is a space in XML).
want "$(post requests.xml "api_key=$KEY" service_code=urban/garbage "address_string=晋陵北路12号" \
    "attribute[kinds][]=household" "attribute[kinds][]=bulky" "attribute[pole]=" "description=楼道口垃圾堆积"$'\x01')" 200 "POST requests.xml"
id2=$(xpath 'string(/service_requests/request/service_request_id)')
[[ "$id2" =~ ^xinbei-[0-9]+$ ]] || fail "POST requests.xml answered: $(body)"
expect $D "$id2" ".holder == \"$C1\" and .community == \"$C1\" and (.located | not)"
expect $D "$id2" '[.attributes[0].values[]] == ["household", "bulky"]'

# Read back by ID: public fields only (the deadline once the community's
# receipt is back at the district).
wait_until 5 "the district has $C1's receipt" case_is $D "$id" '.accept_due_ms > 0'
want "$(get "requests/$id.json")" 200 "GET requests/$id.json"
body | jq -e --arg id "$id" '.[0] | .service_request_id == $id and .status == "open" and .service_code == "urban/roads"
    and .service_name == "道路设施" and .agency_responsible == "三井街道第一社区" and .lat == 31.87 and .long == 119.955
    and (.requested_datetime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\+08:00$"))
    and (.expected_datetime | test("\\+08:00$")) and .media_url == "https://img.example.com/p/1.jpg"
    and .description == "人行道地砖破损，约两平方米" and (.status_notes | length > 0) and (.notes | length >= 2)' >/dev/null ||
    fail "the request: $(body)"
! grep -q -e 13900001111 -e wang.li@example -e u-77 -e 王丽 "$HOME_DIR/body" || fail "contact fields in a public answer: $(body)"
want "$(get "requests/$id2.xml")" 200 "GET requests/$id2.xml"
[ "$(xpath 'string(/service_requests/request/status)')" = open ] || fail "requests/$id2.xml: $(body)"
[ "$(xpath 'count(/service_requests/request/notes/note[type="reported"])')" = 1 ] || fail "notes in XML: $(body)"
[ "$(xpath 'string(/service_requests/request/agency_responsible)')" = "三井街道第一社区" ] || fail "agency in XML: $(body)"
[ "$(xpath 'string(/service_requests/request/description)')" = "楼道口垃圾堆积 " ] || fail "the description in XML: $(body)"
want "$(get "tokens/$id.json")" 200 "GET tokens/$id.json"
body | jq -e --arg id "$id" '.[0].service_request_id == $id' >/dev/null || fail "tokens: $(body)"

# Lists: the default window, a date window, pages, filters.
want "$(get requests.json)" 200 "GET requests.json"
body | jq -e --arg a "$id" --arg b "$id2" '[.[].service_request_id] == [$b, $a]' >/dev/null || fail "the list: $(body)"
today=$(date -u +%Y-%m-%dT00:00:00Z)
tomorrow=$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)
want "$(get requests.json --data-urlencode "start_date=$today" --data-urlencode "end_date=$tomorrow" -d page_size=1 -d page=1)" 200 "page 1"
body | jq -e --arg b "$id2" 'length == 1 and .[0].service_request_id == $b' >/dev/null || fail "page 1: $(body)"
want "$(get requests.json --data-urlencode "start_date=$today" --data-urlencode "end_date=$tomorrow" -d page_size=1 -d page=2)" 200 "page 2"
body | jq -e --arg a "$id" 'length == 1 and .[0].service_request_id == $a' >/dev/null || fail "page 2: $(body)"
want "$(get requests.json --data-urlencode "start_date=$tomorrow")" 200 "a window after them"
body | jq -e 'length == 0' >/dev/null || fail "a later window: $(body)"
want "$(get requests.json -d service_code=urban/garbage)" 200 "by service_code"
body | jq -e --arg b "$id2" '[.[].service_request_id] == [$b]' >/dev/null || fail "by service_code: $(body)"
want "$(get requests.xml -d "service_request_id=$id,$id2")" 200 "by IDs"
[ "$(xpath 'count(/service_requests/request)')" = 2 ] || fail "by IDs: $(body)"
log "lists: window, pages, service_code, IDs"

# The specification's errors.
want "$(post requests.json "api_key=$KEY" lat=31.87 long=119.955 description=x)" 400 "no service_code"
body | jq -e '.[0].code == 400 and (.[0].description | test("service_code"))' >/dev/null || fail "400: $(body)"
want "$(post requests.xml "api_key=not-a-key" service_code=urban/roads lat=31.87 long=119.955)" 403 "a bad key"
[ "$(xpath 'string(/errors/error/code)')" = 403 ] || fail "403 in XML: $(body)"
[ -n "$(xpath 'string(/errors/error/description)')" ] || fail "403 without a description: $(body)"
want "$(post requests.json service_code=urban/roads lat=31.87 long=119.955)" 403 "no key"
want "$(post requests.json "api_key=$KEY" service_code=no/such lat=31.87 long=119.955)" 404 "an unknown service"
want "$(post requests.json "api_key=$KEY" service_code=urban/roads lat=31.87 long=119.955 "attribute[blocking]=yes")" 400 "a required attribute missing"
body | jq -e '.[0].description | test("area")' >/dev/null || fail "missing attribute: $(body)"
want "$(post requests.json "api_key=$KEY" service_code=urban/roads lat=31.87 long=119.955 "attribute[area]=big" "attribute[blocking]=yes")" 400 "a number that is not one"
want "$(post requests.json "api_key=$KEY" service_code=urban/roads lat=31.87 long=119.955 "attribute[area]=1" "attribute[blocking]=maybe")" 400 "a value not listed"
want "$(post requests.json "api_key=$KEY" service_code=urban/lighting)" 400 "no location"
want "$(post requests.json "api_key=$KEY" service_code=urban/lighting lat=95 long=119.955)" 400 "a latitude out of range"
code=$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' --data-binary 'api_key=%zz' "$O/requests.json")
want "$code" 400 "a malformed form"
want "$(get requests/xinbei-999999.json)" 404 "an unknown request"
want "$(get services/no/such.json)" 404 "an unknown service's definition"
want "$(get requests.json --data-urlencode start_date=yesterday)" 400 "a bad date"
want "$(get services)" 404 "no format"
body | jq -e '.[0].code == 404' >/dev/null || fail "404 without a format: $(body)"
refused=$(gl health --node $D --json | jq .open311_refused)
[ "$refused" -ge 14 ] || fail "health counts $refused Open311 refusals, not 14 or more"
log "errors as the specification has them; health counts $refused refusals"

# The staff work it where it belongs; Open311 follows at the district.
before=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
gl act --node $C1 "$id" accept --note "已签收" >/dev/null
gl act --node $C1 "$id" resolve --note "已更换地砖" >/dev/null
wait_until 5 "the district sees $id resolved" case_is $D "$id" '.state == "resolved"'
gl act --node $D "$id" verify --note "回访核实" >/dev/null
wait_until 5 "$C1 closes $id" case_is $C1 "$id" '.state == "closed"'
wait_until 5 "the district's copy is closed" case_is $D "$id" '.state == "closed"'
want "$(get "requests/$id.json")" 200 "the closed request"
body | jq -e '.[0] | .status == "closed" and .expected_datetime == null and (.status_notes | test("已办结"))
    and .updated_datetime >= .requested_datetime and .updated_datetime == .notes[-1].datetime and ([.notes[].type] | index("resolved") != null)' >/dev/null ||
    fail "closed in Open311: $(body)"
want "$(get requests.json -d status=closed)" 200 "closed ones"
body | jq -e --arg a "$id" '[.[].service_request_id] == [$a]' >/dev/null || fail "status=closed: $(body)"
want "$(get requests.json --data-urlencode "updated_after=$before")" 200 "updated after the staff began"
body | jq -e --arg a "$id" '[.[].service_request_id] == [$a]' >/dev/null || fail "updated_after: $(body)"
want "$(get requests.json --data-urlencode "updated_before=$before")" 200 "updated before"
body | jq -e --arg b "$id2" '[.[].service_request_id] == [$b]' >/dev/null || fail "updated_before: $(body)"
log "accepted and resolved at $C1, verified at $D: Open311 shows $id closed at $(body | jq -r '.[0].updated_datetime')"

# A disabled key is refused.
"$GRIDLINK" apikey disable --home "$HOME_DIR" --name hotline-app
want "$(post requests.json "api_key=$KEY" service_code=urban/lighting lat=31.87 long=119.955)" 403 "a disabled key"
"$GRIDLINK" apikey list --home "$HOME_DIR" | grep -q "hotline-app *disabled" || fail "apikey list: $("$GRIDLINK" apikey list --home "$HOME_DIR")"
