# buslib.sh: helpers for the tests that talk to the broker's bus directly
# with gl_busprobe (tests/tools/gl_busprobe.c), on top of lib.sh. Call
# bus_setup after start_up.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSPROBE="$GL_BIN/tests/gl_busprobe"

# The broker's endpoints and key, and where the home keeps everyone's keys.
bus_setup() {
    local t="$HOME_DIR/topology.json"
    BUS_IN=$(jq -r --arg p "$PORT_BASE" '.broker.bus_in // "tcp://127.0.0.1:\($p)"' "$t")
    BUS_OUT=$(jq -r --arg p "$((PORT_BASE + 1))" '.broker.bus_out // "tcp://127.0.0.1:\($p)"' "$t")
    BROKER_KEY=$(jq -r '.broker.public_key' "$t")
    KEYS="$HOME_DIR/keys"
}

# A slower copy of the mini district: nothing escalates on its own.
slow_mini() {
    jq '.sla = [{"tier":"grid","accept_s":0,"resolve_s":0},
                {"tier":"community","accept_s":3600,"resolve_s":7200},
                {"tier":"township","accept_s":3600,"resolve_s":7200},
                {"tier":"district","accept_s":3600,"resolve_s":7200}]' "$MINI"
}

broker_pid() { pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)" | head -n1; }
# Resident memory of process $1 in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
log_seq() { "$GRIDLINK" health --home "$HOME_DIR" --node "$1" | jq .log_seq; }

# The broker's latest counters (its hugz), as one JSON object.
broker_stats() {
    "$BUSPROBE" listen "$BUS_OUT" "$BROKER_KEY" "$KEYS/operator.cert" 2500 hugz | tail -n1 | cut -d' ' -f2-
}
# broker_stat NAME: one counter, 0 when the broker does not report it.
broker_stat() { local v; v=$(broker_stats | jq -r --arg k "$1" '.[$k] // 0'); echo "${v:-0}"; }

# The broker's mark for node $1 (from a snapshot through the operator's key).
broker_mark() {
    "$GRIDLINK" watch --home "$HOME_DIR" --marks --json --seconds 5 | jq -r --arg n "$1" 'select(.node==$n) | .seq'
}
mark_is() { [ "$(broker_mark "$1")" = "$2" ]; }

# The slow mini district with a second township beside sanjing (tangqiao,
# one community, one grid), so that a case can be of another branch.
two_townships() {
    slow_mini | jq '.nodes += [
        {"id": "xinbei.tangqiao", "tier": "township", "name": "塘桥街道"},
        {"id": "xinbei.tangqiao.c01", "tier": "community", "name": "塘桥街道第一社区"},
        {"id": "xinbei.tangqiao.c01.g1", "tier": "grid", "name": "塘桥街道第一社区第1网格"}]'
}

# bus_request KEYNAME MS FIELD=VALUE...: one request with KEYNAME's key,
# every reply as a JSON line.
bus_request() {
    local key=$1 ms=$2
    shift 2
    "$BUSPROBE" request "$BUS_IN" "$BROKER_KEY" "$KEYS/$key.cert" "$ms" "$@"
}
# The events of a snapshot (or replay) answer, one JSON object a line.
reply_events() { jq -c '.events[]?' "$@"; }
# view_state CASE: the state the operator's snapshot shows for CASE.
view_state() {
    bus_request operator 5000 op=snapshot | reply_events | jq -r --arg c "$1" 'select(.case_id==$c) | .state'
}
state_is() { [ "$(view_state "$1")" = "$2" ]; }
# Every node's broker mark equals its own last log sequence.
view_converged() {
    local marks n
    marks=$("$GRIDLINK" watch --home "$HOME_DIR" --marks --json --seconds 5) || return 1
    for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
        [ "$(jq -r --arg n "$n" 'select(.node==$n) | .seq' <<<"$marks")" = "$(log_seq "$n")" ] || return 1
    done
}
