# Under load, the broker is killed with SIGKILL three times and `up` restarts
# it each time. Afterwards the broker's view agrees with every node's own log
# (per-node last sequence), and a watch started before the faults printed
# every event of every node exactly once and in sequence order: what it
# missed while the broker was down came back by replay from the nodes' logs.
source "$(dirname "$0")/lib.sh"

start_up "$MINI"
W="$HOME_DIR/watch.json"
start_watch "$W"
nodes=$(jq -r '.nodes[].id' "$HOME_DIR/topology.json")
g1=xinbei.sanjing.c01.g1
g2=xinbei.sanjing.c01.g2
c01=xinbei.sanjing.c01

log_seq() { "$GRIDLINK" health --home "$HOME_DIR" --node "$1" | jq .log_seq; }
declare -A base
for n in $nodes; do base[$n]=$(log_seq "$n"); done

# Load: each grid submits cases back to back until told to stop. Deadlines
# (3 s in the mini district) make cases climb meanwhile, so every tier logs.
load() {
    while [ ! -e "$HOME_DIR/stop" ]; do
        "$GRIDLINK" submit --home "$HOME_DIR" --node "$1" --category urban --text "load" >>"$HOME_DIR/ids.$1" 2>/dev/null || true
    done
}
load $g1 &
L1=$!
load $g2 &
L2=$!
BG_PIDS+=($L1 $L2)

broker_pid() { pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)" | head -n1; }
new_broker() { local p; p=$(broker_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
for k in 1 2 3; do
    sleep 2
    old=$(broker_pid)
    [ -n "$old" ] || fail "broker not running before kill $k"
    kill -KILL "$old"
    log "kill $k: broker $old killed"
    wait_until 30 "broker restarted after kill $k" new_broker "$old"
done
sleep 2
touch "$HOME_DIR/stop"
wait $L1 $L2 || true
submitted=$(cat "$HOME_DIR"/ids.* | grep -c . || true)
[ "$submitted" -gt 20 ] || fail "only $submitted cases submitted under load"
log "$submitted cases submitted during the faults"

# Let the deadlines play out: wait until no node's log moves for 4 s.
total() { local t=0 n; for n in $nodes; do t=$((t + $(log_seq "$n"))); done; echo $t; }
quiet() { local a; a=$(total); sleep 4; [ "$a" = "$(total)" ]; }
wait_until 90 "every log quiet" quiet

# The broker's view: its marks equal every node's last log sequence.
view_converged() {
    local marks n
    marks=$("$GRIDLINK" watch --home "$HOME_DIR" --marks --json --seconds 5) || return 1
    for n in $nodes; do
        [ "$(jq -r --arg n "$n" 'select(.node==$n) | .seq' <<<"$marks")" = "$(log_seq "$n")" ] || return 1
    done
}
wait_until 30 "broker view equals the nodes' logs" view_converged
log "broker view agrees with every node's log"

# The early watch: for every node, one unbroken run of sequence numbers from
# before the faults (at most base + 1) up to the node's last, no repeats.
seqs_ok() { # node last
    jq -r --arg n "$1" 'select(.node==$n) | .seq' "$W" |
        awk -v b="${base[$1]}" -v l="$2" 'NR==1 { if ($1 > b + 1) exit 1; p=$1; next }
                                        $1 != p + 1 { exit 1 } { p=$1 } END { exit !(NR==0 ? l==b : p==l) }'
}
watch_complete() { local n; for n in $nodes; do seqs_ok "$n" "$(log_seq "$n")" || return 1; done; }
wait_until 30 "the early watch has every event" watch_complete
for n in $nodes; do
    lines=$(jq -c --arg n "$n" --argjson b "${base[$n]}" 'select(.node==$n and .seq > $b)' "$W" | wc -l)
    log "$n: $lines events after the baseline, log at $(log_seq "$n"), all once and in order"
done

# And the events are the nodes' own: each submitted case was reported by its
# grid and received by the community exactly once.
for g in $g1 $g2; do
    [ -s "$HOME_DIR/ids.$g" ] || continue
    bad=$(jq -rs --arg g "$g" --arg c "$c01" --rawfile ids "$HOME_DIR/ids.$g" '
        ($ids | split("\n") | map(select(length > 0))) as $want
        | [ .[] | select((.kind=="reported" and .node==$g) or (.kind=="received" and .node==$c)) ] as $ev
        | [ $want[] as $id | [ $ev[] | select(.case_id==$id) | .kind ] | select(sort != ["received","reported"]) | $id ]
        | length' "$W")
    [ "$bad" -eq 0 ] || fail "$bad cases of $g were not seen exactly once as reported and received"
done
grep -q "asking for a replay" "$HOME_DIR/log/broker.log" || fail "the restarted broker never asked a node for a replay"
log "ok"
