#!/usr/bin/env bash
# The long fault runs (CTest label "long"): SIGKILLs on every tier and the
# broker under load, the broker killed three times under load with every
# deadline played out after, the broker killed under load and its view
# rebuilt from the nodes' logs, a community killed while it prunes, a forged
# sequence number watched for 20 s, a lossy and a partitioned link between
# network namespaces. Builds first if there is no build yet.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/gridlink ] || { scripts/install-deps.sh && BUILD_DIR=build scripts/build.sh -DGRIDLINK_WERROR=ON; }
(cd build && ctest --output-on-failure --timeout 600 -L long)
