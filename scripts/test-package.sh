#!/usr/bin/env bash
# The package tests (CTest label "package"), which the default suite skips:
# the .deb built and checked by lintian (package.deb), installed with apt in
# a fresh Debian 12 root and its units' command lines run there
# (package.debootstrap), and put on two such roots by deploy/ansible
# (package.ansible). Installs the tools they need, builds the tree, builds
# the .deb once (without its unit tests) for the last two, and runs the
# three. As root, with a Debian mirror in apt's sources. The roots are
# cached under GL_ROOT_CACHE (default /var/cache/gridlink-test): the first
# run debootstraps, later ones unpack a tarball. About 4 minutes on 2 cores
# with a cached root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh debhelper dpkg-dev fakeroot lintian debootstrap ansible
BUILD_DIR=build scripts/build.sh -DGRIDLINK_WERROR=ON
if [ -z "${GL_DEB:-}" ]; then
    out=$(mktemp -d /tmp/gridlink-test-package-XXXXXX)
    trap 'rm -rf "$out"' EXIT
    DEB_BUILD_OPTIONS=nocheck OUT_DIR="$out" scripts/build-deb.sh >"$out/build.log" 2>&1 || {
        tail -n 40 "$out/build.log" >&2
        exit 1
    }
    GL_DEB=$(ls "$out"/gridlink_*_"$(dpkg --print-architecture)".deb)
    export GL_DEB
fi
(cd build && GL_PACKAGE_TEST=1 ctest --output-on-failure -L package)
