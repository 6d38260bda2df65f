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
