# faultlib.sh: helpers for the fault tests (tests/fault/test_partition.sh,
# test_loss.sh, test_storage_*.sh), on top of tests/integration/lib.sh.
#
# These tests start gridlink-node processes directly (not `gridlink up`), one
# per node, optionally inside network namespaces the test creates itself, and
# take down whatever they set up (processes, nftables tables inside their own
# namespaces, namespaces with their veth pair, tmpfs mounts) on exit, however
# the test ends. Network traffic only ever flows between the test's own
# namespaces (10.231.0.1 <-> 10.231.0.2 on a veth pair, no default route) or
# on loopback.
#
# A test that cannot run here (no root, no network namespaces, no nftables,
# no tmpfs) calls skip REASON: it exits with SKIP_CODE (77), which the fault
# CMakeLists declares as SKIP_RETURN_CODE, and prints "0 passed, 0 failed, 1 skipped".
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

NODE_BIN="$GL_BIN/gridlink-node"
SKIP_CODE=77
NET_A=10.231.0.1 # upper side: district and township
NET_B=10.231.0.2 # lower side: community and grids
DISTRICT=xinbei
TOWNSHIP=xinbei.sanjing
COMMUNITY=xinbei.sanjing.c01
G1=xinbei.sanjing.c01.g1
G2=xinbei.sanjing.c01.g2

declare -A NODE_PID=()
NETNS=()  # namespaces this test created
MOUNTS=() # mount points this test created
mkdir -p "$HOME_DIR/log"

fault_cleanup() {
    local rc=$?
    set +e
    # Nodes first (TERM, then KILL by PID): a mount or namespace in use by
    # one of them cannot be removed.
    for id in "${!NODE_PID[@]}"; do kill -CONT "${NODE_PID[$id]}" 2>/dev/null; kill -TERM "${NODE_PID[$id]}" 2>/dev/null; done
    for _ in $(seq 50); do
        local alive=0
        for id in "${!NODE_PID[@]}"; do kill -0 "${NODE_PID[$id]}" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for id in "${!NODE_PID[@]}"; do kill -KILL "${NODE_PID[$id]}" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    # GL_KEEP_LOGS=DIR keeps the node logs and the case lists for a post-mortem.
    [ -n "${GL_KEEP_LOGS:-}" ] && mkdir -p "$GL_KEEP_LOGS" && cp -r "$HOME_DIR/log" "$HOME_DIR".* "$GL_KEEP_LOGS/" 2>/dev/null
    for m in "${MOUNTS[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
    for ns in "${NETNS[@]}"; do
        # Only processes of this test can be in a namespace it created.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
    done
    # Files kept beside the home (acked IDs, topology copy, case lists).
    rm -rf "$HOME_DIR".*
    if [ $rc -eq $SKIP_CODE ]; then
        pkill -KILL -f -- "--home $HOME_DIR" 2>/dev/null
        rm -rf "$HOME_DIR"
        echo "0 passed, 0 failed, 1 skipped"
        exit $SKIP_CODE
    fi
    (exit $rc)
    cleanup
}
trap fault_cleanup EXIT

# On failure, also show the TCP sockets of each namespace and each node's health.
eval "lib_fail() $(declare -f fail | tail -n +2)"
fail() {
    for ns in "${NETNS[@]}"; do
        echo "---- sockets in $ns" >&2
        ip netns exec "$ns" ss -tanpo 2>/dev/null | grep -v LISTEN >&2
    done
    for id in "${!NODE_PID[@]}"; do
        echo "---- health of $id" >&2
        "$GRIDLINK" health --home "$HOME_DIR" --node "$id" --timeout 1000 2>&1 | jq -c . >&2
    done
    lib_fail "$@"
}

skip() {
    log "SKIP: $*"
    exit $SKIP_CODE
}

require_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables, mounts)"; }

# ---- topology ----

# write_topology OUT MODE: a copy of the mini district (district, township,
# community, two grids; not its departments, which these tests do not start)
# with short community SLA so every case reported at a
# grid escalates to the township within seconds, and long upper SLAs so the
# township keeps what it receives. MODE "netns": every endpoint on the veth
# addresses (upper side A, lower side B); MODE "loopback": port_base from
# free ports on 127.0.0.1.
write_topology() {
    local out=$1 mode=$2
    local sla='[{"tier":"grid","accept_s":0,"resolve_s":0},{"tier":"community","accept_s":1,"resolve_s":0},
                {"tier":"township","accept_s":3600,"resolve_s":0},{"tier":"district","accept_s":3600,"resolve_s":0}]'
    if [ "$mode" = netns ]; then
        jq --argjson sla "$sla" --arg a "$NET_A" --arg b "$NET_B" '
            .sla = $sla | del(.port_base) | del(.listen_host)
            | .nodes |= map(select(.tier != "department"))
            | .broker = {"bus_in": "tcp://\($a):17300", "bus_out": "tcp://\($a):17301"}
            | .nodes |= map(
                if .tier == "district" then .endpoint = "tcp://\($a):17302"
                elif .tier == "township" then .endpoint = "tcp://\($a):17303"
                elif .tier == "community" then .endpoint = "tcp://\($b):17304"
                else . end)' "$MINI" >"$out"
    else
        jq --argjson sla "$sla" --argjson pb "$(free_port_base 16)" \
            '.sla = $sla | .port_base = $pb | .nodes |= map(select(.tier != "department"))' "$MINI" >"$out"
    fi
}

# init_home MODE: topology and keys in HOME_DIR.
init_home() {
    write_topology "$HOME_DIR.topology.json" "$1"
    "$GRIDLINK" keygen --home "$HOME_DIR" --topology "$HOME_DIR.topology.json" >/dev/null ||
        fail "keygen failed"
}

# ---- network namespaces ----

# netns_pair: two namespaces joined by a veth pair, NS_A/VETH_A with NET_A,
# NS_B/VETH_B with NET_B, loopback up in both. No default route anywhere.
netns_pair() {
    command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
    local tag="gl$$"
    NS_A="$tag-a" NS_B="$tag-b" VETH_A="${tag}a" VETH_B="${tag}b"
    ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces here"
    NETNS+=("$NS_A")
    ip netns add "$NS_B" || fail "cannot create namespace $NS_B"
    NETNS+=("$NS_B")
    ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" ||
        fail "cannot create the veth pair"
    ip -n "$NS_A" addr add "$NET_A/24" dev "$VETH_A"
    ip -n "$NS_B" addr add "$NET_B/24" dev "$VETH_B"
    # Creating a namespace is not enough: `ip netns exec` also needs to
    # remount / and /sys (it fails with '"mount --make-rslave /" failed'
    # where the sandbox forbids that). Run something in it before relying
    # on it.
    local why
    why=$(ip netns exec "$NS_A" true 2>&1) || skip "ip netns exec does not work here: ${why:-exit status $?}"
    for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_A" link set "$VETH_A" up
    ip -n "$NS_B" link set "$VETH_B" up
    log "namespaces $NS_A ($NET_A) and $NS_B ($NET_B) joined by $VETH_A/$VETH_B"
}

# require_nft NS: nftables usable inside namespace NS, else skip.
require_nft() {
    command -v nft >/dev/null || skip "nftables (nft) is not installed"
    ip netns exec "$1" nft list ruleset >/dev/null 2>&1 || skip "nft cannot be used in a network namespace here"
    ip netns exec "$1" nft add table inet glprobe 2>/dev/null || skip "nft cannot add a table here"
    ip netns exec "$1" nft delete table inet glprobe
}

# ---- nodes ----

# start_node NS ID [gridlink-node args...]: NS "" runs in this namespace.
# Waits until the node answers on its control socket.
start_node() {
    local ns=$1 id=$2
    shift 2
    local cmd=("$NODE_BIN" --home "$HOME_DIR" --node "$id" "$@")
    [ -n "$ns" ] && cmd=(ip netns exec "$ns" "${cmd[@]}")
    "${cmd[@]}" >>"$HOME_DIR/log/$id.log" 2>&1 &
    NODE_PID[$id]=$!
    wait_until 20 "node $id serving" "$GRIDLINK" health --home "$HOME_DIR" --node "$id" --timeout 500
}

# start_split_district: district and township in namespace A, the community
# and its grids in B; returns once the township sees the community.
start_split_district() {
    start_node "$NS_A" $DISTRICT
    start_node "$NS_A" $TOWNSHIP
    start_node "$NS_B" $COMMUNITY
    start_node "$NS_B" $G1
    start_node "$NS_B" $G2
    wait_until 20 "township sees the community" child_up $TOWNSHIP $COMMUNITY
}

node_alive() { kill -0 "${NODE_PID[$1]}" 2>/dev/null; }

health() { "$GRIDLINK" health --home "$HOME_DIR" --node "$1" --timeout 2000; }
child_up() { health "$1" | jq -e --arg c "$2" '.children_up | index($c) != null' >/dev/null; }
child_down() { health "$1" | jq -e --arg c "$2" '.children_down | index($c) != null' >/dev/null; }
parent_up() { health "$1" | jq -e '.parent_up == true' >/dev/null; }
pending() { health "$1" | jq -r .outbox_pending; }

# ---- load ----

# start_submitter OUT MAX GRID...: submit cases round-robin at the grids,
# at most MAX, until stop_submitter. The ID of every case a grid
# acknowledged goes to OUT, one a line; refusals are counted in OUT.fail.
# Several submitters may run at once, each with its own OUT.
start_submitter() {
    local out=$1 max=$2
    shift 2
    : >"$out"
    : >"$out.fail"
    (
        set +e
        i=0
        while [ ! -e "$HOME_DIR.stop" ] && [ $i -lt "$max" ]; do
            for g in "$@"; do
                if id=$("$GRIDLINK" submit --home "$HOME_DIR" --node "$g" --category governance \
                    --text "fault case $i" --timeout 3000 2>>"$out.err"); then
                    echo "$id" >>"$out"
                else
                    echo "$g $i" >>"$out.fail"
                fi
                i=$((i + 1))
            done
            sleep "${SUBMIT_PAUSE:-0.02}"
        done
    ) &
    BG_PIDS+=($!)
    SUBMITTER_PIDS+=($!)
}
SUBMITTER_PIDS=()

# stop_submitter: stop every submitter and wait for its last submission.
stop_submitter() {
    touch "$HOME_DIR.stop"
    for p in "${SUBMITTER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    SUBMITTER_PIDS=()
    rm -f "$HOME_DIR.stop"
}

count_lines() { wc -l <"$1" | tr -d ' '; }

# ids_at NODE: the IDs of the cases NODE holds, sorted.
ids_at() { "$GRIDLINK" list --home "$HOME_DIR" --node "$1" --json --timeout 5000 | jq -r '.[].id' | sort; }

# missing_at NODE ACKED: how many acknowledged IDs NODE does not hold.
missing_at() { comm -23 <(sort -u "$2") <(ids_at "$1") | wc -l; }
all_at() { [ "$(missing_at "$1" "$2")" -eq 0 ]; }

# check_exactly_once NODE ACKED: NODE holds every acknowledged case, each
# with exactly one "received" entry of its own in the history, and never met
# a second copy of a case it already had.
check_exactly_once() {
    local node=$1 acked=$2
    [ -z "$(sort "$acked" | uniq -d)" ] || fail "a grid acknowledged the same case ID twice"
    local list="$HOME_DIR.list.$node.json"
    "$GRIDLINK" list --home "$HOME_DIR" --node "$node" --json --timeout 5000 >"$list" || fail "list at $node failed"
    local missing
    missing=$(comm -23 <(sort -u "$acked") <(jq -r '.[].id' "$list" | sort) | wc -l)
    [ "$missing" -eq 0 ] || fail "$missing acknowledged case(s) never reached $node"
    local bad
    bad=$(jq --arg n "$node" '[.[] | select(([.history[] | select(.action == "received" and .node == $n)] | length) != 1)] | length' "$list")
    [ "$bad" -eq 0 ] || fail "$bad case(s) at $node were not received exactly once"
    if grep -q "already known" "$HOME_DIR/log/$node.log"; then
        grep "already known" "$HOME_DIR/log/$node.log" | head -5 >&2
        fail "$node was sent a case it already held (a duplicate delivery)"
    fi
}
