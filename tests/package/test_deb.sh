#!/usr/bin/env bash
# test_deb: builds the Debian package of the source tree with
# scripts/build-deb.sh (which fails on any lintian error) into a temporary
# directory, then checks what the .deb holds (`dpkg-deb -c`), its conffiles,
# its dependencies and maintainer scripts. About a minute on 2 cores, more
# when the packaging tools must be installed first. Runs only when asked
# (GL_PACKAGE_TEST=1 ctest -L package); otherwise exits 77 (skipped).
set -euo pipefail
: "${GL_SRC:?GL_SRC must name the source directory}"

if [ "${GL_PACKAGE_TEST:-}" != 1 ]; then
    echo "the package test runs with GL_PACKAGE_TEST=1: skipped"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
fi
out=$(mktemp -d /tmp/gl-deb-XXXXXX)
finish() {
    local rc=$?
    rm -rf "$out"
    if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
    exit $rc
}
trap finish EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

start=$(date +%s)
OUT_DIR="$out" "$GL_SRC/scripts/build-deb.sh" >"$out/build.log" 2>&1 || {
    tail -n 60 "$out/build.log" >&2
    fail "scripts/build-deb.sh failed"
}
echo "package built and checked by lintian in $(($(date +%s) - start)) s"
sed -n '/^[EWIXO]: /p' "$out/build.log"

version=$(cd "$GL_SRC" && dpkg-parsechangelog -S Version)
deb="$out/gridlink_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
[ -f "$deb" ] || fail "no $deb"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$out/files"

want=(
    /usr/bin/gridlink /usr/bin/gridlink-node /usr/bin/gridlink-broker
    /usr/share/man/man1/gridlink.1.gz /usr/share/man/man1/gridlink-node.1.gz
    /usr/share/man/man1/gridlink-broker.1.gz
    /lib/systemd/system/gridlink-broker.service /lib/systemd/system/gridlink-node@.service
    /lib/systemd/system/gridlink.target
    /etc/gridlink/gridlink.conf
    /usr/lib/sysusers.d/gridlink.conf /usr/lib/tmpfiles.d/gridlink.conf
    /usr/share/doc/gridlink/copyright
)
for t in "$GL_SRC"/deploy/topology/*.json; do want+=("/usr/share/gridlink/topology/$(basename "$t")"); done
if [ -d "$GL_SRC/web" ]; then
    while IFS= read -r f; do want+=("/usr/share/gridlink/web/${f#"$GL_SRC/web/"}"); done < <(find "$GL_SRC/web" -type f ! -name '.*')
fi
for f in "${want[@]}"; do
    grep -qxF "$f" "$out/files" || fail "$f is not in the package"
done
echo "all ${#want[@]} expected files are in the package"
# Nothing of the build or the tests, nothing under /usr/local, /var or /run.
! grep -E '^/(usr/local|var|run|tmp)/|/(gl_probe|gl_ctlraw|gl_preauth|gl_busprobe|gl_notify_recv|test_[a-z_]+)$' \
    "$out/files" || fail "the package holds files it should not"

dpkg-deb -e "$deb" "$out/control"
[ "$(cat "$out/control/conffiles")" = /etc/gridlink/gridlink.conf ] || fail "conffiles: $(cat "$out/control/conffiles")"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libzmq5 libczmq4 liblmdb0 libuv1 libjansson4 libsodium23 libmicrohttpd12 libprotobuf-c1 libsystemd0; do
    grep -q "$lib" <<<"$depends" || fail "Depends has no $lib: $depends"
done
grep -q "systemd-sysusers .*gridlink.conf" "$out/control/postinst" || fail "postinst does not make the gridlink user"
grep -q "systemd-tmpfiles .*--create gridlink.conf" "$out/control/postinst" || fail "postinst does not make the directories"
# The user before the directories it owns.
[ "$(grep -n systemd-sysusers "$out/control/postinst" | cut -d: -f1)" -lt \
    "$(grep -m1 -n systemd-tmpfiles "$out/control/postinst" | cut -d: -f1)" ] || fail "postinst: tmpfiles before sysusers"
# Only the target is enabled and started by the package.
! grep -q "deb-systemd-invoke .*gridlink-broker" "$out/control/postinst" || fail "postinst starts the broker"
grep -q "deb-systemd-invoke \$_dh_action 'gridlink.target'" "$out/control/postinst" || fail "postinst does not (re)start gridlink.target"

# The binaries in the package speak sd_notify.
mkdir "$out/root"
dpkg-deb -x "$deb" "$out/root"
for b in gridlink-node gridlink-broker; do
    syms=$(nm -D --undefined-only "$out/root/usr/bin/$b")
    grep -q sd_notify <<<"$syms" || fail "$b does not call sd_notify"
done

# The units as packaged, against the packaged binaries and manual pages.
if command -v systemd-analyze >/dev/null; then
    mkdir "$out/units"
    for f in "$out"/root/lib/systemd/system/*; do
        sed "s|/usr/bin/|$out/root/usr/bin/|g" "$f" >"$out/units/$(basename "$f")"
    done
    (cd "$out/units" && MANPATH="$out/root/usr/share/man" systemd-analyze verify gridlink-broker.service \
        gridlink-node@xinbei.service gridlink.target) >"$out/verify.out" 2>&1 || {
        cat "$out/verify.out" >&2
        fail "systemd-analyze verify failed on the packaged units"
    }
    ! grep -q gridlink "$out/verify.out" || fail "systemd-analyze verify: $(cat "$out/verify.out")"
    echo "systemd-analyze verify: the packaged units pass"
fi
