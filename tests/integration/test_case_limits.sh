# A case cannot grow past what the tree carries, and one large case never
# stops a link. Ordinary CLI actions drive one case to its limit at the
# district (short notes, many suspend/resume cycles) and another at a
# community (8,000-byte notes); each ends with a clear refusal to the person
# acting, and afterwards an unrelated case still climbs those links and its
# status still comes down to the grid within seconds.
source "$(dirname "$0")/lib.sh"

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"

G=xinbei.sanjing.c01.g1 C=xinbei.sanjing.c01 T=xinbei.sanjing D=xinbei
gl() { "$GRIDLINK" "$@" --home "$HOME_DIR"; }
field() { gl show --node "$1" "$2" --json | jq -r ".$3"; }
is() { [ "$(field "$1" "$2" "$3")" = "$4" ]; }

# drive NODE CASE NOTE: suspend/resume until the node refuses; prints the cycles.
drive() {
    local node=$1 id=$2 note=$3 cycles=0 out
    while [ $cycles -lt 700 ]; do
        if ! out=$(gl act --node "$node" "$id" suspend --note "$note" 2>&1); then break; fi
        if ! out=$(gl act --node "$node" "$id" resume --note "$note" 2>&1); then break; fi
        cycles=$((cycles + 1))
    done
    [[ "$out" == *"is full"* ]] || fail "at $node the action ended with '$out' after $cycles cycles, not the size refusal"
    echo "$cycles"
}

# The district's case: reported at the grid, escalated by hand to the top.
a=$(gl submit --node $G --category urban --text "大案 A")
wait_until 5 "community holds A" is $C "$a" holder $C
gl act --node $C "$a" escalate --note "up" >/dev/null
wait_until 5 "township holds A" is $T "$a" holder $T
gl act --node $T "$a" escalate --note "up" >/dev/null
wait_until 5 "district holds A" is $D "$a" holder $D
gl act --node $D "$a" accept >/dev/null
cycles=$(drive $D "$a" "办理中")
entries=$(gl show --node $D "$a" --json | jq '.history | length')
log "district: refused after $cycles suspend/resume cycles, $entries history entries"
[ "$entries" -le 1024 ] || fail "the case grew to $entries entries"

# An unrelated case on the same links: up to the district, and its status
# (accepted there) all the way back down to the grid.
b=$(gl submit --node $G --category urban --text "小案 B")
t0=$(now_ms)
wait_until 5 "community holds B" is $C "$b" holder $C
gl act --node $C "$b" escalate >/dev/null
wait_until 5 "township holds B" is $T "$b" holder $T
gl act --node $T "$b" escalate >/dev/null
wait_until 5 "district holds B" is $D "$b" holder $D
gl act --node $D "$b" accept >/dev/null
wait_until 5 "B's acceptance reaches the grid" is $G "$b" state accepted
log "B travelled up and its status down in $(($(now_ms) - t0)) ms"
# The grid also has A's last state: nothing of A was left stuck on the way.
wait_until 5 "A's last version reaches the grid" test "$(field $G "$a" version)" = "$(field $D "$a" version)"

# The community's case, with the longest notes a person may write.
note=$(printf '长%.0s' $(seq 2666))  # 2,666 three-byte characters: 7,998 bytes
c=$(gl submit --node $G --category services --text "大案 C")
wait_until 5 "community holds C" is $C "$c" holder $C
gl act --node $C "$c" accept >/dev/null
cycles=$(drive $C "$c" "$note")
log "community: refused after $cycles cycles with 7,998-byte notes"
d=$(gl submit --node $G --category services --text "小案 D")
wait_until 5 "community holds D" is $C "$d" holder $C
gl act --node $C "$d" accept >/dev/null
wait_until 5 "D's acceptance reaches the grid" is $G "$d" state accepted
wait_until 5 "C's last version reaches the grid" test "$(field $G "$c" version)" = "$(field $C "$c" version)"
# The notes arrived whole, at the grid too.
kept=$(gl show --node $G "$c" --json | jq --arg n "$note" '[.history[] | select(.note == $n)] | length')
[ "$kept" -ge $((cycles * 2)) ] || fail "only $kept of $((cycles * 2)) notes reached the grid whole"

for n in $G $C $T $D; do
    h=$(gl health --node $n)
    [ "$(jq .dead_letters <<<"$h")" -eq 0 ] || fail "$n has dead letters: $h"
    [ "$(jq .outbox_pending <<<"$h")" -eq 0 ] || fail "$n still has messages waiting: $h"
done
refused=$(gl health --node $D | jq .refused_actions)
[ "$refused" -ge 1 ] || fail "the district did not count the refused action"
log "ok"
