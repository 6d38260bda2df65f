# `gridlink load`'s verdict while deadlines are still moving cases. The mini
# district with short SLAs: a case climbs from the community to the township
# 2 s after it arrives and to the district 10 s later, and the district keeps
# it. The load submits for about 10 s, so when it ends the cases of its last
# 12 s are still on their way up while the check takes its census. A case in
# flight, or one that moved between the visits of two nodes, is not lost:
# the check must wait until the census stands still and then find every
# acknowledged case exactly once ("N acked, N found, 0 lost, 0 duplicated").
source "$(dirname "$0")/lib.sh"

CASES=${CASES:-5000}
RATE=${RATE:-500}
TOPO="$HOME_DIR/escalating.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 2, "resolve_s": 0},
            {"tier": "township", "accept_s": 10, "resolve_s": 0},
            {"tier": "district", "accept_s": 3600, "resolve_s": 0}]' "$MINI" >"$TOPO"
start_up "$TOPO"

out="$HOME_DIR/load.out" err="$HOME_DIR/load.err"
rc=0
"$GRIDLINK" load --home "$HOME_DIR" --cases "$CASES" --rate "$RATE" --window 16 --timeout 60 >"$out" 2>"$err" || rc=$?
cat "$err" >&2
line=$(cat "$out")
log "load: $line (exit $rc)"
[ "$rc" -eq 0 ] || fail "gridlink load exited $rc: $line"
[[ "$line" =~ ^([0-9]+)\ acked,\ ([0-9]+)\ found,\ 0\ lost,\ 0\ duplicated$ ]] || fail "unexpected verdict: '$line'"
[ "${BASH_REMATCH[1]}" -eq "$CASES" ] && [ "${BASH_REMATCH[2]}" -eq "$CASES" ] ||
    fail "expected $CASES acked and found: '$line'"
# The check did meet moving cases: it had to take the census again.
[[ "$(cat "$err")" =~ census\ ([0-9]+)\ agrees\ with\ census ]] || fail "the check never saw a census stand still"
censuses=${BASH_REMATCH[1]}
[ "$censuses" -ge 3 ] || fail "only $censuses censuses: no case was moving during the check, the test proves nothing"
# And every case did reach the district in the end.
at_district=$("$GRIDLINK" health --home "$HOME_DIR" --node xinbei | jq .cases)
[ "$at_district" -eq "$CASES" ] || fail "the district holds $at_district of $CASES cases"
log "ok: $line after $censuses censuses; all $CASES at the district"
