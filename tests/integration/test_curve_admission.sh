# No socket whose key is not a listed child of a node gets a message accepted
# by it: an unknown key, a sibling's key under another grid's name, and a
# real topology key that is not a child are all refused, while the child's
# own key (the control) is answered.
source "$(dirname "$0")/lib.sh"
PROBE="$GL_BIN/tests/gl_probe"

start_up "$MINI"
T="$HOME_DIR/topology.json"
community=xinbei.sanjing.c01
endpoint=$(jq -r --arg n $community '.nodes[] | select(.id==$n) | .endpoint // empty' "$T")
[ -n "$endpoint" ] || endpoint="tcp://127.0.0.1:$((PORT_BASE + 4))"
key=$(jq -r --arg n $community '.nodes[] | select(.id==$n) | .public_key' "$T")
keys="$HOME_DIR/keys"

cases_at() { "$GRIDLINK" list --home "$HOME_DIR" --node "$1" --json | jq length; }
before=$(cases_at $community)

# The control: a listed child with its own key is answered.
out=$("$PROBE" "$endpoint" "$key" xinbei.sanjing.c01.g2 "$keys/xinbei.sanjing.c01.g2.cert")
[ "$out" = answered ] || fail "the child's own key was not answered ($out): the probe is broken"

check_refused() {
    local what=$1 ident=$2 cert=$3 case_id=$4
    out=$("$PROBE" "$endpoint" "$key" "$ident" "$cert" "$case_id")
    [ "$out" = silent ] || fail "$what: the node answered"
    if "$GRIDLINK" show --home "$HOME_DIR" --node $community "$case_id" >/dev/null 2>&1; then
        fail "$what: the forged case $case_id was accepted"
    fi
    log "$what: refused"
}
check_refused "unknown key" xinbei.sanjing.c01.g1 random xinbei.sanjing.c01.g1-900001
check_refused "sibling key under another name" xinbei.sanjing.c01.g1 "$keys/xinbei.sanjing.c01.g2.cert" xinbei.sanjing.c01.g1-900002
check_refused "district key posing as a grid" xinbei.sanjing.c01.g1 "$keys/xinbei.cert" xinbei.sanjing.c01.g1-900003
check_refused "operator key" xinbei.sanjing.c01.g1 "$keys/operator.cert" xinbei.sanjing.c01.g1-900004

[ "$(cases_at $community)" -eq "$before" ] || fail "the community's case count changed"
grep -q "zap: refused" "$HOME_DIR/log/$community.log" || fail "no refusal logged by the community"
grep -q "is not the authenticated peer" "$HOME_DIR/log/$community.log" || fail "identity mismatch not logged"

# The real grid still works after all that.
id=$("$GRIDLINK" submit --home "$HOME_DIR" --node xinbei.sanjing.c01.g1 --category urban --text "after the probes")
wait_until 5 "genuine report arrives" "$GRIDLINK" show --home "$HOME_DIR" --node $community "$id"
log "ok"
