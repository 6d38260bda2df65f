#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/fuzz_*.c) for MINUTES each (default
# 10), one after another, on a clang build with ASan and UBSan. Each target
# starts from its committed corpus (tests/fuzz/corpus/NAME); what it finds is
# merged back into that directory (only inputs that add coverage), so the
# next commit keeps it and the default build replays it as a regression test.
# A crash stops the run and leaves its input in build-fuzz/artifacts/.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -ge 1 ] || { echo "usage: scripts/fuzz.sh [MINUTES] [TARGET...]" >&2; exit 2; }
scripts/install-deps.sh clang
CC=clang BUILD_DIR=build-fuzz scripts/build.sh -DGRIDLINK_FUZZ=ON
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
mkdir -p build-fuzz/artifacts
for t in "${targets[@]}"; do
    corpus=tests/fuzz/corpus/$t
    work=build-fuzz/corpus/$t
    mkdir -p "$corpus" "$work"
    before=$(find "$corpus" -type f | wc -l)
    echo "== $t: $minutes min from $before committed inputs" >&2
    # -rss_limit_mb bounds a decoder that allocates without limit; a leak or
    # a crash stops the run with its input saved.
    build-fuzz/tests/"$t" -max_total_time=$((minutes * 60)) -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix=build-fuzz/artifacts/"$t"- -print_final_stats=1 "$work" "$corpus" \
        2>build-fuzz/"$t".log || { tail -n 40 build-fuzz/"$t".log >&2; echo "== $t: FAILED (see build-fuzz/$t.log)" >&2; exit 1; }
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" build-fuzz/"$t".log | tail -n 3 >&2 || true
    build-fuzz/tests/"$t" -merge=1 "$corpus" "$work" 2>>build-fuzz/"$t".log
    after=$(find "$corpus" -type f | wc -l)
    echo "== $t: ok, corpus $before -> $after inputs" >&2
done
