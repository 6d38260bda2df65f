#!/usr/bin/env bash
# The rolling-upgrade test: builds the previous release (tag v0.1, commit
# 64e5bb0: a clone need not carry the tag, the history has the commit) in a
# temporary worktree and runs integration.test_mixed_versions with its
# gridlink-node beside this build's. Needs the repository's history.
set -euo pipefail
cd "$(dirname "$0")/.."
PREVIOUS=64e5bb0e911c802263cb708eaa97dd09b855d2b5
old=$(git rev-parse -q --verify 'v0.1^{commit}' || git rev-parse -q --verify "$PREVIOUS^{commit}" || true)
if [ -z "$old" ]; then
    echo "test-mixed: the previous release ($PREVIOUS) is not in this clone's history (a shallow clone?)" >&2
    exit 1
fi
dir=$(mktemp -d /tmp/gridlink-v0.1-XXXXXX)
trap 'git worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"' EXIT
git worktree add -q --detach "$dir" "$old"
(cd "$dir" && BUILD_DIR=build scripts/build.sh >/dev/null)
[ -x build/gridlink ] || BUILD_DIR=build scripts/build.sh -DGRIDLINK_WERROR=ON
(cd build && GL_OLD_BIN="$dir/build" ctest --output-on-failure -R mixed_versions)
