# 群众评议 in a real browser (tests/browser/appraisal.mjs, chromium driven by
# playwright-core): a resident appraises two townships on
# /public/appraise.html with an appraisal ticket, a second appraisal of one
# of them is refused on the page, and the district's monitor reads the
# league table with its red and black lists in the staff web app (minimum
# sample 1 here). Screenshots in BUILD/screenshots. Skipped (77) where
# chromium or npm is not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
D=xinbei

browser_runner appraisal.mjs

export GRIDLINK_APPRAISAL_MIN_SAMPLE=1
jq '.nodes += [{"id": "xinbei.t2", "tier": "township", "name": "第二街道"}]' "$MINI" >"$HOME_DIR/appr.json"
with_http "$HOME_DIR/appr.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json" --group township --no-demo
BASE=$(gl health --node $D --json | jq -r .http_url | sed 's|/api/v1$||')
MONTH=$(date -u -d '+8 hours' +%Y-%m)
TICKET=$(gl appraisal tickets --count 1 --period "$MONTH")
adduser zhou monitor $D "centre-pass-1"
log "appraise.html at $BASE/public/, a ticket for $MONTH"

mkdir -p "$HOME_DIR/browser"
BASE_URL=$BASE TICKET=$TICKET STAFF_NAME=zhou STAFF_PASSWORD=centre-pass-1 CHROMIUM=$CHROMIUM \
    OUT_DIR="$GL_BIN/screenshots" WORK_DIR="$HOME_DIR/browser" \
    node "$RUNNER/appraisal.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
# What the page sent is what the district counted.
gl appraisal table --tier township --json | jq -e '.total == 2 and .rows[0].unit == "xinbei.sanjing" and .rows[0].satisfied == 1
    and .rows[1].unit == "xinbei.t2" and .rows[1].dissatisfied == 1 and .red == ["xinbei.sanjing"] and .black == ["xinbei.t2"]' >/dev/null ||
    fail "the table after the page: $(gl appraisal table --tier township --json)"
log "ok"
