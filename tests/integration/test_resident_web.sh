# Residents' pages in a real browser (tests/browser/resident.mjs, chromium
# driven by playwright-core): a resident files a request on /public/ with
# the phone's position, a name and a phone, follows it by the follow-up
# code, the staff close it with the CLI, the resident rates it not
# resolved on its page and the case reopens at its holder (重办); the page
# never shows the name or the phone. Screenshots in BUILD/screenshots.
# Skipped (77) where chromium or npm is not installed.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "skipped: chromium, node and npm are needed (scripts/install-deps.sh installs them)"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei

# The test's node packages, shared with test_web_app (the same lock file).
RUNNER="$GL_BIN/browser-test"
mkdir -p "$RUNNER"
if ! cmp -s "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/package-lock.json" || [ ! -d "$RUNNER/node_modules" ]; then
    cp "$GL_SRC/tests/browser/package.json" "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/"
    (cd "$RUNNER" && npm ci --no-audit --no-fund >"$HOME_DIR/npm.out" 2>&1) || fail "npm ci: $(tail -5 "$HOME_DIR/npm.out")"
fi
cp "$GL_SRC/tests/browser/resident.mjs" "$RUNNER/"

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
