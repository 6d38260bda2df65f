# Every process's /metrics in the Prometheus text format: the node processes'
# and the broker's pass `promtool check metrics`; their figures agree with
# what the nodes say of themselves (health, the store) and follow the
# district: cases counted by state add up to the cases stored, the broker's
# applied sequence reaches the node's log, live events fill the bus-lag
# histogram, and a killed community shows as a link down at its grids.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || fail "promtool (Debian's prometheus package) is not installed"
with_http "$MINI" "$HOME_DIR/mini.json"
start_up "$HOME_DIR/mini.json"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }

grid=xinbei.sanjing.c01.g1
community=xinbei.sanjing.c01
n_nodes=$(jq '.nodes | length' "$HOME_DIR/topology.json")
BROKER="http://127.0.0.1:$((PORT_BASE + 32 + n_nodes))/metrics"
base_of() { gl health --node "$1" --json | jq -r .http_url | sed 's|/api/v1$||'; }
GRID_M="$(base_of $grid)/metrics"

for i in 1 2 3 4; do
    gl submit --node $grid --category urban/roads --text "路灯不亮 $i" >/dev/null || fail "submit $i"
done

# promtool on every process's answer (one per process: each leader's port).
check_metrics() {
    curl -sf -D "$HOME_DIR/m.h" -o "$HOME_DIR/m.txt" "$1" || fail "GET $1"
    grep -qi '^content-type: text/plain; version=0.0.4' "$HOME_DIR/m.h" || fail "$1: $(grep -i content-type "$HOME_DIR/m.h")"
    promtool check metrics <"$HOME_DIR/m.txt" >"$HOME_DIR/promtool.out" 2>&1 || fail "promtool on $1: $(cat "$HOME_DIR/promtool.out")"
}
checked=0
for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
    u=$(base_of "$n")
    [ -n "$u" ] && [ "$u" != null ] || continue
    check_metrics "$u/metrics"
    checked=$((checked + 1))
done
check_metrics "$BROKER"
log "promtool passes on $checked node processes and the broker"
[ "$checked" -ge "$n_nodes" ] || fail "only $checked of $n_nodes nodes have a metrics address"

# sample URL NAME LABELS: the value of the sample with exactly these labels.
sample() {
    local key=$2
    [ -n "$3" ] && key="$2{$3}"
    curl -sf "$1" | awk -v k="$key" '$1 == k {print $2}'
}

# The census's states add up to the stored cases; the log sequence is health's.
stored=$(sample "$GRID_M" gridlink_cases_stored "node=\"$grid\"")
[ "${stored:-0}" -ge 4 ] || fail "the grid stores ${stored:-no} cases, expected at least 4"
sum=$(curl -sf "$GRID_M" | awk -v n="node=\"$grid\"" '$1 ~ /^gridlink_cases\{/ && index($1, n) {s += $2} END {print s + 0}')
[ "$sum" -eq "$stored" ] || fail "cases by state add up to $sum, the store holds $stored"
seq=$(sample "$GRID_M" gridlink_log_seq "node=\"$grid\"")
hseq=$(gl health --node $grid --json | jq .log_seq)
[ "$seq" = "$hseq" ] || fail "metrics say log seq $seq, health says $hseq"
commits=$(sample "$GRID_M" gridlink_commit_seconds_count "node=\"$grid\"")
[ "${commits:-0}" -ge 4 ] || fail "${commits:-no} commits counted for four submissions"

# The broker applies the grid's whole log, and measured live events' lag.
applied() { [ "$(sample "$BROKER" gridlink_broker_feed_seq "node=\"$grid\",which=\"applied\"")" = "$hseq" ]; }
wait_until 10 "the broker applied the grid's log up to $hseq" applied
lag_n=$(sample "$BROKER" gridlink_broker_bus_lag_seconds_count "")
[ "${lag_n:-0}" -ge 4 ] || fail "the bus-lag histogram counted ${lag_n:-no} events"

# The grid's link to its community: up, then down while the community is dead.
link() { sample "$GRID_M" gridlink_link_up "node=\"$grid\",peer=\"$community\",side=\"parent\""; }
[ "$(link)" = 1 ] || fail "the grid's parent link reads $(link), expected 1"
kill -STOP "$UP_PID"
kill -KILL "$(node_pid $community)"
link_down() { [ "$(link)" = 0 ]; }
wait_until 10 "the grid's metrics show its parent link down" link_down
kill -CONT "$UP_PID"
link_up() { [ "$(link)" = 1 ]; }
wait_until 20 "the link up again after the restart" link_up

# Only GET, and only /metrics at the broker.
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GRID_M")" = 405 ] || fail "POST /metrics was not refused with 405"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${BROKER%/metrics}/other")" = 404 ] || fail "the broker answered another path"
log "ok"
