# A district on five hosts, each a network namespace of its own on one
# bridge, each started as the systemd units start it.
#
# Hosts (namespace, address on the bridge, what runs there):
#   d     10.232.0.1  the broker and the district xinbei
#   t     10.232.0.2  the township xinbei.sanjing
#   c1    10.232.0.3  the community xinbei.sanjing.c01 with its grids g1, g2
#                     in one process (GRIDLINK_GROUP=community)
#   c2    10.232.0.4  the community xinbei.sanjing.c02 and its grid g1, one
#                     unit each (GRIDLINK_GROUP=node)
#   c2g2  10.232.0.5  the grid xinbei.sanjing.c02.g2 alone
# Every parent's endpoint is tcp://ITS_HOST_ADDRESS:PORT, every link
# CurveZMQ over TCP across the bridge (the one between c02 and its grid g1
# stays on host c2). The bridge lives in a namespace of its own; no address
# or route is added to the machine's own network.
#
# Each host gets its home from `gridlink provision` (the FHS layout of the
# package under the host's root: etc/gridlink/gridlink.conf,
# var/lib/gridlink with run/ a link to run/gridlink): the topology and the
# keypairs of its own nodes only, which is checked. Every process is started
# with the ExecStart= of deploy/systemd/gridlink-node@.service or
# gridlink-broker.service, its variables taken from the unit's Environment=
# and the host's gridlink.conf, /usr/bin the build directory, with the
# unit's UMask= and as its User= (the user gridlink where the machine has
# one, else nobody, owning the host's home as StateDirectory= makes it).
#
# Checked:
#   - a case reported at the grid on host c2g2 climbs c02 -> township ->
#     district on the community's and the township's time limits (2 s each);
#   - with cases reported all along at all four grids, the township's process
#     is killed with SIGKILL and started again; host c2 is then cut off (its
#     port on the bridge down, or GL_MULTIHOST_CUT=nft: nftables on the
#     host dropping everything on its interface) until cases reported meanwhile on its side
#     wait at c02 with the escalation pending, for 10 s at least
#     (GL_MULTIHOST_CUT_S), and mended;
#   - in the end every case a grid acknowledged is held by the district
#     exactly once (received there once and at the township once, held
#     nowhere else, the reporting grid's copy naming the district), every
#     outbox is drained, no node has a dead letter, no node was sent a
#     case it already had, the broker has every node's events, and on each
#     host `gridlink health` of the home asks that host's nodes and finds
#     them up.
# About 25 s. Needs root and ip netns; skipped (77) otherwise.
source "$(dirname "$0")/lib.sh"

SKIP_CODE=77
START_MS=$(now_ms)
UNITS="$GL_SRC/deploy/systemd"
TAG="gl$$"
NETNS_MADE=()
declare -A HOST_NS=() HOST_ADDR=() PROC_PID=() PROC_HOST=()

skip() {
    log "SKIP: $*"
    exit $SKIP_CODE
}

mh_cleanup() {
    local rc=$?
    set +e
    # Processes by PID (TERM, then KILL), then whatever is left in the
    # namespaces this test made, then the namespaces (their veths go with them).
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for u in "${!PROC_PID[@]}"; do kill -TERM "${PROC_PID[$u]}" 2>/dev/null; done
    for _ in $(seq 50); do
        local alive=0
        for u in "${!PROC_PID[@]}"; do kill -0 "${PROC_PID[$u]}" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for u in "${!PROC_PID[@]}"; do kill -KILL "${PROC_PID[$u]}" 2>/dev/null; done
    [ -n "${GL_KEEP_LOGS:-}" ] && mkdir -p "$GL_KEEP_LOGS" && cp -r "$HOME_DIR/log" "$GL_KEEP_LOGS/" 2>/dev/null
    for ns in "${NETNS_MADE[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
    done
    if [ $rc -eq $SKIP_CODE ]; then
        rm -rf "$HOME_DIR"
        echo "0 passed, 0 failed, 1 skipped"
        exit $SKIP_CODE
    fi
    (exit $rc)
    cleanup
}
trap mh_cleanup EXIT

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
[ "${GL_MULTIHOST_CUT:-link}" != nft ] || command -v nft >/dev/null || skip "nftables (nft) is not installed"

D=xinbei
T=xinbei.sanjing
C1=xinbei.sanjing.c01
C2=xinbei.sanjing.c02
GRIDS=(xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2 xinbei.sanjing.c02.g1 xinbei.sanjing.c02.g2)
NODES=($D $T $C1 $C2 "${GRIDS[@]}")
HOSTS=(d t c1 c2 c2g2)
declare -A HOST_OF=([$D]=d [$T]=t [$C1]=c1 [xinbei.sanjing.c01.g1]=c1 [xinbei.sanjing.c01.g2]=c1
    [$C2]=c2 [xinbei.sanjing.c02.g1]=c2 [xinbei.sanjing.c02.g2]=c2g2)
PORT=17300
CUT_S=${GL_MULTIHOST_CUT_S:-10}
CUT_MODE=${GL_MULTIHOST_CUT:-link}
mkdir -p "$HOME_DIR/log"

# ---- the network: one bridge in a namespace of its own, a veth per host ----

SW="$TAG-sw"
ip netns add "$SW" 2>/dev/null || skip "cannot create network namespaces here"
NETNS_MADE+=("$SW")
why=$(ip netns exec "$SW" true 2>&1) || skip "ip netns exec does not work here: ${why:-exit status $?}"
ip -n "$SW" link add br0 type bridge || fail "cannot create a bridge"
ip -n "$SW" link set br0 up
i=0
for h in "${HOSTS[@]}"; do
    i=$((i + 1))
    ns="$TAG-$h"
    ip netns add "$ns" || fail "cannot create namespace $ns"
    NETNS_MADE+=("$ns")
    HOST_NS[$h]=$ns
    HOST_ADDR[$h]=10.232.0.$i
    ip link add "$TAG$h" netns "$ns" type veth peer name "$TAG${h}s" netns "$SW" || fail "cannot create the veth of $h"
    ip -n "$SW" link set "$TAG${h}s" master br0 up
    ip -n "$ns" addr add "${HOST_ADDR[$h]}/24" dev "$TAG$h"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$TAG$h" up
done
log "hosts on the bridge: $(for h in "${HOSTS[@]}"; do printf '%s=%s ' "$h" "${HOST_ADDR[$h]}"; done)"

# ---- the topology and the hosts' homes ----

# The mini district without its departments, a second community with two
# grids, every endpoint on its host's address; community and township take
# 2 s to accept, the district an hour (it keeps what climbs to it).
SRC="$HOME_DIR/district.json"
jq --arg d "${HOST_ADDR[d]}" --arg t "${HOST_ADDR[t]}" --arg c1 "${HOST_ADDR[c1]}" --arg c2 "${HOST_ADDR[c2]}" \
    --argjson p $PORT '
    del(.port_base) | del(.listen_host)
    | .sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0}, {"tier": "community", "accept_s": 2, "resolve_s": 0},
              {"tier": "township", "accept_s": 2, "resolve_s": 0}, {"tier": "district", "accept_s": 3600, "resolve_s": 0}]
    | .broker = {"bus_in": "tcp://\($d):\($p)", "bus_out": "tcp://\($d):\($p + 1)"}
    | .nodes |= map(select(.tier != "department"))
    | .nodes += [{"id": "xinbei.sanjing.c02", "tier": "community", "name": "三井街道第二社区"},
                 {"id": "xinbei.sanjing.c02.g1", "tier": "grid", "name": "三井街道第二社区第1网格"},
                 {"id": "xinbei.sanjing.c02.g2", "tier": "grid", "name": "三井街道第二社区第2网格"}]
    | .nodes |= map(
        if .id == "xinbei" then .endpoint = "tcp://\($d):\($p + 2)"
        elif .id == "xinbei.sanjing" then .endpoint = "tcp://\($t):\($p + 3)"
        elif .id == "xinbei.sanjing.c01" then .endpoint = "tcp://\($c1):\($p + 4)"
        elif .id == "xinbei.sanjing.c02" then .endpoint = "tcp://\($c2):\($p + 5)"
        else . end)' "$MINI" >"$SRC"
"$GRIDLINK" topology check "$SRC" >/dev/null || fail "the district's topology does not load"

root_of() { echo "$HOME_DIR/hosts/$1"; }
home_of() { echo "$(root_of "$1")/var/lib/gridlink"; }

# provision HOST GROUP ARGS...: the host's home from the provisioning home,
# its gridlink.conf with that GRIDLINK_GROUP, its run directory; the units
# provision names go to UNITS_OF[HOST].
declare -A UNITS_OF=() GROUP_OF=()
unit_user=$(sed -n 's/^User=//p' "$UNITS/gridlink-node@.service")
[ "$unit_user" = "$(sed -n 's/^User=//p' "$UNITS/gridlink-broker.service")" ] || fail "the units run as different users"
id -u "$unit_user" >/dev/null 2>&1 || unit_user=nobody
RUN_UID=$(id -u "$unit_user")
RUN_GID=$(id -g "$unit_user")
chmod 0711 "$HOME_DIR" # the hosts' roots below it are the processes' way to their homes
PROV="$HOME_DIR/provision"
provision() {
    local h=$1 group=$2
    shift 2
    local root home out
    root=$(root_of "$h")
    home=$(home_of "$h")
    mkdir -p "$root/etc/gridlink" "$root/run/gridlink" "$(dirname "$home")"
    chmod 0700 "$root/run/gridlink"
    out=$("$GRIDLINK" provision --home "$PROV" --topology "$SRC" --group "$group" "$@" --to "$home") ||
        fail "provision of host $h failed"
    grep -qx "GRIDLINK_GROUP=$group" <<<"$out" || fail "provision of $h: no GRIDLINK_GROUP line: $out"
    ln -s "$root/run/gridlink" "$home/run"
    sed "s/^GRIDLINK_GROUP=.*/GRIDLINK_GROUP=$group/" "$UNITS/gridlink.conf" >"$root/etc/gridlink/gridlink.conf"
    chown -R "$RUN_UID:$RUN_GID" "$home" "$root/run/gridlink"
    UNITS_OF[$h]=$(sed -n 's/^units: //p' <<<"$out")
    GROUP_OF[$h]=$group
}
provision d node --host-of $D --broker
provision t node --host-of $T
provision c1 community --host-of $C1
provision c2 node --host-of $C2 --host-of xinbei.sanjing.c02.g1
provision c2g2 node --host-of xinbei.sanjing.c02.g2

# Each home holds the secret keys of its own nodes (and the broker's on d)
# only, the same keys as the provisioning home, and the district's topology.
for h in "${HOSTS[@]}"; do
    home=$(home_of "$h")
    want=$(for n in "${NODES[@]}"; do [ "${HOST_OF[$n]}" != "$h" ] || echo "$n"; done
        [ "$h" != d ] || echo broker)
    have=$(cd "$home/keys" && ls -- *.cert_secret | sed 's/\.cert_secret$//')
    [ "$(sort <<<"$want")" = "$(sort <<<"$have")" ] ||
        fail "host $h holds the secret keys of: $(echo $have), not of: $(echo $want)"
    for n in $have; do
        cmp -s "$home/keys/$n.cert_secret" "$PROV/keys/$n.cert_secret" || fail "host $h: $n's secret key differs"
        [ "$(stat -c %a "$home/keys/$n.cert_secret")" = 600 ] || fail "host $h: $n's secret key is not 0600"
    done
    cmp -s "$home/topology.json" "$PROV/topology.json" || fail "host $h: topology.json differs"
    [ -z "$(ls -A "$home" | grep -vx -e keys -e run -e topology.json)" ] || fail "host $h: more in its home: $(ls "$home")"
done
log "provisioned: $(for h in "${HOSTS[@]}"; do printf '%s: %s; ' "$h" "${UNITS_OF[$h]}"; done)"

# ---- processes, as the units start them ----

# unit_argv HOST UNIT: the unit's ExecStart= as systemd would run it on the
# host, into ARGV (and its environment into ENVV): Environment= first, then
# the host's EnvironmentFile=, "${VAR}" one word, "$VAR" split on blanks, %i
# the instance; /usr/bin is the build directory, /var/lib/gridlink the
# host's home.
unit_argv() {
    local h=$1 unit=$2 inst="" file
    if [[ $unit == gridlink-node@*.service ]]; then
        inst=${unit#gridlink-node@}
        inst=${inst%.service}
        file="$UNITS/gridlink-node@.service"
    else
        file="$UNITS/$unit"
    fi
    [ -f "$file" ] || fail "no unit file for $unit"
    declare -gA UENV=()
    local kv
    for kv in $(sed -n 's/^Environment=//p' "$file"); do UENV[${kv%%=*}]=${kv#*=}; done
    grep -q '^EnvironmentFile=-/etc/gridlink/gridlink.conf$' "$file" || fail "$unit reads no /etc/gridlink/gridlink.conf"
    while IFS= read -r kv; do
        [[ $kv =~ ^([A-Z_]+)=(.*)$ ]] && UENV[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    done <"$(root_of "$h")/etc/gridlink/gridlink.conf"
    UMASK=$(sed -n 's/^UMask=//p' "$file")
    [ -n "$UMASK" ] || fail "$unit has no UMask="
    ARGV=()
    ENVV=()
    for kv in "${!UENV[@]}"; do ENVV+=("$kv=${UENV[$kv]}"); done
    local w v
    for w in $(sed -n 's/^ExecStart=//p' "$file"); do
        w=${w//%i/$inst}
        if [[ $w =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
            v=${UENV[${BASH_REMATCH[1]}]:-}
            ARGV+=($v)
            continue
        fi
        while [[ $w =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
            w=${w//"${BASH_REMATCH[0]}"/${UENV[${BASH_REMATCH[1]}]:-}}
        done
        w=${w/#\/usr\/bin\//$GL_BIN/}
        w=${w//\/var\/lib\/gridlink/$(home_of "$h")}
        ARGV+=("$w")
    done
    [[ ${ARGV[0]} == "$GL_BIN/gridlink-node" || ${ARGV[0]} == "$GL_BIN/gridlink-broker" ]] ||
        fail "$unit runs ${ARGV[0]}"
}

# on HOST CMD...: CMD inside the host's namespace.
on() {
    local h=$1
    shift
    ip netns exec "${HOST_NS[$h]}" "$@"
}
gl() {
    local h=$1
    shift
    on "$h" "$GRIDLINK" "$@" --home "$(home_of "$h")"
}

# start_unit HOST UNIT: the unit's process in the host's namespace with the
# unit's umask, user and environment only; ready when each node it runs answers
# on its control socket, the broker when its two ports listen.
start_unit() {
    local h=$1 unit=$2
    unit_argv "$h" "$unit"
    (
        umask "$UMASK"
        exec ip netns exec "${HOST_NS[$h]}" setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups \
            env -i PATH=/usr/bin:/bin "${ENVV[@]}" "${ARGV[@]}"
    ) >>"$HOME_DIR/log/$h-$unit.log" 2>&1 &
    PROC_PID[$unit]=$!
    PROC_HOST[$unit]=$h
    if [[ $unit == gridlink-broker.service ]]; then
        wait_until 10 "the broker listening on host $h" \
            sh -c "ip netns exec '${HOST_NS[$h]}' ss -Htln | grep -q '${HOST_ADDR[$h]}:$((PORT + 1)) '"
        return
    fi
    local n
    for n in "${NODES[@]}"; do
        [ "${HOST_OF[$n]}" = "$h" ] || continue
        [[ " ${ARGV[*]} " == *" --node $n "* ]] || [ "${GROUP_OF[$h]}" != node ] || continue
        wait_until 20 "node $n serving on host $h" gl "$h" health --node "$n" --timeout 500
    done
}

health() { gl "${HOST_OF[$1]}" health --node "$1" --timeout 2000; }
child_up() { health "$1" | jq -e --arg c "$2" '.children_up | index($c) != null' >/dev/null; }
child_down() { health "$1" | jq -e --arg c "$2" '.children_down | index($c) != null' >/dev/null; }
parent_up() { health "$1" | jq -e '.parent_up == true' >/dev/null; }
parent_down() { ! parent_up "$1"; }

for h in "${HOSTS[@]}"; do
    for u in ${UNITS_OF[$h]}; do start_unit "$h" "$u"; done
done
# gridlink-node --group re-executes itself in place: the PID is the unit's.
for u in "${!PROC_PID[@]}"; do
    tr '\0' ' ' <"/proc/${PROC_PID[$u]}/cmdline" | grep -q "^$GL_BIN/gridlink-" || fail "$u's PID is not its process"
    [ "$(stat -c %u "/proc/${PROC_PID[$u]}")" = "$RUN_UID" ] || fail "$u does not run as $unit_user"
done
tr '\0' ' ' <"/proc/${PROC_PID[gridlink-node@$C1.service]}/cmdline" | grep -q -- "--node xinbei.sanjing.c01.g2" ||
    fail "the community's unit does not run its grids"
all_linked() {
    child_up $D $T && child_up $T $C1 && child_up $T $C2 && child_up $C1 xinbei.sanjing.c01.g1 &&
        child_up $C1 xinbei.sanjing.c01.g2 && child_up $C2 xinbei.sanjing.c02.g1 && child_up $C2 xinbei.sanjing.c02.g2
}
wait_until 30 "every link up" all_linked
log "${#PROC_PID[@]} processes on ${#HOSTS[@]} hosts as $unit_user, every link up"

# ---- a case climbs from the grid on host c2g2 to the district on host d ----

show() { gl "${HOST_OF[$1]}" show --node "$1" "$2" --json --timeout 3000; }
holder_at() { show "$1" "$2" | jq -r .holder; }
holds() { [ "$(holder_at "$1" "$2")" = "$3" ]; }
G=xinbei.sanjing.c02.g2
t0=$(now_ms)
first=$(gl c2g2 submit --node $G --category urban/roads --text "路面塌陷" --timeout 3000)
[[ $first =~ ^xinbei\.sanjing\.c02\.g2-[0-9]+$ ]] || fail "submit printed '$first', not a case ID"
wait_until 5 "c02 holds $first" holds $C2 "$first" $C2
wait_until 10 "the township holds $first" holds $T "$first" $T
wait_until 10 "the district holds $first" holds $D "$first" $D
climbed=$(($(now_ms) - t0))
hist=$(show $D "$first" | jq -c '[.history[] | {action, node}]')
for step in "escalated $C2" "received $T" "escalated $T" "received $D"; do
    set -- $step
    [ "$(jq --arg a "$1" --arg n "$2" '[.[] | select(.action == $a and .node == $n)] | length' <<<"$hist")" -eq 1 ] ||
        fail "$first at the district: not one '$1' at $2 in its history: $hist"
done
[ $climbed -ge 4000 ] || fail "$first climbed in $climbed ms, before the two 2 s limits ran out"
wait_until 10 "the grid's copy of $first names the district" holds $G "$first" $D
log "$first climbed grid -> c02 -> township -> district over three hosts in $climbed ms"

# ---- cases all along; one host restarted, another cut off ----

ACKED="$HOME_DIR/acked"
: >"$ACKED"
: >"$ACKED.fail"
(
    set +e
    i=0
    while [ ! -e "$HOME_DIR/stop" ]; do
        for g in "${GRIDS[@]}"; do
            if id=$(gl "${HOST_OF[$g]}" submit --node "$g" --category governance --text "多机案件 $i" \
                --timeout 10000 2>>"$ACKED.err"); then
                echo "$id" >>"$ACKED"
            else
                echo "$g $i" >>"$ACKED.fail"
            fi
            i=$((i + 1))
        done
        sleep 0.1
    done
) &
SUBMITTER=$!
BG_PIDS+=($SUBMITTER)
acked() { wc -l <"$ACKED" | tr -d ' '; }
acked_over() { [ "$(acked)" -ge "$1" ]; }
acked_at() { grep -c "^$1-" "$ACKED" || true; }
wait_until 20 "the first cases acknowledged" acked_over 8

# The township's process: SIGKILL, and started again as its unit is, once
# the grids have acknowledged more cases while it was gone.
TU=gridlink-node@$T.service
old=${PROC_PID[$TU]}
t_cases=$(health $T | jq .cases)
kill -KILL "$old"
wait "$old" 2>/dev/null || true
at_kill=$(acked)
log "township (host t, PID $old) killed with SIGKILL after $at_kill cases, holding $t_cases"
wait_until 15 "c01 sees its parent down" parent_down $C1
wait_until 20 "cases acknowledged while the township is down" acked_over $((at_kill + 8))
start_unit t "$TU"
[ "${PROC_PID[$TU]}" != "$old" ] || fail "the township did not start again"
wait_until 30 "every link up after the township's restart" all_linked
log "township started again (PID ${PROC_PID[$TU]}), $(($(acked) - at_kill)) cases acknowledged meanwhile"

# Host c2 cut off: its port on the bridge down (GL_MULTIHOST_CUT=link, the
# default), or with GL_MULTIHOST_CUT=nft an nftables table on the host
# dropping every packet in and out of its interface; either way its packets
# go nowhere (no reset, no route lost on the host itself). c02 keeps taking
# the cases of its grid g1 on the same host; the cases due to climb wait
# with it.
cut_c2() {
    if [ "$CUT_MODE" = nft ]; then
        on c2 nft -f - <<EOF_NFT
table inet glcut {
    chain in { type filter hook input priority 0; iifname "$TAG${HOSTS[3]}" drop; }
    chain out { type filter hook output priority 0; oifname "$TAG${HOSTS[3]}" drop; }
}
EOF_NFT
    else
        ip -n "$SW" link set "$TAG${HOSTS[3]}s" down
    fi
}
mend_c2() {
    if [ "$CUT_MODE" = nft ]; then
        on c2 nft delete table inet glcut
    else
        ip -n "$SW" link set "$TAG${HOSTS[3]}s" up
    fi
}
cut_c2
cut_ms=$(now_ms)
c2_at_cut=$(acked_at xinbei.sanjing.c02.g1)
wait_until 20 "the township sees c02 down" child_down $T $C2
wait_until 20 "c02 sees its parent down" parent_down $C2
wait_until 20 "c02 sees its grid on host c2g2 down" child_down $C2 xinbei.sanjing.c02.g2
child_up $C2 xinbei.sanjing.c02.g1 || fail "c02 lost its grid on its own host when the host was cut off"
waiting() {
    gl c2 list --node $C2 --holding --overdue --json --timeout 5000 | jq '[.[] | select(.escalation_pending)] | length'
}
cut_side_done() { [ "$(waiting)" -ge 3 ] && [ "$(acked_at xinbei.sanjing.c02.g1)" -ge $((c2_at_cut + 5)) ]; }
wait_until 40 "cases of the cut-off side waiting at c02 to climb" cut_side_done
# The cut lasts CUT_S seconds at least (GL_MULTIHOST_CUT_S, default 10),
# the township seeing c02 down all along.
until [ $(($(now_ms) - cut_ms)) -ge $((CUT_S * 1000)) ]; do
    child_down $T $C2 || fail "the township sees c02 up while host c2 is cut off"
    sleep 0.5
done
during=$(($(acked_at xinbei.sanjing.c02.g1) - c2_at_cut))
n_waiting=$(waiting)
mend_c2
log "host c2 cut off ($CUT_MODE) for $(($(now_ms) - cut_ms)) ms: $during cases reported at c02.g1, $n_waiting waiting at c02"
wait_until 30 "every link up after the mend" all_linked
mended=$(acked)
wait_until 20 "cases acknowledged after the mend" acked_over $((mended + 8))
touch "$HOME_DIR/stop"
wait "$SUBMITTER" 2>/dev/null || true
total=$(acked)
fails=$(wc -l <"$ACKED.fail" | tr -d ' ')
[ "$fails" -eq 0 ] || fail "$fails submissions refused: $(head -3 "$ACKED.err")"
log "$total cases acknowledged by the grids, none refused"

# ---- nothing lost, nothing twice ----

echo "$first" >>"$ACKED"
sort -u "$ACKED" >"$ACKED.sorted"
[ "$(wc -l <"$ACKED.sorted")" -eq $((total + 1)) ] || fail "a grid acknowledged one case ID twice"
ids_at() { gl "${HOST_OF[$1]}" list --node "$1" --json --timeout 10000 | jq -r '.[].id' | sort; }
missing_at_d() { comm -23 "$ACKED.sorted" <(ids_at $D) | wc -l; }
none_missing() { [ "$(missing_at_d)" -eq 0 ]; }
wait_progress 30 "every case at the district" missing_at_d none_missing
# The district's copy has every case's whole history.
gl d list --node $D --json --timeout 10000 >"$HOME_DIR/district.list"
[ "$(jq -r '.[].id' "$HOME_DIR/district.list" | sort)" = "$(cat "$ACKED.sorted")" ] ||
    fail "the district has cases no grid acknowledged"
bad=$(jq --arg d $D --arg t $T '[.[] | select(.holder != $d
    or ([.history[] | select(.action == "received" and .node == $d)] | length) != 1
    or ([.history[] | select(.action == "received" and .node == $t)] | length) != 1)] | map(.id)' "$HOME_DIR/district.list")
[ "$(jq length <<<"$bad")" -eq 0 ] || fail "not held by the district, or not received once there and at the township: $bad"
for n in "${NODES[@]}"; do
    [ $n = $D ] && continue
    held=$(gl "${HOST_OF[$n]}" list --node "$n" --holding --json --timeout 10000 | jq -c 'map(.id)')
    [ "$held" = "[]" ] || fail "$n still holds $held"
done
# Each grid's copies of its own cases name the district as their holder.
grid_behind() {
    local behind=0 g
    for g in "${GRIDS[@]}"; do
        behind=$((behind + $(gl "${HOST_OF[$g]}" list --node "$g" --json --timeout 10000 |
            jq --arg d $D '[.[] | select(.holder != $d)] | length')))
    done
    echo $behind
}
grids_current() { [ "$(grid_behind)" -eq 0 ]; }
wait_progress 30 "the grids' copies name the district" grid_behind grids_current
pending_all() {
    local sum=0 n
    for n in "${NODES[@]}"; do sum=$((sum + $(health "$n" | jq '.outbox_pending + .dead_letters'))); done
    echo $sum
}
drained() { [ "$(pending_all)" -eq 0 ]; }
wait_progress 30 "every outbox drained" pending_all drained
# The broker on host d has every node's events up to its last log
# sequence: asked with the district's own key, the one bundle d holds.
bus_converged() {
    local marks n
    marks=$(gl d watch --key $D --marks --json --seconds 5) || return 1
    for n in "${NODES[@]}"; do
        [ "$(jq -r --arg n "$n" 'select(.node == $n) | .seq' <<<"$marks")" = "$(health "$n" | jq .log_seq)" ] || return 1
    done
}
wait_until 30 "the broker's marks at every node's last log sequence" bus_converged
if grep -l "already known" "$HOME_DIR"/log/*.log; then fail "a node was sent a case it already had"; fi
# On each host, `gridlink health` of the whole home asks that host's nodes
# (whose keys it holds), and finds them all up.
for h in "${HOSTS[@]}"; do
    hj=$(gl "$h" health --json) || fail "gridlink health on host $h: a node is down"
    want=$(for n in "${NODES[@]}"; do [ "${HOST_OF[$n]}" != "$h" ] || echo "$n"; done | sort)
    [ "$(jq -r '.nodes[].node' <<<"$hj" | sort)" = "$want" ] || fail "health on host $h asks: $(jq -c '.nodes | map(.node)' <<<"$hj")"
done
for u in "${!PROC_PID[@]}"; do kill -0 "${PROC_PID[$u]}" 2>/dev/null || fail "$u on host ${PROC_HOST[$u]} died"; done
log "ok: $((total + 1)) cases on 5 hosts, each held by the district once; SIGKILL of the township, host c2 cut off with $during cases reported there, in $(( ($(now_ms) - START_MS) / 1000 )) s"
