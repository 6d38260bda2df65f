# gridlink provision makes the home of one machine of a district on many:
# the topology of the provisioning home and the keypairs of the nodes the
# machine's units run (the groups the --host-of nodes lead), the broker's
# with --broker, and no other secret key. It refuses a node that does not
# lead its group, one not in the topology, and a directory that is not
# empty, and writes nothing then. A process started on a bundle runs its
# nodes, and the bundle's `gridlink health` asks those nodes only. (test_multihost runs a whole district on bundles, as root.)
source "$(dirname "$0")/lib.sh"

PROV="$HOME_DIR/provision"
B="$HOME_DIR/bundles"
mkdir -p "$B"
secrets() { (cd "$1/keys" && ls -- *.cert_secret | sed 's/\.cert_secret$//' | sort | tr '\n' ' '); }

# --topology makes the keys in the provisioning home first, as keygen does.
out=$("$GRIDLINK" provision --home "$PROV" --topology "$MINI" --group community \
    --host-of xinbei.sanjing.c01 --to "$B/c01")
[ -f "$PROV/topology.json" ] || fail "no topology in the provisioning home"
[ "$(ls "$PROV"/keys/*.cert_secret | wc -l)" -eq 9 ] || fail "the provisioning home has not 9 keypairs (7 nodes, broker, operator)"
[ "$(secrets "$B/c01")" = "xinbei.sanjing.c01 xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2 " ] ||
    fail "the community's bundle holds the secret keys of: $(secrets "$B/c01")"
grep -qx "GRIDLINK_GROUP=community" <<<"$out" || fail "no GRIDLINK_GROUP line: $out"
grep -qx "units: gridlink-node@xinbei.sanjing.c01.service" <<<"$out" || fail "no units line: $out"
cmp -s "$B/c01/topology.json" "$PROV/topology.json" || fail "the bundle's topology is not the provisioning home's"
[ "$(stat -c %a "$B/c01")" = 700 ] || fail "the bundle is not 0700"
for f in "$B"/c01/keys/*.cert_secret; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
    cmp -s "$f" "$PROV/keys/$(basename "$f")" || fail "$f differs from the provisioning home's"
done

# Without --topology the home's own; the broker's keypair with --broker; the
# operator's never.
out=$("$GRIDLINK" provision --home "$PROV" --host-of xinbei --host-of xinbei.urban --broker --to "$B/d")
[ "$(secrets "$B/d")" = "broker xinbei xinbei.urban " ] || fail "the district's bundle holds: $(secrets "$B/d")"
grep -qx "units: gridlink-broker.service gridlink-node@xinbei.service gridlink-node@xinbei.urban.service" <<<"$out" ||
    fail "units line: $out"
out=$("$GRIDLINK" provision --home "$PROV" --group township --host-of xinbei.sanjing --to "$B/t")
[ "$(secrets "$B/t")" = "xinbei.sanjing xinbei.sanjing.c01 xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2 xinbei.sanjing.market " ] ||
    fail "the township's bundle holds: $(secrets "$B/t")"

# refused WANT ARGS...: provision exits 1 with WANT on stderr and makes nothing.
refused() {
    local want=$1 rc=0
    shift
    "$GRIDLINK" provision --home "$PROV" "$@" --to "$B/no" >"$HOME_DIR/out" 2>"$HOME_DIR/err" || rc=$?
    [ $rc -eq 1 ] || fail "provision $* exited $rc: $(cat "$HOME_DIR/err")"
    grep -qF -- "$want" "$HOME_DIR/err" || fail "provision $*: '$(cat "$HOME_DIR/err")' does not say '$want'"
    [ ! -e "$B/no" ] || [ -z "$(ls -A "$B/no" | grep -vx left-over)" ] || fail "provision $* left files in $B/no"
}
refused "xinbei.sanjing.c01.g1 runs in the process of xinbei.sanjing.c01" --group community --host-of xinbei.sanjing.c01.g1
refused "xinbei.urban runs in the process of xinbei" --group township --host-of xinbei.urban
refused "node xinbei.nowhere is not in the topology" --host-of xinbei.nowhere
mkdir -p "$B/no" && touch "$B/no/left-over"
refused "exists and is not empty" --host-of xinbei
rm -rf "$B/no"

# A bundle is a home: the community's process runs on it.
"$GL_BIN/gridlink-node" --home "$B/c01" --group community --node xinbei.sanjing.c01 --log-level warn \
    >"$HOME_DIR/node.out" 2>&1 &
BG_PIDS+=($!)
for n in xinbei.sanjing.c01 xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2; do
    wait_until 20 "$n serving on its bundle" "$GRIDLINK" health --home "$B/c01" --node "$n" --timeout 500
done
# The home's health asks the nodes whose keys the bundle holds, and only those.
hj=$("$GRIDLINK" health --home "$B/c01" --json) || fail "health of the bundle: a node is down"
[ "$(jq -c '.nodes | map(.node)' <<<"$hj")" = '["xinbei.sanjing.c01","xinbei.sanjing.c01.g1","xinbei.sanjing.c01.g2"]' ] ||
    fail "health of the bundle asks: $(jq -c '.nodes | map(.node)' <<<"$hj")"
[ "$(jq -c '.liveness | [.nodes, .up, .share_up]' <<<"$hj")" = '[3,3,1]' ] ||
    fail "the bundle's liveness: $(jq -c .liveness <<<"$hj")"
log "ok"
