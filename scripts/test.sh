#!/usr/bin/env bash
# The second command of the README: install what is missing, build with
# warnings as errors, and run the whole default test suite under CTest
# (every test but the long fault runs, the package tests and the
# benchmark's smoke run: scripts/test-faults.sh, scripts/test-package.sh and
# `ctest -L bench` have those).
# With --asan the suite runs again on an AddressSanitizer+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=build scripts/build.sh -DGRIDLINK_WERROR=ON
(cd build && ctest --output-on-failure --timeout 600 -LE "long|package|bench")
if [ "${1:-}" = "--asan" ]; then
    BUILD_DIR=build-asan scripts/build.sh -DGRIDLINK_WERROR=ON -DGRIDLINK_SANITIZER=address
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 600 -L "unit|fuzz")
    # Real processes under the sanitizers too, on the paths with the most
    # memory juggling: map growth with replay, full disk, crash and restart,
    # strangers at a node's door (admission, handshakes, oversized frames),
    # the HTTP door (photos in chunks, event streams, slow and idle clients),
    # the broker's durable view, KPIs and metrics, its monthly report
    # (libxlsxwriter, cairo), the facts, and the replay of recorded logs.
    (cd build-asan && ctest --output-on-failure --timeout 600 -R "storage_growth|storage_full|crash_after_ack|curve_admission|handshake_failures|preauth_memory|compromised_grid|http_files|http_api|broker_durable|test_metrics|test_report|test_facts|test_replay$")
fi
