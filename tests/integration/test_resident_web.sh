# Residents' pages in a real browser (tests/browser/resident.mjs, chromium
# driven by playwright-core): a resident files a request on /public/ with
# the phone's position, a name and a phone, follows it by the follow-up
# code, the staff close it with the CLI, the resident rates it not
# resolved on its page and the case reopens at its holder (重办); the page
# never shows the name or the phone. Screenshots in BUILD/screenshots.
# Skipped (77) where chromium or npm is not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei

browser_runner resident.mjs

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
BASE=$(gl health --node $D --json | jq -r .http_url | sed 's|/api/v1$||')
log "residents' pages at $BASE/public/"

mkdir -p "$HOME_DIR/browser"
BASE_URL=$BASE GRIDLINK=$GRIDLINK GL_HOME=$HOME_DIR DISTRICT=$D COMMUNITY=$C1 CHROMIUM=$CHROMIUM \
    OUT_DIR="$GL_BIN/screenshots" WORK_DIR="$HOME_DIR/browser" \
    node "$RUNNER/resident.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
refused=$(gl health --node $D --json | jq .public_refused)
[ "$refused" = 0 ] || fail "the pages' requests were refused $refused times"
log "ok"
