# A key sees on the bus only what the topology grants it: a node's key its
# own subtree, a monitor's key its scope (the whole district when it has
# none). With a real grid's key: a whole-district snapshot is refused and an
# unscoped one holds only the grid's own events, a replay of another
# branch's node is refused, a subscription on the broker's output gets
# nothing (the operator's gets the hugz meanwhile), and a subscription
# through bus_in brings the grid's events but not its sibling's. A
# township's key gets its own subtree and nothing of the other township;
# `gridlink watch` works with a monitor scoped to that township, and still
# with the operator's key.
source "$(dirname "$0")/buslib.sh"

mkdir -p "$HOME_DIR/keys"
"$BUSPROBE" keygen "$HOME_DIR/keys/sanjing-desk.cert"
desk_key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$HOME_DIR/keys/sanjing-desk.cert")
[ ${#desk_key} -eq 40 ] || fail "no public key in the generated certificate"
two_townships | jq --arg k "$desk_key" '.monitors = [{"name": "sanjing-desk", "public_key": $k, "scope": "xinbei.sanjing"}]' \
    >"$HOME_DIR/two.json"
start_up "$HOME_DIR/two.json"
bus_setup
g1=xinbei.sanjing.c01.g1
g2=xinbei.sanjing.c01.g2
c01=xinbei.sanjing.c01
sanjing=xinbei.sanjing
t_g1=xinbei.tangqiao.c01.g1
t_c01=xinbei.tangqiao.c01

submit() { "$GRIDLINK" submit --home "$HOME_DIR" --node "$1" --category urban --text "$2"; }
for n in $g1 $g2 $t_g1; do submit $n "案件 $n" >>"$HOME_DIR/ids"; done
wait_until 20 "broker view equals the nodes' logs" view_converged

# not_under PREFIX FILE: the nodes of FILE's events and marks outside PREFIX.
not_under() {
    jq -r '(.events[]?.node), (.marks[]?.node)' "$2" | awk -v p="$1" '$0 != p && index($0, p ".") != 1'
}
refused() { jq -s -e 'any(.[]; .end == true and .code != 0)' "$1" >/dev/null && ! jq -s -e 'any(.[]; .events)' "$1" >/dev/null; }

# The grid's key.
bus_request $g1 5000 op=snapshot prefix=xinbei >"$HOME_DIR/g1-district.json"
refused "$HOME_DIR/g1-district.json" || fail "a grid's whole-district snapshot was not refused: $(head -c 300 "$HOME_DIR/g1-district.json")"
bus_request $g1 5000 op=snapshot >"$HOME_DIR/g1-snap.json"
[ -z "$(not_under $g1 "$HOME_DIR/g1-snap.json")" ] || fail "a grid's snapshot shows $(not_under $g1 "$HOME_DIR/g1-snap.json" | sort -u | tr '\n' ' ')"
[ "$(jq -r --arg n $g1 '.marks[]? | select(.node == $n) | .seq' "$HOME_DIR/g1-snap.json")" = "$(log_seq $g1)" ] ||
    fail "a grid's snapshot lacks its own mark"
for n in $t_g1 $g2 $c01; do
    bus_request $g1 5000 op=replay node=$n from=1 >"$HOME_DIR/g1-replay.json"
    refused "$HOME_DIR/g1-replay.json" || fail "a grid's replay of $n was not refused: $(head -c 300 "$HOME_DIR/g1-replay.json")"
done
bus_request $g1 5000 op=replay node=$g1 from=1 | reply_events | jq -s -e 'any(.[]; .kind == "reported")' >/dev/null ||
    fail "a grid's replay of its own log brought nothing"
log "grid key: district snapshot and replays of $t_g1, $g2, $c01 refused; its own snapshot and replay only its own"

"$BUSPROBE" listen "$BUS_OUT" "$BROKER_KEY" "$KEYS/$g1.cert" 4000 >"$HOME_DIR/g1-out.txt" &
g1_listen=$!
"$BUSPROBE" listen "$BUS_OUT" "$BROKER_KEY" "$KEYS/operator.cert" 4000 >"$HOME_DIR/op-out.txt" &
op_listen=$!
BG_PIDS+=($g1_listen $op_listen)
wait_until 10 "the operator's subscription gets hugz" grep -q "^hugz" "$HOME_DIR/op-out.txt"
submit $g2 "订阅期间" >/dev/null
wait_until 10 "the operator's subscription gets the new report" grep -q "^reported $g2" "$HOME_DIR/op-out.txt"
wait $g1_listen $op_listen
[ ! -s "$HOME_DIR/g1-out.txt" ] || fail "the grid's key got from bus_out: $(sort -u "$HOME_DIR/g1-out.txt" | head -c 300)"
log "grid key: bus_out gave nothing in 4 s, while the operator's key got $(wc -l <"$HOME_DIR/op-out.txt") messages"

bus_request $g1 8000 op=subscribe >"$HOME_DIR/g1-sub.json" &
g1_sub=$!
BG_PIDS+=($g1_sub)
wait_until 5 "the grid's subscription is acknowledged" jq -s -e 'any(.[]; .op == "subscribe" and .end == true and (.code // 0) == 0)' "$HOME_DIR/g1-sub.json"
submit $g2 "兄弟网格" >/dev/null
mine=$(submit $g1 "本网格")
wait_until 10 "the grid's subscription brings its own report" jq -e --arg c "$mine" 'select(.op == "live") | .events[] | select(.case_id == $c)' "$HOME_DIR/g1-sub.json"
wait_until 5 "the community received $mine" "$GRIDLINK" show --home "$HOME_DIR" --node $c01 "$mine"
wait $g1_sub
[ -z "$(not_under $g1 "$HOME_DIR/g1-sub.json")" ] || fail "the grid's subscription brought $(not_under $g1 "$HOME_DIR/g1-sub.json" | sort -u | tr '\n' ' ')"
log "grid key: its subscription brought $(reply_events "$HOME_DIR/g1-sub.json" | wc -l) events, all of $g1"

# The township's key: its own subtree, none of the other township.
bus_request $sanjing 5000 op=snapshot >"$HOME_DIR/sj-snap.json"
[ -z "$(not_under $sanjing "$HOME_DIR/sj-snap.json")" ] || fail "the township's snapshot shows $(not_under $sanjing "$HOME_DIR/sj-snap.json" | sort -u | tr '\n' ' ')"
for n in $sanjing $c01 $g1 $g2; do
    jq -e --arg n $n '.marks[]? | select(.node == $n)' "$HOME_DIR/sj-snap.json" >/dev/null || fail "the township's snapshot has no mark of $n"
done
reply_events "$HOME_DIR/sj-snap.json" | jq -e --arg n $c01 'select(.node == $n and .kind == "received")' >/dev/null ||
    fail "the township's snapshot lacks its community's cases"
bus_request $sanjing 5000 op=snapshot prefix=xinbei.tangqiao >"$HOME_DIR/sj-other.json"
refused "$HOME_DIR/sj-other.json" || fail "the township's snapshot of the other township was not refused"
bus_request $sanjing 5000 op=replay node=$t_c01 from=1 >"$HOME_DIR/sj-replay.json"
refused "$HOME_DIR/sj-replay.json" || fail "the township's replay of $t_c01 was not refused"
bus_request $sanjing 5000 op=replay node=$g2 from=1 | reply_events | jq -s -e 'any(.[]; .kind == "reported")' >/dev/null ||
    fail "the township's replay of $g2 brought nothing"
log "township key: its subtree only"
[ "$(broker_stat out_of_scope)" -ge 6 ] || fail "the refusals are not counted: $(broker_stats)"

# watch with the monitor scoped to the township, and with the operator's key.
start_watch "$HOME_DIR/desk.json" --key sanjing-desk --snapshot
start_watch "$HOME_DIR/op.json"
a=$(submit $g2 "街道可见")
b=$(submit $t_g1 "街道不可见")
wait_until 10 "the township's watch shows $a" has_event "$HOME_DIR/desk.json" received $c01 "$a"
wait_until 10 "the operator's watch shows $b" has_event "$HOME_DIR/op.json" received $t_c01 "$b"
has_event "$HOME_DIR/op.json" received $c01 "$a" || fail "the operator's watch lacks $a"
outside=$(jq -r '.node' "$HOME_DIR/desk.json" | awk -v p=$sanjing 'index($0, p ".") != 1 && $0 != p' | sort -u)
[ -z "$outside" ] || fail "the township's watch shows $outside"
first=$(sed -n 1p "$HOME_DIR/ids")
grep -q "\"case_id\":\"$first\"" "$HOME_DIR/desk.json" || fail "the township's watch snapshot lacks $first"
log "watch: scoped to $sanjing it shows $(wc -l <"$HOME_DIR/desk.json") lines, none outside; the operator's sees both townships"
log "ok"
