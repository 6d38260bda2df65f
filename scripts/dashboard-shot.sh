#!/usr/bin/env bash
# A screenshot of the district center's dashboard with the whole Xinbei
# district (deploy/topology/xinbei.json, 791 nodes) under `gridlink load`:
# the district runs with `gridlink up` (one process per township), its time
# limits cut to seconds so that escalations and overdue alarms happen while
# the picture is taken, a monitor account logs in, and chromium saves the
# board once OPEN cases are open and OVERDUE of them overdue.
#
#   scripts/dashboard-shot.sh [OUT.png]   (default docs/screenshots/dashboard-xinbei.png)
#
# Environment: RATE (cases/s, default 300), CASES (default 60000), OPEN
# (default 3000), OVERDUE (default 100), PORT_BASE (default 20000; HTTP at
# PORT_BASE+3000...).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
OUT=$(realpath -m "${1:-docs/screenshots/dashboard-xinbei.png}")
BUILD=${BUILD_DIR:-build}
GL="$SRC/$BUILD/gridlink"
[ -x "$GL" ] || BUILD_DIR=$BUILD scripts/build.sh
RATE=${RATE:-300} CASES=${CASES:-60000} OPEN=${OPEN:-3000} OVERDUE=${OVERDUE:-100} PORT_BASE=${PORT_BASE:-20000}
WORK=$(mktemp -d /tmp/gridlink-shot.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
HOME_DIR=$WORK/home
mkdir -p "$HOME_DIR" "$WORK/browser"
jq --argjson p "$PORT_BASE" --argjson h $((PORT_BASE + 3000)) '.port_base = $p | .http_port_base = $h |
    .sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 20, "resolve_s": 600},
            {"tier": "township", "accept_s": 20, "resolve_s": 600},
            {"tier": "district", "accept_s": 40, "resolve_s": 1200},
            {"tier": "department", "accept_s": 20, "resolve_s": 600}]' \
    deploy/topology/xinbei.json >"$WORK/xinbei.json"
"$GL" up --topology "$WORK/xinbei.json" --home "$HOME_DIR" --quiet >"$WORK/up.out" 2>"$WORK/up.err" &
pids+=($!)
for _ in $(seq 600); do
    "$GL" health --home "$HOME_DIR" --json 2>/dev/null | jq -e '.liveness.up == .liveness.nodes' >/dev/null 2>&1 && break
    kill -0 "${pids[0]}" || { tail "$WORK/up.err" >&2; exit 1; }
    sleep 0.5
done
URL=$("$GL" health --home "$HOME_DIR" --json | jq -r .dashboard_url)
echo "dashboard-shot: $(jq '.nodes | length' "$WORK/xinbei.json") nodes up; dashboard at $URL" >&2
printf 'shot-pass-1\n' | "$GL" user add --home "$HOME_DIR" --name centre --role monitor --scope xinbei \
    --display 区指挥中心 --password-stdin >/dev/null
"$GL" load --home "$HOME_DIR" --cases "$CASES" --rate "$RATE" --timeout 600 >"$WORK/load.out" 2>&1 &
pids+=($!)
RUNNER="$SRC/$BUILD/browser-test"
mkdir -p "$RUNNER"
if ! cmp -s tests/browser/package-lock.json "$RUNNER/package-lock.json" || [ ! -d "$RUNNER/node_modules" ]; then
    cp tests/browser/package.json tests/browser/package-lock.json "$RUNNER/"
    (cd "$RUNNER" && npm ci --no-audit --no-fund >/dev/null)
fi
cp tests/browser/shot.mjs tests/browser/board.mjs "$RUNNER/"
mkdir -p "$(dirname "$OUT")"
BASE_URL=$URL USER_NAME=centre PASSWORD=shot-pass-1 OUT=$OUT WORK_DIR=$WORK/browser MIN_OPEN=$OPEN MIN_OVERDUE=$OVERDUE \
    CHROMIUM=$(command -v chromium) node "$RUNNER/shot.mjs"
