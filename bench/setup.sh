#!/usr/bin/env bash
# bench/setup.sh: install what `gridlink bench` needs besides the build
# dependencies: gnuplot for the plot, wrk for the http scenario's load, and
# the peer systems it compares against (NATS JetStream, Redis Streams) with
# their C clients. Installs only the packages that are missing; does nothing
# when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh gnuplot-nox wrk nats-server redis-server libnats-dev libhiredis-dev
