# `gridlink load`'s verdict while cases are still moving up the tree. The
# mini district: a case climbs from the community to the township 2 s after
# it arrives and then stays there. The check pauses 3 s between censuses;
# once it has taken its first, this test escalates MOVED of the acknowledged
# cases by hand from the township to the district, one by one, so cases move
# between the censuses. A case in flight, or one that moved
# between the visits of two nodes, is not lost: the check must wait until the
# census stands still and then find every acknowledged case exactly once
# ("N acked, N found, 0 lost, 0 duplicated").
source "$(dirname "$0")/lib.sh"

CASES=${CASES:-5000}
RATE=${RATE:-500}
MOVED=${MOVED:-20}
TOPO="$HOME_DIR/escalating.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0},
            {"tier": "community", "accept_s": 2, "resolve_s": 0},
            {"tier": "township", "accept_s": 3600, "resolve_s": 0},
            {"tier": "district", "accept_s": 3600, "resolve_s": 0}]' "$MINI" >"$TOPO"
start_up "$TOPO"

out="$HOME_DIR/load.out" err="$HOME_DIR/load.err"
"$GRIDLINK" load --home "$HOME_DIR" --cases "$CASES" --rate "$RATE" --window 16 --timeout 60 --census-pause 3000 >"$out" 2>"$err" &
load_pid=$!
BG_PIDS+=("$load_pid")
first_census() { grep -q 'census 1:' "$err"; }
wait_progress 60 "the check's first census" "wc -c $err" first_census
acked_file=$(sed -n 's/.*acknowledged case IDs go to \(.*\)$/\1/p' "$err")
[ -s "$acked_file" ] || fail "the load named no file of acknowledged IDs"
moved=0
while read -r id && [ "$moved" -lt "$MOVED" ]; do
    "$GRIDLINK" act --home "$HOME_DIR" --node xinbei.sanjing "$id" escalate >/dev/null ||
        fail "could not escalate $id from the township"
    moved=$((moved + 1))
done < <(grep -oE 'xinbei[.a-z0-9]*-[0-9]+' "$acked_file" | head -n "$MOVED")
[ "$moved" -eq "$MOVED" ] || fail "escalated only $moved of $MOVED cases"
rc=0
wait "$load_pid" || rc=$?
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
# The hand-escalated cases are at the district, the rest at the township.
at_district=$("$GRIDLINK" health --home "$HOME_DIR" --node xinbei | jq .cases)
at_township=$("$GRIDLINK" health --home "$HOME_DIR" --node xinbei.sanjing | jq .cases)
[ "$at_district" -eq "$MOVED" ] || fail "the district holds $at_district cases, expected the $MOVED escalated by hand"
log "ok: $line after $censuses censuses; $at_district at the district, township health reports $at_township"
