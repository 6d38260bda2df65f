#!/usr/bin/env bash
# test_key_rotation: `gridlink keys rotate` gives the community
# xinbei.sanjing.c01 a new keypair while cases flow through it, and only its
# own process restarts. The mini district, one process per node; a case
# climbs from the community to the township 2 s after it arrives.
#
#   - `gridlink load` reports cases at the community's two grids all along;
#   - a probe with the community's key is answered by the township (the
#     control), the key is rotated (and the bundle of the community's
#     machine made: its own keypair only, the new one), the township, both
#     grids and the broker are sent SIGHUP (their PIDs stay the same), the
#     community's process is stopped and `up` starts it again;
#   - then the same probe with the old key is refused by the township
#     (silent, logged), as a bus request with it is by the broker (asked
#     before as the control), the new key is in the topology and the bundle, and
#     the broker admits the new key on the bus (events from the community
#     after its restart);
#   - every acknowledged case is found exactly once ("N acked, N found,
#     0 lost, 0 duplicated") and every one climbed to the township, across
#     both links the rotation touched.
source "$(dirname "$0")/lib.sh"
PROBE="$GL_BIN/tests/gl_probe"

C=xinbei.sanjing.c01
T=xinbei.sanjing
CASES=${CASES:-240}
RATE=${RATE:-20}
TOPO="$HOME_DIR/escalating.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 2, "resolve_s": 0},
            {"tier": "township", "accept_s": 3600, "resolve_s": 0},
            {"tier": "district", "accept_s": 3600, "resolve_s": 0}]' "$MINI" >"$TOPO"
start_up "$TOPO"
TJ="$HOME_DIR/topology.json"
key_of() { jq -r --arg n "$1" '.nodes[] | select(.id == $n) | .public_key' "$TJ"; }
t_endpoint=$(jq -r --arg n $T '.nodes[] | select(.id == $n) | .endpoint // empty' "$TJ")
[ -n "$t_endpoint" ] || t_endpoint="tcp://127.0.0.1:$((PORT_BASE + 3))"
t_key=$(key_of $T)
old_key=$(key_of $C)
cp "$HOME_DIR/keys/$C.cert" "$HOME_DIR/old.cert"
cp "$HOME_DIR/keys/$C.cert_secret" "$HOME_DIR/old.cert_secret"

out=$("$PROBE" "$t_endpoint" "$t_key" $C "$HOME_DIR/old.cert")
[ "$out" = answered ] || fail "the community's key was not answered before the rotation ($out): the probe is broken"
bus_in=$(jq -r '.broker.bus_in // empty' "$TJ")
[ -n "$bus_in" ] || bus_in="tcp://127.0.0.1:$PORT_BASE"
broker_key=$(jq -r '.broker.public_key' "$TJ")
bus_ask() { "$GL_BIN/tests/gl_busprobe" request "$bus_in" "$broker_key" "$HOME_DIR/old.cert" 2000 op=marks; }
bus_ask | grep -q '"end":true' || fail "the broker did not answer the community's key before the rotation: the probe is broken"

pid_t=$(node_pid $T) pid_g1=$(node_pid $C.g1) pid_g2=$(node_pid $C.g2) pid_c=$(node_pid $C)
pid_b=$(pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)" | head -n1)
[ -n "$pid_t" ] && [ -n "$pid_g1" ] && [ -n "$pid_g2" ] && [ -n "$pid_c" ] && [ -n "$pid_b" ] ||
    fail "not one process per node: t=$pid_t g1=$pid_g1 g2=$pid_g2 c=$pid_c broker=$pid_b"

load_out="$HOME_DIR/load.out" load_err="$HOME_DIR/load.err"
"$GRIDLINK" load --home "$HOME_DIR" --prefix $C --cases "$CASES" --rate "$RATE" --timeout 60 --census-pause 1000 \
    >"$load_out" 2>"$load_err" &
load_pid=$!
BG_PIDS+=("$load_pid")
acked_file() { sed -n 's/.*acknowledged case IDs go to \(.*\)$/\1/p' "$load_err"; }
acked() { local f; f=$(acked_file); [ -n "$f" ] && [ -f "$f" ] && wc -l <"$f" || echo 0; }
acked_at_least() { [ "$(acked)" -ge "$1" ]; }
wait_until 20 "the load's first 40 cases acknowledged" acked_at_least 40

log "rotating $C's key with $(acked) cases acknowledged"
start=$(now_ms)
"$GRIDLINK" keys rotate --home "$HOME_DIR" --node $C --group node --to "$HOME_DIR/bundle" >"$HOME_DIR/rotate.out" ||
    fail "keys rotate failed: $(cat "$HOME_DIR/rotate.out")"
new_key=$(key_of $C)
[ -n "$new_key" ] && [ "$new_key" != "$old_key" ] || fail "the topology still has the old key of $C"
grep -qF "new key $new_key" "$HOME_DIR/rotate.out" || fail "rotate did not print the new key: $(cat "$HOME_DIR/rotate.out")"
grep -q "reload (SIGHUP) .*the broker, $T, $C.g1, $C.g2; then restart the process of $C" "$HOME_DIR/rotate.out" ||
    fail "rotate did not name what to reload: $(cat "$HOME_DIR/rotate.out")"
[ "$(jq -r --arg n $C '.nodes[] | select(.id == $n) | .public_key' "$HOME_DIR/bundle/topology.json")" = "$new_key" ] ||
    fail "the bundle's topology has not the new key"
[ "$(ls "$HOME_DIR/bundle/keys")" = "$(printf '%s\n' $C.cert $C.cert_secret)" ] ||
    fail "the bundle holds other keys: $(ls "$HOME_DIR/bundle/keys" | tr '\n' ' ')"
cmp -s "$HOME_DIR/bundle/keys/$C.cert_secret" "$HOME_DIR/keys/$C.cert_secret" || fail "the bundle's secret key is not the new one"
! cmp -s "$HOME_DIR/old.cert_secret" "$HOME_DIR/keys/$C.cert_secret" || fail "the secret key did not change"
[ "$(stat -c %a "$HOME_DIR/keys/$C.cert_secret")" = 600 ] || fail "the new secret key is not 0600"

kill -HUP "$pid_t" "$pid_g1" "$pid_g2" "$pid_b"
wait_until 10 "$T admits the new key" grep -q "SIGHUP: node $C has a new key: $T admits it" "$HOME_DIR/log/$T.log"
for g in $C.g1 $C.g2; do
    wait_until 10 "$g connects again" grep -q "SIGHUP: node $C has a new key: $g connects to it again" "$HOME_DIR/log/$g.log"
done
wait_until 10 "the broker takes the new key" grep -q "SIGHUP: node $C has a new key: admitted on the bus" "$HOME_DIR/log/broker.log"
kill -TERM "$pid_c"
wait_until 20 "$C started again" sh -c "p=\$(pgrep -f -- 'gridlink-node --home $HOME_DIR --node $C( |\$)'); [ -n \"\$p\" ] && [ \"\$p\" != $pid_c ]"
wait_until 20 "$C serving again" "$GRIDLINK" health --home "$HOME_DIR" --node $C --timeout 500
mark_of_c() { "$GRIDLINK" watch --home "$HOME_DIR" --marks --json | jq -r --arg n $C 'select(.node == $n) | .seq'; }
mark_restart=$(mark_of_c)
log "rotated and $C restarted in $(($(now_ms) - start)) ms with $(acked) cases acknowledged"

# The old key is refused now; the new one is the community's.
out=$("$PROBE" "$t_endpoint" "$t_key" $C "$HOME_DIR/old.cert")
[ "$out" = silent ] || fail "the township answered the old key of $C ($out)"
wait_until 5 "the township logs the refusal" grep -qF "zap: refused key $old_key on domain $T" "$HOME_DIR/log/$T.log"
[ -z "$(bus_ask)" ] || fail "the broker answered the old key of $C"
grep -qF "zap: refused key $old_key on domain bus-in" "$HOME_DIR/log/broker.log" || fail "the broker logged no refusal of the old key"
for p in "$pid_t" "$pid_g1" "$pid_g2" "$pid_b"; do
    kill -0 "$p" || fail "process $p (sent SIGHUP) is gone"
done
! grep -qF "zap: refused key $new_key" "$HOME_DIR"/log/*.log || fail "the new key was refused somewhere"

rc=0
wait "$load_pid" || rc=$?
line=$(cat "$load_out")
log "load: $line (exit $rc)"
[ "$rc" -eq 0 ] || { tail -n 20 "$load_err" >&2; fail "gridlink load exited $rc: $line"; }
[[ "$line" =~ ^([0-9]+)\ acked,\ ([0-9]+)\ found,\ 0\ lost,\ 0\ duplicated$ ]] || fail "unexpected verdict: '$line'"
[ "${BASH_REMATCH[1]}" -eq "$CASES" ] && [ "${BASH_REMATCH[2]}" -eq "$CASES" ] || fail "expected $CASES acked and found: '$line'"
at_t() { "$GRIDLINK" health --home "$HOME_DIR" --node $T | jq .cases; }
all_at_t() { [ "$(at_t)" -eq "$CASES" ]; }
wait_until 30 "all $CASES cases at the township" all_at_t
# The broker has the community's events from after its restart, sent with
# the new key.
mark_grew() { [ "$(mark_of_c)" -gt "$mark_restart" ]; }
wait_until 10 "the broker's mark of $C beyond $mark_restart" mark_grew
log "ok: $line, all $CASES at the township; the old key refused; broker's mark of $C $mark_restart -> $(mark_of_c)"
