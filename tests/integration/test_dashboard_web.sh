# The district center's dashboard (web/dashboard/, served by the broker) in
# a real browser (tests/browser/dashboard.mjs, chromium driven by
# playwright-core) on the mini district: a login with the district's
# monitor account, a case submitted at a grid appears, becomes an escalation
# within a second and a red overdue alarm at the district. A grid account is
# refused the dashboard's API (403) and no token gets 401. Screenshots in
# BUILD/screenshots. Skipped (77) where chromium or npm is not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httplib.sh"

browser_runner dashboard.mjs

with_http "$MINI" "$HOME_DIR/mini.json"
start_up "$HOME_DIR/mini.json"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
BASE="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))"
[ "$(gl health --json | jq -r .dashboard_url)" = "$BASE" ] || fail "health --json names the dashboard $(gl health --json | jq -r .dashboard_url)"
adduser centre monitor xinbei centre-pass-1
adduser wang grid xinbei.sanjing.c01.g1 wang-pass-1

# The API: no token 401, a grid's account 403.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/counts")" = 401 ] || fail "counts without a token were not 401"
grid_token=$(login wang wang-pass-1 "$BASE/api/v1")
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $grid_token" "$BASE/api/v1/counts")" = 403 ] ||
    fail "a grid account was not refused the dashboard"

mkdir -p "$HOME_DIR/browser"
BASE_URL=$BASE GRIDLINK=$GRIDLINK GL_HOME=$HOME_DIR GRID=xinbei.sanjing.c01.g1 DISTRICT=xinbei USER_NAME=centre \
    PASSWORD=centre-pass-1 CHROMIUM=$CHROMIUM OUT_DIR="$GL_BIN/screenshots" WORK_DIR="$HOME_DIR/browser" \
    node "$RUNNER/dashboard.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
log "ok"
