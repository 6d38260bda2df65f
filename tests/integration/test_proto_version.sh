# A neighbour speaking another protocol version is told why it is not
# linked, and counted: a probe holding a grid's own key says Hello as
# protocol version 2 to its community, which answers with an Error naming
# both versions, logs the refusal and counts it in health (proto_mismatch).
# A report of version 2 is neither taken nor refused by its number. The
# real grid's link goes on: its next report arrives.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
PROBE="$GL_BIN/tests/gl_probe"
G2=$C1.g2

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"
T="$HOME_DIR/topology.json"
endpoint=$(jq -r --arg n $C1 '.nodes[] | select(.id==$n) | .endpoint // empty' "$T")
[ -n "$endpoint" ] || endpoint="tcp://127.0.0.1:$((PORT_BASE + 4))"
key=$(jq -r --arg n $C1 '.nodes[] | select(.id==$n) | .public_key' "$T")

mismatches() { gl health --node $C1 --json | jq .proto_mismatch; }
[ "$(mismatches)" -eq 0 ] || fail "$C1 counts $(mismatches) mismatches before the probe"

out=$(GL_PROBE_VERSION=2 "$PROBE" "$endpoint" "$key" $G2 "$HOME_DIR/keys/$G2.cert")
[ "$out" = "told: $C1 speaks protocol version 1, not 2: upgrade the older binary of the two" ] ||
    fail "the probe speaking version 2 got: $out"
wait_until 10 "$C1 counts the mismatch" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $C1 --json | jq .proto_mismatch)\" -ge 1 ]"
grep -qF "link $C1<-$G2: the peer speaks protocol version 2, this node 1: not linked; upgrade the older binary of the two" \
    "$HOME_DIR/log/$C1.log" || fail "the mismatch is not logged by $C1"

# A version-2 report is not taken, and its number is not refused (the
# sender would drop it): it waits for the two sides to speak one version.
refused=$(gl health --node $C1 --json | jq .refused_in)
out=$(GL_PROBE_VERSION=2 "$PROBE" "$endpoint" "$key" $G2 "$HOME_DIR/keys/$G2.cert" $G2-900001 1 1)
[[ "$out" == "told: "* ]] || fail "the probe's version-2 report got: $out"
gl show --node $C1 $G2-900001 >/dev/null 2>&1 && fail "$C1 took a report of protocol version 2"
[ "$(gl health --node $C1 --json | jq .refused_in)" -eq "$refused" ] || fail "$C1 refused the version-2 report's number"

# The control: version 1 is answered as before, and not counted.
n=$(mismatches)
out=$("$PROBE" "$endpoint" "$key" $G2 "$HOME_DIR/keys/$G2.cert")
[ "$out" = answered ] || fail "the probe speaking version 1 got: $out"
[ "$(mismatches)" -eq "$n" ] || fail "a version-1 Hello was counted as a mismatch"

id=$(gl submit --node $G2 --category urban/sanitation --text "版本探测之后的报告")
wait_until 20 "$C1 holds $id" case_is $C1 "$id" ".holder == \"$C1\""
log "ok: a version-2 Hello was told why and counted ($(mismatches)); the grid's link goes on"
