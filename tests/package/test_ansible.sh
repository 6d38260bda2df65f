#!/usr/bin/env bash
# test_ansible: deploy/ansible/site.yml puts the mini district on two
# "hosts", each a fresh bookworm root (rootlib.sh) that Ansible reaches with
# its chroot connection:
#   district  the broker, xinbei, xinbei.urban, xinbei.sanjing and
#             xinbei.sanjing.market, one unit each (GRIDLINK_GROUP=node)
#   c01       xinbei.sanjing.c01 with its grids g1, g2 (GRIDLINK_GROUP=community)
# Each host's bundle comes from `gridlink provision` in a provisioning home
# on the controller, its variables (group, units) from what provision
# printed; the package is the .deb of the tree (GL_DEB, or built: rootlib.sh).
#
# Checked:
#   - the playbook runs without a failure; on each host the package is
#     installed, the bundle is in /var/lib/gridlink (owned by gridlink,
#     secret keys 0600, no key of another host's nodes), GRIDLINK_GROUP is
#     set, and the host's units are enabled (gridlink.target wants them);
#   - a second run changes nothing;
#   - the command lines of the units enabled on each host (read from the
#     installed unit files, as in test_debootstrap) come up: every node
#     answers on its host, and a case reported at the grid g1 on host c01
#     climbs to the district on host district.
# There is no systemd in a chroot: the play's "started" only enables there,
# and the test runs the units' command lines itself. About 2 minutes (the
# first run also debootstraps and builds the package). Needs root,
# debootstrap, ansible and the mirror; runs only when asked (GL_PACKAGE_TEST=1
# ctest -L package); otherwise exits 77 (skipped).
set -euo pipefail
: "${GL_SRC:?GL_SRC must name the source directory}"
: "${GL_BIN:?GL_BIN must name the build directory}"
ROOT_TEST=test_ansible
source "$(dirname "$0")/rootlib.sh"
GRIDLINK="$GL_BIN/gridlink"

skip() {
    echo "$*: skipped"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
}
[ "${GL_PACKAGE_TEST:-}" = 1 ] || skip "the package tests run with GL_PACKAGE_TEST=1"
[ "$(id -u)" -eq 0 ] || skip "debootstrap and chroot need root"
command -v debootstrap >/dev/null || skip "no debootstrap (scripts/install-deps.sh debootstrap)"
command -v ansible-playbook >/dev/null || skip "no ansible-playbook (scripts/install-deps.sh ansible)"

START=$(date +%s)
WORK=$(mktemp -d /tmp/gl-ansible-XXXXXX)
HOSTS=(district c01)
declare -A ROOT_OF=()
for h in "${HOSTS[@]}"; do ROOT_OF[$h]="$WORK/$h"; done
root_begin "${ROOT_OF[@]}"

deb=$(root_deb) || fail "no package to install"
root_log "package: $deb"
mkdir -p "$GL_ROOT_CACHE/archives/partial"
for h in "${HOSTS[@]}"; do
    r=${ROOT_OF[$h]}
    root_make "$r" || fail "no root filesystem for $h"
    root_mount "$r"
    # apt's downloads kept between runs; the hosts take turns (--forks 1).
    mount --bind "$GL_ROOT_CACHE/archives" "$r/var/cache/apt/archives"
    echo 'APT::Keep-Downloaded-Packages "true"; APT::Sandbox::User "root";' >"$r/etc/apt/apt.conf.d/90gridlink-test"
done
root_log "two roots unpacked in $(($(date +%s) - START)) s"

# The provisioning home and the two bundles.
P="$WORK/keys"
PORT=$(free_ports 16) || fail "no free ports"
jq --argjson p "$PORT" '.port_base = $p' "$GL_SRC/deploy/topology/mini.json" >"$WORK/mini.json"
"$GRIDLINK" provision --home "$P" --topology "$WORK/mini.json" --group node --host-of xinbei --host-of xinbei.urban \
    --host-of xinbei.sanjing --host-of xinbei.sanjing.market --broker --to "$WORK/bundle-district" \
    >"$WORK/provision-district.out" || fail "provision district"
"$GRIDLINK" provision --home "$P" --group community --host-of xinbei.sanjing.c01 --to "$WORK/bundle-c01" \
    >"$WORK/provision-c01.out" || fail "provision c01"
{
    echo "[gridlink]"
    for h in "${HOSTS[@]}"; do
        out="$WORK/provision-$h.out"
        group=$(sed -n 's/^GRIDLINK_GROUP=//p' "$out")
        units=$(sed -n 's/^units: //p' "$out" | jq -Rc 'split(" ")')
        echo "$h ansible_connection=community.general.chroot ansible_host=${ROOT_OF[$h]} gridlink_bundle=$WORK/bundle-$h gridlink_group=$group gridlink_units='$units'"
    done
    echo "[gridlink:vars]"
    echo "ansible_become=false"
    echo "ansible_python_interpreter=/usr/bin/python3"
    echo "gridlink_deb=$deb"
} >"$WORK/inventory.ini"
cat "$WORK/inventory.ini" >&2

play() {
    ANSIBLE_LOCAL_TEMP="$WORK/ansible-local" ANSIBLE_REMOTE_TMP=/tmp/.ansible ANSIBLE_NOCOLOR=1 \
        ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME="$WORK/ansible-home" \
        ansible-playbook --forks 1 -i "$WORK/inventory.ini" "$GL_SRC/deploy/ansible/site.yml" "$@"
}
play >"$WORK/play1.log" 2>&1 || fail "the playbook failed: $(grep -E 'fatal|FAILED|ERROR' "$WORK/play1.log" | head -n 5)"
root_log "playbook run in $(($(date +%s) - START)) s: $(grep -E '^(district|c01) +:' "$WORK/play1.log" | tr -s ' ' | tr '\n' ';')"

# What the play left on each host.
for h in "${HOSTS[@]}"; do
    r=${ROOT_OF[$h]}
    out="$WORK/provision-$h.out"
    chroot "$r" dpkg-query -W -f='${Status}' gridlink | grep -q "install ok installed" || fail "$h: gridlink not installed"
    cmp -s "$r/var/lib/gridlink/topology.json" "$WORK/bundle-$h/topology.json" || fail "$h: not the bundle's topology"
    [ "$(chroot "$r" stat -c '%U %a' /var/lib/gridlink/topology.json)" = "gridlink 600" ] || fail "$h: topology.json mode"
    [ "$(ls "$r/var/lib/gridlink/keys")" = "$(ls "$WORK/bundle-$h/keys")" ] ||
        fail "$h: keys $(ls "$r/var/lib/gridlink/keys" | tr '\n' ' ') are not the bundle's"
    for f in "$r"/var/lib/gridlink/keys/*_secret; do
        [ "$(chroot "$r" stat -c '%U %a' "${f#"$r"}")" = "gridlink 600" ] || fail "$h: $f is not gridlink's, 0600"
        cmp -s "$f" "$WORK/bundle-$h/keys/$(basename "$f")" || fail "$h: $f is not the bundle's"
    done
    grep -qx "GRIDLINK_GROUP=$(sed -n 's/^GRIDLINK_GROUP=//p' "$out")" "$r/etc/gridlink/gridlink.conf" ||
        fail "$h: gridlink.conf has $(grep GRIDLINK_GROUP "$r/etc/gridlink/gridlink.conf")"
    for u in $(sed -n 's/^units: //p' "$out"); do
        [ -L "$r/etc/systemd/system/gridlink.target.wants/$u" ] || fail "$h: $u is not enabled"
    done
done
[ ! -e "${ROOT_OF[c01]}/var/lib/gridlink/keys/broker.cert_secret" ] || fail "c01 has the broker's secret key"

play >"$WORK/play2.log" 2>&1 || fail "the second run of the playbook failed"
for h in "${HOSTS[@]}"; do
    grep -qE "^$h +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$WORK/play2.log" ||
        fail "the second run changed something on $h: $(grep -E "^$h +:" "$WORK/play2.log")"
done
root_log "the second run changed nothing ($(($(date +%s) - START)) s)"

# The enabled units' command lines, host by host (the district's first).
for h in "${HOSTS[@]}"; do
    r=${ROOT_OF[$h]}
    root_unit_dirs "$r" gridlink
    for u in $(cd "$r/etc/systemd/system/gridlink.target.wants" && ls | sort); do
        root_start "$r" "$u" "$WORK/$h-$u.log" || fail "$h: cannot start $u"
        root_log "$h: $u: ${ARGV[*]} (pid $UNIT_PID)"
    done
done
as_gridlink() {
    local r=$1
    shift
    chroot --userspec="$(chroot "$r" id -u gridlink):$(chroot "$r" id -g gridlink)" "$r" \
        env -i PATH=/usr/bin:/bin HOME=/var/lib/gridlink "$@"
}
host_nodes() { sed -n 's/^bundle [^:]*: topology.json and [0-9]* keypair(s): //p' "$WORK/provision-$1.out" | tr ' ' '\n' | grep -vx broker; }
for h in "${HOSTS[@]}"; do
    for n in $(host_nodes "$h"); do
        wait_for 20 "$n serving on $h" as_gridlink "${ROOT_OF[$h]}" gridlink health --home /var/lib/gridlink --node "$n" \
            --timeout 1000 || fail "$n does not answer on $h"
    done
    all_up() {
        as_gridlink "${ROOT_OF[$1]}" gridlink health --home /var/lib/gridlink --json | jq -e '.liveness.parent_links_down == 0'
    }
    wait_for 20 "every parent link of $h up" all_up "$h" || fail "$h: parent links down"
done
root_log "the units' command lines are up: ${#ROOT_PIDS[@]} processes, $(($(date +%s) - START)) s"

G=xinbei.sanjing.c01.g1
id=$(as_gridlink "${ROOT_OF[c01]}" gridlink submit --home /var/lib/gridlink --node $G --category urban/roads --text "井盖缺失") ||
    fail "submit at $G on c01 failed"
at_district() {
    as_gridlink "${ROOT_OF[district]}" gridlink show --home /var/lib/gridlink --node xinbei "$id" --json |
        jq -e '.holder == "xinbei"'
}
wait_for 30 "$id at the district on host district" at_district || fail "$id did not reach the district"
root_log "ok: the playbook installed both hosts, a second run changed nothing, $id reported on c01 reached the district; $(($(date +%s) - START)) s"
