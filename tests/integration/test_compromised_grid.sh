# Someone holding grid g1's real key (a stolen phone) tries to take grid g2's
# case IDs, to overwrite a g2 case under its ID, and to spend g1's sequence
# numbers with messages the community refuses. Nothing of g2 changes, each
# forgery is refused and counted, and the real g1 loses no report. Then g1's
# store is wiped: its new reports arrive, under IDs it never used before.
source "$(dirname "$0")/lib.sh"
PROBE="$GL_BIN/tests/gl_probe"

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"

G1=xinbei.sanjing.c01.g1 G2=xinbei.sanjing.c01.g2 C=xinbei.sanjing.c01
T="$HOME_DIR/topology.json"
endpoint=$(jq -r --arg n $C '.nodes[] | select(.id==$n) | .endpoint // empty' "$T")
[ -n "$endpoint" ] || endpoint="tcp://127.0.0.1:$((PORT_BASE + 4))"
key=$(jq -r --arg n $C '.nodes[] | select(.id==$n) | .public_key' "$T")
stolen="$HOME_DIR/keys/$G1.cert"
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
at_c() { gl show --node $C "$1" --json 2>/dev/null | jq -r "$2"; }
ids_at_c() { gl list --node $C --json | jq -r '.[].id' | sort; }

up_at() { gl health --node "$1" | jq -e .parent_up >/dev/null; }
wait_until 20 "g1's link up" up_at $G1
wait_until 20 "g2's link up" up_at $G2
g2case=$(gl submit --node $G2 --category urban --text "g2 的真实报告")
for i in 1 2 3; do gl submit --node $G1 --category urban --text "g1 报告 $i" >/dev/null; done
wait_until 15 "g2's case at the community" test "$(at_c "$g2case" .holder)" = $C
wait_until 15 "g1's three reports at the community" test "$(gl list --node $C --json | jq length)" -eq 4
before=$(ids_at_c)

# 1. A new g2 case ID, reported with g1's key, under every number g1 could use next.
out=$("$PROBE" "$endpoint" "$key" $G1 "$stolen" $G2-900001 1 20)
log "another grid's new case ID: $out"
# 2. g2's existing case, "escalated" with g1's key: its ID and content taken over.
out=$("$PROBE" "$endpoint" "$key" $G1 "$stolen" "$g2case" 1 20 escalated)
log "another grid's existing case: $out"
# 3. A g1 ID that the community already holds, with other content.
g1first=$(gl list --node $C --json | jq -r --arg g $G1 '[.[].id | select(startswith($g + "-"))][0]')
out=$("$PROBE" "$endpoint" "$key" $G1 "$stolen" "$g1first" 1 20)
log "a known g1 case ID with other content: $out"

[ "$(ids_at_c)" = "$before" ] || fail "the community's cases changed: $(ids_at_c)"
[ "$(at_c "$g2case" .text)" = "g2 的真实报告" ] || fail "g2's case was overwritten"
[ "$(at_c "$g2case" .came_from)" = $G2 ] || fail "g2's case now comes from $(at_c "$g2case" .came_from)"
[ "$(at_c "$g1first" .text)" = "g1 报告 1" ] || fail "g1's first case was overwritten"
h=$(gl health --node $C)
[ "$(jq .refused_in <<<"$h")" -ge 3 ] || fail "refusals not counted: $h"
[ "$(jq .spoofed <<<"$h")" -ge 2 ] || fail "foreign cases not counted: $h"
grep -q "was not minted in $G1's subtree" "$HOME_DIR/log/$C.log" || fail "the refusal does not say why"

# The real grid's next reports take the numbers the forgeries were refused under.
ids=()
for i in 4 5 6 7 8 9; do ids+=("$(gl submit --node $G1 --category urban --text "g1 报告 $i")"); done
for id in "${ids[@]}"; do
    wait_until 15 "real report $id at the community" test "$(at_c "$id" .holder)" = $C
done
gl health --node $G1 | jq -e '.dead_letters == 0 and .outbox_pending == 0' >/dev/null ||
    fail "g1 has messages left: $(gl health --node $G1)"
log "all 6 real reports arrived after the forgeries"

# g1's store is wiped (a replaced workstation): up restarts it with a new one.
pid=$(node_pid $G1)
mv "$HOME_DIR/data/$G1" "$HOME_DIR/data/$G1.old"
kill -KILL "$pid"
wait_until 20 "g1 back with a new store" sh -c "test -d '$HOME_DIR/data/$G1' && '$GRIDLINK' health --home '$HOME_DIR' --node $G1 --timeout 500 | jq -e .parent_up"
wait_until 10 "the community noticed the new store" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $C | jq -e '.store_resets >= 1'"
new=()
for i in 1 2; do new+=("$(gl submit --node $G1 --category urban --text "新工作站报告 $i")"); done
for id in "${new[@]}"; do
    grep -qx "$id" <<<"$before" && fail "the new store reused case ID $id"
    wait_until 15 "new-store report $id at the community" test "$(at_c "$id" .text)" != ""
done
log "reports from the rebuilt grid arrived as ${new[*]}"
log "ok"
