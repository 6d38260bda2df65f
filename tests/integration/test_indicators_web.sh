# The dashboard's panel of the plan's indicators (web/dashboard/indicators.js)
# in a real browser (tests/browser/indicators.mjs) on the mini district:
# the facts a community and its township reported today show as this
# year's values against the plan's end targets, with their verdicts; a
# township in 2017 shows 2017's targets. Screenshot in BUILD/screenshots.
# Skipped (77) where chromium or npm is not installed.
source "$(dirname "$0")/browserlib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httplib.sh"

browser_runner indicators.mjs

with_http "$MINI" "$HOME_DIR/mini.json"
start_up "$HOME_DIR/mini.json"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
BASE="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))"
adduser centre monitor xinbei centre-pass-1
C1=xinbei.sanjing.c01
# One urban community: a harmonious community (100%), its room 650 ㎡ (short of 700: 0%).
gl facts set --node $C1 harmonious_community 1 >/dev/null
gl facts set --node $C1 service_room_m2 650 >/dev/null
gl facts set --node $C1 social_orgs 11 >/dev/null
gl facts set --node xinbei.sanjing grid_management 1 >/dev/null
TC=$(login centre centre-pass-1 "$BASE/api/v1")
reached() { curl -sf -H "Authorization: Bearer $TC" "$BASE/api/v1/indicators" | jq -e '.indicators[] | select(.id == "grid_management_coverage") | .numerator == 1' >/dev/null; }
wait_until 20 "the broker has the facts" reached

mkdir -p "$HOME_DIR/browser"
EXPECT='{"harmonious_community_rate": ["100%", "达标"], "service_room_compliance": ["0%", "未达标"],
  "social_orgs_per_urban_community": ["11 个", "达标"], "grid_management_coverage": ["100%", "达标"],
  "urban_service_room_avg": ["650 ㎡", "未达标"]}'
BASE_URL=$BASE USER_NAME=centre PASSWORD=centre-pass-1 CHROMIUM=$CHROMIUM OUT_DIR="$GL_BIN/screenshots" \
    WORK_DIR="$HOME_DIR/browser" EXPECT=$EXPECT TOWNSHIP=xinbei.sanjing TOWNSHIP_NAME=三井街道 \
    node "$RUNNER/indicators.mjs" || fail "the browser test (screenshots in $GL_BIN/screenshots)"
log "ok"
