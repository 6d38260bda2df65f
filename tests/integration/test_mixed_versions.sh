# A district whose community runs an older gridlink-node (GL_OLD_BIN: a
# build directory of an older commit, e.g. 64e5bb0, from before Welcome
# stated its protocol version and before photos and receipts) among nodes
# of this build. Both speak protocol version 1: the old community's Welcome
# states no version and is taken by this build's grids, this build's
# Welcome (with a field the old build does not know) is taken by the old
# community from the township, nothing is counted as a mismatch: a new
# grid's report reaches the old community, and its acceptance comes back.
# Skipped (77) without GL_OLD_BIN.
if [ -z "${GL_OLD_BIN:-}" ] || [ ! -x "${GL_OLD_BIN:-}/gridlink-node" ]; then
    echo "skipped: GL_OLD_BIN must name a build directory of an older gridlink-node"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
G1=$C1.g1
T1=xinbei.sanjing

# This build's binaries, but the community's process from the old build.
BIN="$HOME_DIR/bin"
mkdir "$BIN"
ln -s "$GL_BIN/gridlink" "$BIN/gridlink"
ln -s "$GL_BIN/gridlink-broker" "$BIN/gridlink-broker"
cat >"$BIN/gridlink-node" <<SH
#!/bin/sh
case " \$* " in
*" --node $C1 "*) exec "$GL_OLD_BIN/gridlink-node" "\$@" ;;
esac
exec "$GL_BIN/gridlink-node" "\$@"
SH
chmod +x "$BIN/gridlink-node"
export GRIDLINK_BIN_DIR="$BIN"

# The topology without what the old build's loader does not know (the
# catalogue's Open311 descriptions).
slow_topology "$HOME_DIR/slow-new.json"
jq '.categories |= walk(if type == "object" then del(.description, .keywords, .attributes) else . end)' \
    "$HOME_DIR/slow-new.json" >"$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json" --group node
pid=$(node_pid $C1)
[ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$GL_OLD_BIN/gridlink-node")" ] ||
    fail "$C1 does not run the old build"
wait_until 20 "$C1 has $G1 and its parent" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $C1 --json | jq -e --arg g $G1 '(.children_up | index(\$g) != null) and .parent_up'"
wait_until 20 "$G1 has $C1" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $G1 --json | jq -e .parent_up"

id=$(gl submit --node $G1 --category urban/sanitation --text "新旧版本之间的报告")
wait_until 20 "$C1 holds $id" case_is $C1 "$id" ".holder == \"$C1\""
gl act --node $C1 "$id" accept >/dev/null || fail "accept at the old $C1 failed"
wait_until 20 "$G1 sees $id accepted" case_is $G1 "$id" '.state == "accepted"'
wait_until 20 "$T1 has $C1" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $T1 --json | jq -e --arg c $C1 '.children_up | index(\$c) != null'"
for n in $G1 $T1; do
    h=$(gl health --node $n --json)
    jq -e '.proto_mismatch == 0 and .dead_letters == 0 and .refused_in == 0' <<<"$h" >/dev/null ||
        fail "$n next to the old $C1: $(jq -c '{proto_mismatch, dead_letters, refused_in, malformed}' <<<"$h")"
done
log "ok: the old $C1 links with this build's $G1 and $T1 on protocol version 1; $id went up and its acceptance came back"
