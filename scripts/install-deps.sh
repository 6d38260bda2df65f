#!/usr/bin/env bash
# Installs the Debian packages gridlink needs to build, run and test, and
# nothing when they are all present. Extra package names given as arguments
# are installed too (the benchmark uses this for its peers, scripts/build-deb.sh
# for the packaging tools, scripts/test-package.sh for debootstrap, which
# makes the fresh Debian roots of package.debootstrap and package.ansible,
# and ansible, which package.ansible drives).
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler
    liblmdb-dev lmdb-utils libuv1-dev libjansson-dev libcmocka-dev libsodium-dev libmicrohttpd-dev libxml2-dev
    libxlsxwriter-dev libcairo2-dev libfontconfig-dev # the monthly report: its spreadsheet and its PNG charts
    libsystemd-dev # readiness and watchdog under systemd (optional at build time)
    zlib1g-dev     # the retention's archive: one gzip file a month per node (common/archive.c)
    systemd        # systemd-analyze, for the test of the unit files
    jq iproute2 procps nftables curl libxml2-utils
    wrk # the benchmark's HTTP load generator (its smoke test runs the http scenario)
    python3-jsonschema # test_openapi validates the API's answers against its OpenAPI document
    prometheus # promtool, for test_metrics: every process's /metrics checked
    clang-format # the style test (style.clang_format) is registered only where it is installed
    libjs-bootstrap5 # the staff web app's UI library, served under /lib/
    libjs-leaflet    # the dashboard's map, served by the broker under /lib/
    libjs-chart.js   # the survey results' charts in the staff web app, served under /lib/chart.js/
    chromium fonts-wqy-microhei # the browser test (test_web_app), Chinese glyphs in its screenshots
    "$@"
)
# Node.js and npm for the browser test's driver: Debian's, unless the machine
# has them already (a Node.js from elsewhere carries its own npm and
# conflicts with Debian's npm package).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
