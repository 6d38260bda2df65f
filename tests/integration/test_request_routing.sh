# Requests placed by location: a resident's request taken at the district's
# hotline goes to the community of the grid whose area holds its point,
# with the grid recorded; one with only an address goes to the community
# whose address keys it contains; one nothing places waits in the intake's
# routing queue (待分拨) until a person assigns it (the full Xinbei
# topology: test_request_routing_xinbei).
# mini.json: g1 covers lon 119.95..119.96, g2 lon 119.96..119.97, both lat
# 31.86..31.88; c01's address keys are 晋陵北路, 三井花园 and 太湖东路.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei
T=xinbei.sanjing
G2=$C1.g2

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"

# 1. A point inside g2's area.
id=$(gl request --node $D --category urban/lighting --text "楼下路灯不亮" --lat 31.87 --lon 119.965)
expect $D "$id" ".state == \"assigned\" and .holder == \"$C1\" and .grid == \"$G2\" and .community == \"$C1\"
    and .located == true and .unplaced != true"
wait_until 5 "$C1 has $id" case_is $C1 "$id" ".holder == \"$C1\" and .history[-1].action == \"received\""
expect $C1 "$id" ".grid == \"$G2\" and (.lat - 31.87 | fabs) < 1e-9 and (.lon - 119.965 | fabs) < 1e-9"
gl show --node $C1 "$id" | grep -q "in grid $G2 (三井街道第一社区第2网格)" ||
    fail "show does not name the grid: $(gl show --node $C1 "$id")"
note=$(field $D "$id" '[.history[] | select(.action == "assigned")][0].note')
[ "$note" = "placed by location in $G2" ] || fail "the assignment's note: $note"
log "a point in g2: $id at $C1 with grid $G2 ($note)"

# 2. Only an address.
id2=$(gl request --node $D --category urban/roads --text "人行道砖松动" --address "三井花园12幢门口")
expect $D "$id2" ".holder == \"$C1\" and .community == \"$C1\" and .grid == \"\""
note=$(field $D "$id2" '[.history[] | select(.action == "assigned")][0].note')
[ "$note" = "placed by address" ] || fail "the address placement's note: $note"

# 3. A point outside every area, no address key: the district's routing queue.
id3=$(gl request --node $D --category urban/garbage --text "河边有垃圾堆放" --lat 31.95 --lon 119.90 --address "龙城大道")
expect $D "$id3" ".holder == \"$D\" and .state == \"reported\" and .unplaced == true and .community == \"\""
queue=$(gl list --node $D --unplaced --json | jq -r '[.[].id] | join(" ")')
[ "$queue" = "$id3" ] || fail "the district's routing queue: '$queue'"
gl show --node $D "$id3" | grep -q "待分拨" || fail "show does not say it waits: $(gl show --node $D "$id3")"
[ -z "$(gl list --node $T --unplaced --json | jq -r '.[].id')" ] || fail "the township's queue is not empty"
# A person places it.
gl act --node $D "$id3" assign --to $C1 --note "经核实属三井第一社区" >/dev/null
expect $D "$id3" ".holder == \"$C1\" and .state == \"assigned\" and .unplaced != true and .community == \"$C1\""
wait_until 5 "$C1 has $id3" case_is $C1 "$id3" ".holder == \"$C1\" and .history[-1].action == \"received\""
[ -z "$(gl list --node $D --unplaced --json | jq -r '.[].id')" ] || fail "the queue still lists it"
log "outside every area: $id3 waited in the district's routing queue, then a person placed it at $C1"

# 4. Taken at the township, unplaced: the township's own queue.
id4=$(gl request --node $T --category services/consultation --text "咨询养老补贴" --lat 0 --lon 0)
expect $T "$id4" ".holder == \"$T\" and .unplaced == true"
# Bad coordinates are refused with a clear error, nothing made.
rc=0
gl request --node $D --category urban/roads --text "x" --lat 95 --lon 119.9 >/dev/null 2>"$HOME_DIR/err" || rc=$?
[ $rc -ne 0 ] && grep -q -- "--lat" "$HOME_DIR/err" || fail "latitude 95 was taken: rc $rc, $(cat "$HOME_DIR/err")"
# The district's list, a page at a time, gives what one whole list gives.
all=$(gl list --node $D --json | jq -r '[.[].id] | join(" ")')
[ "$(wc -w <<<"$all")" -eq 3 ] || fail "the district lists: $all"
p1=$(gl list --node $D --limit 2 --json 2>"$HOME_DIR/more" | jq -r '[.[].id] | join(" ")')
after=$(sed -n 's/.*(--after \(.*\))$/\1/p' "$HOME_DIR/more")
grep -q "^3 match; more after " "$HOME_DIR/more" || fail "the first page's note: $(cat "$HOME_DIR/more")"
p2=$(gl list --node $D --limit 2 --after "$after" --json 2>"$HOME_DIR/more2" | jq -r '[.[].id] | join(" ")')
[ ! -s "$HOME_DIR/more2" ] || fail "the last page says there is more: $(cat "$HOME_DIR/more2")"
[ "$p1 $p2" = "$all" ] || fail "pages '$p1' + '$p2' are not the list '$all'"
[ "$(gl list --node $D --holder $C1 --json | jq length)" -eq 3 ] && [ "$(gl list --node $D --holder $D --json | jq length)" -eq 0 ] ||
    fail "--holder: $(gl list --node $D --holder $C1 --json | jq -c '[.[].id]')"
[ "$(gl list --node $D --search "河边" --json | jq -r '.[].id')" = "$id3" ] || fail "--search found: $(gl list --node $D --search 河边)"
log "list in pages of 2: $p1 | $p2"
log "ok: placed by location, by address, and from the routing queue"
