#!/usr/bin/env bash
# test_debootstrap: the package in a fresh Debian 12 root filesystem. A
# bookworm minbase root (debootstrap from the mirror apt's sources name, kept
# as a tarball under GL_ROOT_CACHE after the first run: rootlib.sh) gets the
# .deb of the tree with apt, which brings its dependencies from the mirror;
# then, in that root (chroot, with /proc, /sys, /dev and a /run of its own):
#
#   - the package made the user gridlink, /var/lib/gridlink (0700, with run/
#     a link to /run/gridlink), the conffile and the units;
#   - the home is set up as README's "Installing on Debian" says: the
#     packaged mini topology to /etc/gridlink/topology.json (on free ports),
#     `gridlink keygen` as gridlink, GRIDLINK_GROUP=community in
#     /etc/gridlink/gridlink.conf;
#   - the ExecStart= lines of the installed units, their variables taken
#     from the units and gridlink.conf, run as the units' User= with their
#     UMask=: gridlink-broker, gridlink-node@xinbei,
#     gridlink-node@xinbei.sanjing, gridlink-node@xinbei.sanjing.c01 (the
#     community with its two grids);
#   - a case reported at a grid climbs to the district on the mini time
#     limits (3 s a tier), the broker sees every node's events, and
#     `gridlink health` finds all seven nodes up; every process stops
#     cleanly on SIGTERM.
# About 30 s with a cached root and the .deb given (GL_DEB) or cached;
# the first run debootstraps (a minute or two) and builds the package.
# Needs root, debootstrap and the mirror; runs only when asked
# (GL_PACKAGE_TEST=1 ctest -L package); otherwise exits 77 (skipped).
set -euo pipefail
: "${GL_SRC:?GL_SRC must name the source directory}"
ROOT_TEST=test_debootstrap
source "$(dirname "$0")/rootlib.sh"

skip() {
    echo "$*: skipped"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
}
[ "${GL_PACKAGE_TEST:-}" = 1 ] || skip "the package tests run with GL_PACKAGE_TEST=1"
[ "$(id -u)" -eq 0 ] || skip "debootstrap and chroot need root"
command -v debootstrap >/dev/null || skip "no debootstrap (scripts/install-deps.sh debootstrap)"

START=$(date +%s)
WORK=$(mktemp -d /tmp/gl-debootstrap-XXXXXX)
R="$WORK/root"
root_begin "$R"

deb=$(root_deb) || fail "no package to install"
root_log "package: $deb"
root_make "$R" || fail "no root filesystem"
root_log "root unpacked in $(($(date +%s) - START)) s"
root_mount "$R"
cp "$deb" "$R/tmp/gridlink.deb"
root_apt "$R" update -qq >"$WORK/apt.log" 2>&1 || fail "apt-get update in the root failed"
root_apt "$R" install -y --no-install-recommends /tmp/gridlink.deb >>"$WORK/apt.log" 2>&1 ||
    fail "apt-get install of the package in the root failed: $(tail -n 5 "$WORK/apt.log")"
root_log "installed with apt in $(($(date +%s) - START)) s: $(grep -c '^Setting up' "$WORK/apt.log") packages set up"

# What the package's maintainer scripts made.
chroot "$R" getent passwd gridlink >/dev/null || fail "no user gridlink"
[ "$(chroot "$R" getent passwd gridlink | cut -d: -f6)" = /var/lib/gridlink ] || fail "gridlink's home is not /var/lib/gridlink"
# (names as the root's own passwd gives them)
rstat() { chroot "$R" stat -c "$1" "$2"; }
[ "$(rstat '%U %a' /var/lib/gridlink)" = "gridlink 700" ] || fail "/var/lib/gridlink: $(rstat '%U %a' /var/lib/gridlink)"
[ "$(readlink "$R/var/lib/gridlink/run")" = /run/gridlink ] || fail "/var/lib/gridlink/run is not a link to /run/gridlink"
for f in /usr/bin/gridlink /usr/bin/gridlink-node /usr/bin/gridlink-broker /etc/gridlink/gridlink.conf \
    /lib/systemd/system/gridlink-broker.service /lib/systemd/system/gridlink-node@.service \
    /usr/share/gridlink/topology/mini.json; do
    [ -e "$R$f" ] || fail "$f is not installed"
done
chroot "$R" dpkg-query -W -f='${Status}' gridlink | grep -q "install ok installed" || fail "dpkg does not have gridlink installed"

# The home, as README says, as gridlink.
PORT=$(free_ports 16) || fail "no free ports"
jq --argjson p "$PORT" '.port_base = $p' "$R/usr/share/gridlink/topology/mini.json" >"$R/etc/gridlink/topology.json"
sed -i 's/^GRIDLINK_GROUP=.*/GRIDLINK_GROUP=community/' "$R/etc/gridlink/gridlink.conf"
root_unit_dirs "$R" gridlink
as_gridlink() { chroot --userspec="$(chroot "$R" id -u gridlink):$(chroot "$R" id -g gridlink)" "$R" \
    env -i PATH=/usr/bin:/bin HOME=/var/lib/gridlink "$@"; }
as_gridlink gridlink keygen --home /var/lib/gridlink --topology /etc/gridlink/topology.json >"$WORK/keygen.log" 2>&1 ||
    fail "keygen: $(cat "$WORK/keygen.log")"
[ "$(rstat '%U %a' /var/lib/gridlink/keys/xinbei.cert_secret)" = "gridlink 600" ] || fail "the keys are not gridlink's, 0600"

# The units' command lines.
UNITS=(gridlink-broker.service gridlink-node@xinbei.service gridlink-node@xinbei.sanjing.service
    gridlink-node@xinbei.sanjing.c01.service)
for u in "${UNITS[@]}"; do
    root_start "$R" "$u" "$WORK/$u.log" || fail "cannot start $u"
    [ "$UNIT_USER" = gridlink ] || fail "$u runs as '$UNIT_USER'"
    [ "$UMASK" = 0077 ] || fail "$u has UMask=$UMASK"
    root_log "$u: ${ARGV[*]} (pid $UNIT_PID)"
    [[ $u != gridlink-node@* ]] || [[ " ${ARGV[*]} " == *" --group community "* ]] || fail "$u does not take GRIDLINK_GROUP"
done
health() { as_gridlink gridlink health --home /var/lib/gridlink --node "$1" --timeout 1000; }
nodes=$(jq -r '.nodes[].id' "$R/etc/gridlink/topology.json")
for n in $nodes; do
    wait_for 20 "node $n serving" health "$n" || fail "node $n does not answer"
done
gl_uid=$(chroot "$R" id -u gridlink)
for p in "${ROOT_PIDS[@]}"; do
    [ "$(stat -c %u "/proc/$p")" = "$gl_uid" ] || fail "process $p does not run as gridlink"
done
root_log "district up in $(($(date +%s) - START)) s: $(echo "$nodes" | wc -l) nodes in ${#ROOT_PIDS[@]} processes"

# A case at a grid climbs to the district.
G=xinbei.sanjing.c01.g1
id=$(as_gridlink gridlink submit --home /var/lib/gridlink --node $G --category urban/roads --text "路灯不亮") ||
    fail "submit at $G failed"
root_log "reported $id at $G"
at_district() {
    as_gridlink gridlink show --home /var/lib/gridlink --node xinbei "$id" --json | jq -e '.holder == "xinbei"'
}
wait_for 30 "$id held by the district" at_district || fail "$id did not reach the district"
hist=$(as_gridlink gridlink show --home /var/lib/gridlink --node xinbei "$id" --json | jq -r '[.history[].action] | join(" ")')
root_log "$id at the district: $hist"
grep -q escalat <<<"$hist" || fail "the district's copy of $id has no escalation in its history: $hist"

# The broker has events of every node that had any, and all nodes are up.
marks=$(as_gridlink gridlink watch --home /var/lib/gridlink --marks --json)
for n in xinbei xinbei.sanjing xinbei.sanjing.c01 $G; do
    jq -se --arg n "$n" 'any(.[]; .node == $n and .seq > 0)' <<<"$marks" >/dev/null || fail "the broker has no events of $n: $marks"
done
n_nodes=$(echo "$nodes" | wc -l)
all_up() {
    as_gridlink gridlink health --home /var/lib/gridlink --json |
        jq -e --argjson n "$n_nodes" '.liveness.up == $n and .liveness.parent_links_down == 0'
}
wait_for 10 "all $n_nodes nodes up with their parent links" all_up ||
    fail "not all nodes up: $(as_gridlink gridlink health --home /var/lib/gridlink --json | jq -c .liveness)"

# Every process stops in order on SIGTERM.
for p in "${ROOT_PIDS[@]}"; do kill -TERM "$p"; done
for p in "${ROOT_PIDS[@]}"; do
    rc=0
    wait "$p" || rc=$?
    [ $rc -eq 0 ] || fail "process $p exited $rc on SIGTERM"
done
ROOT_PIDS=()
root_log "ok: installed with apt in a fresh bookworm root, the units' command lines ran the mini district, $id reached the district; $(($(date +%s) - START)) s"
