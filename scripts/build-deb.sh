#!/usr/bin/env bash
# Builds the Debian package of this checkout: installs the build and
# packaging tools that are missing, builds in a copy of the tree (the
# checkout gets no build files), leaves the .deb (and its -dbgsym, .buildinfo
# and .changes) in OUT_DIR (default ./dist) and checks them with lintian,
# failing on any error. DEB_BUILD_OPTIONS=nocheck skips the unit tests the
# build runs.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
OUT_DIR=${OUT_DIR:-dist}
scripts/install-deps.sh debhelper dpkg-dev fakeroot lintian
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

work=$(mktemp -d "${TMPDIR:-/tmp}/gridlink-deb-XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/gridlink-$version"
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and new files as they are in the tree, without what git ignores.
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude='./build*' --exclude="./$OUT_DIR" --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)"
(cd "$src" && dpkg-buildpackage -us -uc -b)

mkdir -p "$OUT_DIR"
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$OUT_DIR"/
changes="$OUT_DIR/gridlink_${version}_${arch}.changes"
echo "built: $(cd "$OUT_DIR" && ls gridlink*_"${version}"_*.deb | tr '\n' ' ')in $OUT_DIR" >&2
lintian --fail-on error --info --display-info "$changes"
echo "lintian: $changes passes" >&2
cd "$top"
