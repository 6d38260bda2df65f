#!/usr/bin/env bash
# Smoke run of the benchmark: every scenario with tiny counts and no targets,
# so `gridlink bench` cannot rot. The peers, the plot and the http scenario
# (wrk) are used only when bench/setup.sh has installed them. Checks that the
# table and every scenario's figures were written, and that the http
# scenario's node holds exactly the reports its 201s acknowledged.
source "$(dirname "$0")/lib.sh"

OUT="$HOME_DIR/results"
start=$(date +%s)
(cd "$GL_SRC" && TMPDIR="$HOME_DIR" "$GRIDLINK" bench --quick --out "$OUT") >"$HOME_DIR/bench.out" 2>"$HOME_DIR/bench.err" \
    || { tail -n 30 "$HOME_DIR/bench.err" >&2; fail "gridlink bench --quick failed"; }
log "bench --quick took $(( $(date +%s) - start )) s"
[ -s "$OUT/latest.md" ] || fail "no table in $OUT/latest.md"
scenarios="intake escalation fanout recovery district scaling"
command -v wrk >/dev/null && scenarios="$scenarios http"
for s in $scenarios; do
    grep -q "^| $s |" "$OUT/latest.md" || { cat "$OUT/latest.md" >&2; fail "no figures for scenario $s"; }
done
grep -q "^| intake | node w64 tput |" "$OUT/latest.md" || fail "no node intake figure"
grep -q "^| intake | bare zmq+lmdb w64 tput |" "$OUT/latest.md" || fail "no bare limit figure"
grep -Eq "^\| district \| xinbei lost \| +\| 0\.000 " "$OUT/latest.md" || { grep district "$OUT/latest.md" >&2; fail "district check found lost cases"; }
grep -Eq "^\| district \| xinbei duplicated \| +\| 0\.000 " "$OUT/latest.md" || fail "district check found duplicates"
grep -Eq "^\| escalation \| 2k open, missing \| +\| 0\.000 " "$OUT/latest.md" || fail "escalations went missing"
# The district's lifecycle: every verified case closed, some tasks returned.
grep -Eq "^\| district \| xinbei verified_not_closed \| +\| 0\.000 " "$OUT/latest.md" || { grep district "$OUT/latest.md" >&2; fail "verified cases not closed"; }
closed=$(awk -F'|' '$3 ~ /^ xinbei closed $/ {print $5}' "$OUT/latest.md" | tr -d ' ')
returned=$(awk -F'|' '$3 ~ /^ xinbei returned $/ {print $5}' "$OUT/latest.md" | tr -d ' ')
awk -v c="$closed" -v r="$returned" 'BEGIN { exit !(c > 0 && r > 0) }' || fail "district: $closed closed, $returned returned"
grep -Eq "^\| district \| xinbei mismatched \| +\| 0\.000 " "$OUT/latest.md" || fail "district: replies that did not match their request"
log "district: $closed cases closed, $returned tasks returned and assigned again"
for f in "nodes 10 tput" "nodes 10 cpu_us" "open 10k tput" "open 10k cpu_us"; do
    grep -q "^| scaling | $f |" "$OUT/latest.md" || fail "no scaling figure $f"
done
if command -v wrk >/dev/null; then
    grep -q "^| http | node c16 tput |" "$OUT/latest.md" || fail "no figure of the node's API"
    grep -q "^| http | trivial c16 tput |" "$OUT/latest.md" || fail "no figure of the trivial server"
    acked=$(awk -F'|' '$3 ~ /^ node reports acked \(201\) $/ {print $5}' "$OUT/latest.md" | tr -d ' ')
    held=$(awk -F'|' '$3 ~ /^ node cases held $/ {print $5}' "$OUT/latest.md" | tr -d ' ')
    [ -n "$acked" ] && [ "$acked" = "$held" ] || { grep "^| http" "$OUT/latest.md" >&2; fail "the node holds $held cases for $acked reports acknowledged"; }
    grep -Eq "^\| http \| node requests unanswered \| +\| 0\.000 " "$OUT/latest.md" || fail "requests went unanswered"
    log "http: $acked reports acknowledged, $held held by the node"
else
    grep -q "http: wrk is not installed" "$OUT/latest.md" || fail "no note that the http scenario did not run"
fi
if command -v gnuplot >/dev/null; then
    [ -s "$OUT/latest.png" ] && [ -s "$OUT/scaling.png" ] || fail "gnuplot is installed but the plots were not drawn"
fi
if grep -q "^TARGET" "$HOME_DIR/bench.out"; then fail "--quick must not print targets"; fi
