# Needs surveys in a real browser (tests/browser/survey.mjs, chromium
# driven by playwright-core): residents answer a community's survey on
# /public/survey.html with survey codes (a reused one refused on the page),
# the community's officer reads the results with their charts in the staff
# app and turns the top need into a task, which the grid then holds.
# Skipped (77) where chromium or npm is not installed.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "skipped: chromium, node and npm are needed (scripts/install-deps.sh installs them)"
    exit 77
fi
[ -f /usr/share/javascript/chart.js/chart.min.js ] || {
    echo "skipped: libjs-chart.js is needed (scripts/install-deps.sh installs it)"
    exit 77
}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
G1=$C1.g1

RUNNER="$GL_BIN/browser-test"
mkdir -p "$RUNNER"
if ! cmp -s "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/package-lock.json" || [ ! -d "$RUNNER/node_modules" ]; then
    cp "$GL_SRC/tests/browser/package.json" "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/"
    (cd "$RUNNER" && npm ci --no-audit --no-fund >"$HOME_DIR/npm.out" 2>&1) || fail "npm ci: $(tail -5 "$HOME_DIR/npm.out")"
fi
cp "$GL_SRC/tests/browser/survey.mjs" "$RUNNER/"

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json" --group township
BASE=$(url_of $C1 | sed 's|/api/v1$||')
adduser zhao community $C1 "office-pass-1"
cat >"$HOME_DIR/needs.json" <<'JSON'
{"title": "社区服务需求调查", "intro": "请选出您最需要的服务",
 "questions": [
  {"id": "need", "kind": "single", "text": "您最需要哪项服务？", "required": true, "options": ["老年助餐", "托育服务", "停车位"]},
  {"id": "also", "kind": "multi", "text": "还需要哪些？", "options": ["法律咨询", "就业指导", "文体活动"]},
  {"id": "sat", "kind": "scale", "text": "对社区服务的满意度", "required": true},
  {"id": "say", "kind": "text", "text": "其他建议"}]}
JSON
S=$("$GRIDLINK" survey publish --home "$HOME_DIR" --node $C1 --file "$HOME_DIR/needs.json") || fail "survey publish"
CODES=$("$GRIDLINK" survey tickets --home "$HOME_DIR" --node $C1 --survey "$S" --count 2 | tr '\n' ' ') || fail "survey tickets"
log "survey $S at $BASE/public/survey.html?node=$C1"

mkdir -p "$HOME_DIR/browser"
TASK=$(BASE_URL=$BASE COMMUNITY=$C1 GRID=$G1 SURVEY=$S CODES="${CODES% }" USER=zhao PASSWORD=office-pass-1 CHROMIUM=$CHROMIUM \
    OUT_DIR="$GL_BIN/screenshots" WORK_DIR="$HOME_DIR/browser" node "$RUNNER/survey.mjs") ||
    fail "the browser test (screenshots in $GL_BIN/screenshots)"
wait_until 10 "$G1 holds $TASK" case_is $G1 "$TASK" ".holder == \"$G1\" and .kind == \"task\" and (.text | test(\"老年助餐\"))"
"$GRIDLINK" survey show --home "$HOME_DIR" --node $C1 --survey "$S" --json | jq -e --arg t "$TASK" '.answers == 2 and .tasks == [$t]' \
    >/dev/null || fail "the survey after the browser: $("$GRIDLINK" survey show --home "$HOME_DIR" --node $C1 --survey "$S" --json)"
log "ok"
