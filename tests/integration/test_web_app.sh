# The staff web app in a real browser (tests/browser/test.mjs, chromium
# driven by playwright-core): a grid worker reports an incident with a
# photo on the phone page, the community officer sees it arrive in the
# queue live, accepts and resolves it, and the grid worker's page shows it
# waiting for verification (待核查); offline, a report waits as a draft and
# goes when the network is back; a township's task to every grid shows each
# part's progress. Screenshots of the pages are left in
# BUILD/screenshots. Skipped (77) where chromium or npm is not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
G1=$C1.g1

# The test's node packages (playwright-core, no browser of its own) in the
# build directory, installed again when the lock file changes.
browser_runner test.mjs

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
adduser() { printf '%s\n' "$5" | "$GRIDLINK" user add --home "$HOME_DIR" --name "$1" --role "$2" --scope "$3" --display "$4" --password-stdin >/dev/null; }
adduser wang grid $G1 王小明 "street-pass-1"
adduser zhao community $C1 赵丽 "office-pass-3"
adduser sun township xinbei.sanjing 孙强 "town-pass-44"
base_of() { gl health --node "$1" --json | jq -r .http_url | sed 's|/api/v1$||'; }
GRID_URL=$(base_of $G1)
OFFICE_URL=$(base_of $C1)
TOWN_URL=$(base_of xinbei.sanjing)
log "web app: grid worker at $GRID_URL/app/, community office at $OFFICE_URL/app/"

mkdir -p "$HOME_DIR/browser"
GRID_URL=$GRID_URL OFFICE_URL=$OFFICE_URL GRID_USER=wang GRID_PASSWORD=street-pass-1 \
    OFFICE_USER=zhao OFFICE_PASSWORD=office-pass-3 TOWN_URL=$TOWN_URL TOWN_USER=sun TOWN_PASSWORD=town-pass-44 \
    CHROMIUM=$CHROMIUM \
    OUT_DIR="$GL_BIN/screenshots" WORK_DIR="$HOME_DIR/browser" \
    node "$RUNNER/test.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
log "both people saw what they should"
