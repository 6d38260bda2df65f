# What people read: show, list, watch and health name nodes and categories
# in Chinese beside their IDs and give times in the local time zone (here
# UTC+8), list's columns line up whatever the Chinese text in them, and
# health without --node sums up the whole home. JSON keeps IDs and UTC.
source "$(dirname "$0")/lib.sh"

# UTC+8: the tz database's zone where it is installed, else the POSIX form
# the C library reads without it.
if [ -f /usr/share/zoneinfo/Asia/Shanghai ]; then export TZ=Asia/Shanghai; else export TZ=CST-8; fi
export LC_ALL=C.UTF-8
OFFSET_S=28800

TOPO="$HOME_DIR/slow.json"
slow_topology "$TOPO"
start_up "$TOPO"
gl() { "$GRIDLINK" "$1" --home "$HOME_DIR" "${@:2}"; }
D=xinbei
T=xinbei.sanjing
C=xinbei.sanjing.c01
G1=$C.g1
G2=$C.g2
DU=xinbei.urban
DM=$T.market
name_of() { jq -r --arg n "$1" '.nodes[] | select(.id == $n) | .name' "$MINI"; }

# local_of SECONDS [FORMAT]: the UTC+8 wall clock of an epoch second,
# computed without the time zone database.
local_of() { date -u -d "@$(($1 + OFFSET_S))" "+${2:-%Y-%m-%d %H:%M:%S}"; }
# Display columns of a UTF-8 line whose non-ASCII characters are all CJK
# (three bytes, two columns each).
columns() {
    local chars=${#1} bytes
    bytes=$(printf %s "$1" | LC_ALL=C wc -c)
    echo $((chars + (bytes - chars) / 2))
}

W="$HOME_DIR/watch.txt"
"$GRIDLINK" watch --home "$HOME_DIR" >"$W" 2>"$W.err" &
BG_PIDS+=($!)
wait_until 10 "readable watch live" grep -q "live" "$W.err"
start_watch "$HOME_DIR/watch.json"

case_id=$(gl submit --node $G1 --category urban/roads --text "路面塌陷")
holds() { [ "$(gl show --node "$1" "$2" --json | jq -r .holder)" = "$3" ]; }
wait_until 5 "$C holds $case_id" holds $C "$case_id" $C

# show: names of the community, the grid and the category; local times.
show=$(gl show --node $C "$case_id")
sj=$(gl show --node $C "$case_id" --json)
for want in "held by $C ($(name_of $C))" "originator $G1 ($(name_of $G1))" "category urban/roads (城管/道路设施)"; do
    grep -qF -- "$want" <<<"$show" || fail "show does not say '$want': $show"
done
created_ms=$(jq -r .created_ms <<<"$sj")
created=$(local_of $((created_ms / 1000)))
grep -qF "created $created" <<<"$show" || fail "show's creation time is not $created (UTC+8 of $created_ms): $show"
utc=$(date -u -d "@$((created_ms / 1000))" "+%Y-%m-%d %H:%M:%S")
! grep -qF "$utc" <<<"$show" || fail "show prints the UTC time $utc: $show"
n_hist=$(jq '.history | length' <<<"$sj")
[ "$n_hist" -eq 2 ] || fail "history at $C: $sj"
for i in $(seq 0 $((n_hist - 1))); do
    iso=$(jq -r ".history[$i].time" <<<"$sj")
    ms=$(jq -r ".history[$i].time_ms" <<<"$sj")
    [[ "$iso" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] || fail "history time '$iso' is not ISO 8601 UTC"
    [ "$(date -u -d "$iso" +%s)" -eq $((ms / 1000)) ] || fail "history time $iso is not time_ms $ms in UTC"
    action=$(jq -r ".history[$i].action" <<<"$sj")
    node=$(jq -r ".history[$i].node" <<<"$sj")
    grep -qE "^  $(local_of $((ms / 1000)))  $action +[a-z_]+ +[^ ]+ +$node \($(name_of "$node")\)" <<<"$show" ||
        fail "show has no history line '$action' at $(local_of $((ms / 1000))) by $node with its name: $show"
done
jq -e --arg c $C '.holder == $c and .state == "reported" and .category == "urban/roads" and
    .holder_name == "三井街道第一社区" and .category_name == "城管/道路设施" and
    (.deadlines.accept | test("Z$"))' <<<"$sj" >/dev/null || fail "show --json: $sj"
log "show: names, and local times 8 h ahead of the JSON's UTC ($created)"

# watch: the readable line of the report, in local time, with names.
wait_until 5 "the JSON watch saw the report" has_event "$HOME_DIR/watch.json" reported $G1 "$case_id"
wait_until 5 "the readable watch saw the report" grep -q "reported .*$case_id" "$W"
ev=$(events "$HOME_DIR/watch.json" reported $G1 "$case_id")
ev_ms=$(jq -r .time_ms <<<"$ev")
clock="$(local_of $((ev_ms / 1000)) %H:%M:%S).$(printf %03d $((ev_ms % 1000)))"
line=$(grep "reported .*$case_id" "$W")
[[ "$line" == "$clock  reported "* ]] || fail "the watch line does not start with the local time $clock: $line"
for want in "$G1 ($(name_of $G1))" "-> $C ($(name_of $C))" "urban/roads (城管/道路设施)" "reported 已上报"; do
    grep -qF -- "$want" <<<"$line" || fail "the watch line does not say '$want': $line"
done
jq -e --arg c "$case_id" --arg h $C '.case_id == $c and .state == "reported" and .holder == $h and .seq >= 1 and
    (.time | test("^[0-9-]{10}T[0-9:.]{12}Z$")) and .node_name == "三井街道第一社区第1网格"' <<<"$ev" >/dev/null ||
    fail "watch --json event: $ev"
[ "$(date -u -d "$(jq -r .time <<<"$ev")" +%s)" -eq $((ev_ms / 1000)) ] || fail "watch --json time is not UTC: $ev"
log "watch: $line"

# list: Chinese in several columns of different widths, still lined up.
gl submit --node $G2 --category services/elderly --text "独居老人走访 302室" >/dev/null
gl request --node $D --community $C --category urban/lighting --text "楼下路灯不亮" >/dev/null
gl act --node $C "$case_id" accept >/dev/null
n_at_c() { [ "$(gl list --node $C --json | jq length)" -eq 3 ]; }
wait_until 5 "three cases at $C" n_at_c
lj=$(gl list --node $C --json)
jq -e --arg c $C 'all(.[]; .holder == $c and (.id | length) > 0 and (.state | length) > 0 and
    .holder_name == "三井街道第一社区" and (.category_name | length) > 0)' <<<"$lj" >/dev/null ||
    fail "list --json: $lj"
list=$(gl list --node $C)
[ "$(wc -l <<<"$list")" -eq 3 ] || fail "list printed not 3 lines: $list"
# Each column starts at the same display column on every line: the
# holder, the category and the text.
for col in holder category text; do
    starts=""
    while IFS= read -r l; do
        id=${l%% *}
        case $col in
        holder) at="$C (" ;;
        category) at=$(jq -r --arg i "$id" '.[] | select(.id == $i) | .category' <<<"$lj") ;;
        text) at=$(jq -r --arg i "$id" '.[] | select(.id == $i) | .text' <<<"$lj") ;;
        esac
        [[ "$l" == *"$at"* ]] || fail "list line of $id has no '$at': $l"
        starts+="$(columns "${l%%"$at"*}") "
    done <<<"$list"
    [ "$(tr ' ' '\n' <<<"$starts" | sort -u | grep -c .)" -eq 1 ] ||
        fail "list's $col column starts at display columns $starts: $list"
done
for want in "$C (三井街道第一社区)" "urban/roads (城管/道路设施)" "services/elderly (社区服务/养老服务)" \
    "urban/lighting (城管/路灯照明)"; do
    grep -qF -- "$want" <<<"$list" || fail "list does not say '$want': $list"
done
# The same lines without a UTF-8 locale in the environment.
[ "$(LC_ALL=C gl list --node $C)" = "$list" ] || fail "list under LC_ALL=C differs: $(LC_ALL=C gl list --node $C)"
log "list lines up:"$'\n'"$list"

# health without --node: every node of the home, its name, up, and a total.
health=$(gl health) || fail "health of the whole home failed: $health"
for n in $D $T $C $G1 $G2 $DU $DM; do
    parent=up
    [ $n = $D ] && parent=-
    grep -qE "^$n +$(name_of $n) +up +$parent +[0-9]+ +[0-9]+ +[0-9]+$" <<<"$health" ||
        fail "health has no line for $n up with its name: $health"
done
grep -qE "^total: 7 nodes, 7 up, 0 down; 0 parent links down; " <<<"$health" || fail "health's total: $health"
hj=$(gl health --json)
jq -e '(.nodes | length) == 7 and all(.nodes[]; .up == true and (.node_name | length) > 0 and has("outbox_pending")
    and has("dead_letters") and has("cases")) and .liveness.up == 7 and .liveness.share_up == 1' <<<"$hj" >/dev/null ||
    fail "health --json: $hj"
[ "$(jq -r '.nodes[] | select(.node == "xinbei.sanjing.c01") | .node_name' <<<"$hj")" = 三井街道第一社区 ] ||
    fail "health --json names $C: $hj"
# One node's health is the node's JSON, as before.
gl health --node $C | jq -e --arg t $T '.node == "xinbei.sanjing.c01" and .parent == $t and .parent_up == true and
    (.children_up | length) == 2 and has("log_seq") and has("outbox_pending") and .cases >= 3' >/dev/null ||
    fail "health --node $C: $(gl health --node $C)"
log "health: every node up"$'\n'"$health"

# A node that does not answer is down; the others are not held up by it.
g2_pid=$(node_pid $G2)
[ -n "$g2_pid" ] || fail "no process for $G2"
kill -STOP "$g2_pid"
t0=$(now_ms)
rc=0
health=$(gl health --timeout 500) || rc=$?
took=$(($(now_ms) - t0))
kill -CONT "$g2_pid"
[ $rc -eq 1 ] || fail "health exited $rc with $G2 stopped"
grep -qE "^$G2 +$(name_of $G2) +down .*no answer in 500 ms" <<<"$health" || fail "health with $G2 stopped: $health"
grep -qE "^total: 7 nodes, 6 up, 1 down" <<<"$health" || fail "health's total with $G2 stopped: $health"
[ $took -lt 3000 ] || fail "health took $took ms with one node silent for 500 ms"
log "one node stopped: health answered in $took ms"
wait_until 10 "every node answers again" gl health
log "ok"
