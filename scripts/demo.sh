#!/usr/bin/env bash
# The first command of the README: install what is missing, build, and run a
# whole local district (the embedded demo topology) with simulated staff
# traffic, showing its events live. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/gridlink up --home "${GRIDLINK_HOME:-$PWD/gridlink-home}" "$@"
