#!/usr/bin/env bash
# test_systemd_units: `systemd-analyze verify` on the units of
# deploy/systemd, with ExecStart= pointing at the built binaries and the
# manual pages of docs/man on MANPATH, so that every directive, every command
# and every Documentation= reference is checked; then the settings the units
# promise (user, sandbox, readiness, watchdog, restarts) are read back.
# Works offline, with no systemd running. Exits 77 (skipped) when
# systemd-analyze is not installed.
set -euo pipefail
: "${GL_BIN:?GL_BIN must name the build directory}"
: "${GL_SRC:?GL_SRC must name the source directory}"

if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze not installed (Debian package systemd): skipped"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
fi
tmp=$(mktemp -d /tmp/gl-units-XXXXXX)
finish() {
    local rc=$?
    rm -rf "$tmp"
    if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
    exit $rc
}
trap finish EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

units="$GL_SRC/deploy/systemd"
mkdir -p "$tmp/units" "$tmp/man/man1"
for f in "$units"/*.service "$units"/*.target; do
    grep -q "^ExecStart=/usr/bin/" "$f" || [ "${f##*.}" = target ] || fail "$f: ExecStart= is not under /usr/bin"
    sed "s|/usr/bin/|$GL_BIN/|g" "$f" >"$tmp/units/$(basename "$f")"
done
cp "$GL_SRC"/docs/man/*.1 "$tmp/man/man1/"

cd "$tmp/units"
systemd-analyze --version | sed -n 1p
set +e
MANPATH="$tmp/man" systemd-analyze verify gridlink-broker.service gridlink-node@xinbei.sanjing.service \
    gridlink.target >"$tmp/verify.out" 2>&1
rc=$?
set -e
cat "$tmp/verify.out"
[ $rc -eq 0 ] || fail "systemd-analyze verify exited $rc"
# verify reports some problems only as messages: none may name our units.
! grep -q "gridlink" "$tmp/verify.out" || fail "systemd-analyze verify complained"

# What each service must say, as the package documents it.
for f in gridlink-broker.service gridlink-node@.service; do
    for want in Type=notify User=gridlink Group=gridlink ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
        NoNewPrivileges=yes ReadWritePaths=/var/lib/gridlink RuntimeDirectory=gridlink StateDirectory=gridlink \
        Restart=on-failure LimitNOFILE=65536 WatchdogSec= PartOf=gridlink.target WantedBy=gridlink.target \
        EnvironmentFile=-/etc/gridlink/gridlink.conf; do
        grep -q "^$want" "$f" || fail "$f has no $want"
    done
    # Its own state only: nothing else is writable.
    [ "$(grep -c '^ReadWritePaths=' "$f")" -eq 1 ] || fail "$f: more than one ReadWritePaths="
done
grep -q -- "--group \${GRIDLINK_GROUP} --node %i" gridlink-node@.service || fail "node unit does not take its instance"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' gridlink-node@.service || fail "node unit does not reload with SIGHUP"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' gridlink-broker.service || fail "broker unit does not reload with SIGHUP"
grep -q "^WantedBy=multi-user.target" gridlink.target || fail "gridlink.target is not wanted by multi-user.target"
# The settings file sets what the node unit reads, to values gridlink-node takes.
group=$(sed -n 's/^GRIDLINK_GROUP=//p' "$units/gridlink.conf")
case "$group" in node | community | township | auto) ;; *) fail "gridlink.conf: GRIDLINK_GROUP=$group" ;; esac
level=$(sed -n 's/^GRIDLINK_LOG_LEVEL=//p' "$units/gridlink.conf")
case "$level" in debug | info | warn | error) ;; *) fail "gridlink.conf: GRIDLINK_LOG_LEVEL=$level" ;; esac
