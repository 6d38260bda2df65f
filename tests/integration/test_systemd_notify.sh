#!/usr/bin/env bash
# test_systemd_notify: the broker and a node process speak the sd_notify
# protocol to a service manager's socket (gl_notify_recv plays systemd):
# READY=1 once they serve (the node answers its control socket at that
# moment, for every node of its group), WATCHDOG=1 at half WATCHDOG_USEC,
# none when WATCHDOG_PID names another process, STOPPING=1 on SIGTERM. Also
# gridlink-node --group: a group leader brings its whole group, under the
# same PID, and a node that does not lead its group is refused. SIGHUP
# stops neither process (test_topology_reload tests what the node does).
# Exits 77 (skipped) in a build without libsystemd.
source "$(dirname "$0")/lib.sh"

# The binary itself calls sd_notify (libsystemd also comes in through czmq).
syms=$(nm -D --undefined-only "$GL_BIN/gridlink-node")
if ! grep -q "sd_notify" <<<"$syms"; then
    log "built without libsystemd: skipped"
    trap - EXIT
    rm -rf "$HOME_DIR"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
fi
RECV="$GL_BIN/tests/gl_notify_recv"
PORT_BASE=$(free_port_base 32)
"$GRIDLINK" keygen --home "$HOME_DIR" --topology "$MINI" --port-base "$PORT_BASE" >/dev/null
mkdir -p "$HOME_DIR/log"

# listen NAME SECONDS: a manager's socket at HOME/NAME.sock, messages in HOME/NAME.msgs.
listen() {
    "$RECV" "$HOME_DIR/$1.sock" "$2" >"$HOME_DIR/$1.msgs" &
    BG_PIDS+=($!)
    wait_until 5 "socket $1" test -S "$HOME_DIR/$1.sock"
}
count() { grep -c -- "$2" "$HOME_DIR/$1.msgs" || true; }

log "broker: ready, then the watchdog every 250 ms"
listen broker 60
NOTIFY_SOCKET="$HOME_DIR/broker.sock" WATCHDOG_USEC=500000 "$GL_BIN/gridlink-broker" --home "$HOME_DIR" \
    2>"$HOME_DIR/log/broker.log" &
BROKER=$!
BG_PIDS+=($BROKER)
wait_until 10 "broker READY=1" grep -q "^READY=1 STATUS=serving the bus" "$HOME_DIR/broker.msgs"
t0=$(count broker WATCHDOG=1)
sleep 2
t1=$(count broker WATCHDOG=1)
# 2 s at 250 ms is 8 pings; a loaded machine may be late, never silent.
[ $((t1 - t0)) -ge 4 ] && [ $((t1 - t0)) -le 10 ] || fail "broker sent $((t1 - t0)) watchdog pings in 2 s"

log "node process with --group township: the township and its subtree, under one PID"
listen node 60
NOTIFY_SOCKET="$HOME_DIR/node.sock" WATCHDOG_USEC=400000 WATCHDOG_PID=1 "$GL_BIN/gridlink-node" \
    --home "$HOME_DIR" --group township --node xinbei.sanjing 2>"$HOME_DIR/log/node.log" &
NODE=$!
BG_PIDS+=($NODE)
wait_until 20 "node READY=1" grep -q "^READY=1 STATUS=serving 5 node(s)" "$HOME_DIR/node.msgs"
# Ready means serving: every node of the group answers at once.
for n in xinbei.sanjing xinbei.sanjing.market xinbei.sanjing.c01 xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2; do
    "$GRIDLINK" health --home "$HOME_DIR" --node "$n" --timeout 2000 >/dev/null || fail "$n does not answer after READY=1"
done
args=$(ps -o args= -p "$NODE")
for n in xinbei.sanjing.c01.g1 xinbei.sanjing.market; do
    grep -q -- "--node $n\b" <<<"$args" || fail "command line of $NODE does not name $n: $args"
done
grep -q -- "--group" <<<"$args" && fail "command line still has --group: $args"
# WATCHDOG_PID names another process: this one sends no pings.
sleep 1
[ "$(count node WATCHDOG=1)" -eq 0 ] || fail "node pinged a watchdog that is not its own"

log "a node that does not lead its group is refused, with the one that does"
set +e
"$GL_BIN/gridlink-node" --home "$HOME_DIR" --group township --node xinbei.sanjing.c01 2>"$HOME_DIR/refused.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "exit $rc for a node that does not lead its group"
grep -q "runs in the process of xinbei.sanjing" "$HOME_DIR/refused.err" || fail "$(cat "$HOME_DIR/refused.err")"

log "SIGHUP: both keep running; the node reloads its topology, the broker takes the nodes' keys again (none new)"
kill -HUP "$NODE" "$BROKER"
wait_until 5 "node reloads" grep -q "SIGHUP: topology reloaded" "$HOME_DIR/log/node.log"
wait_until 5 "broker logs the reload" grep -q "SIGHUP: 0 new node key(s) taken" "$HOME_DIR/log/broker.log"
kill -0 "$NODE" && kill -0 "$BROKER" || fail "SIGHUP stopped a process"
"$GRIDLINK" health --home "$HOME_DIR" --node xinbei.sanjing.c01.g1 --timeout 2000 >/dev/null || fail "node gone after SIGHUP"

log "SIGTERM: STOPPING=1 from both"
kill -TERM "$NODE" "$BROKER"
wait_until 10 "node stopped" sh -c "! kill -0 $NODE 2>/dev/null"
wait_until 10 "broker stopped" sh -c "! kill -0 $BROKER 2>/dev/null"
grep -q "^STOPPING=1" "$HOME_DIR/node.msgs" || fail "node sent no STOPPING=1"
grep -q "^STOPPING=1" "$HOME_DIR/broker.msgs" || fail "broker sent no STOPPING=1"
log "ok"
