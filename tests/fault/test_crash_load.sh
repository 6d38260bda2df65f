# Crashes under load, the short run of the default suite (label "fault",
# about 60 s): `gridlink up` runs the mini district with SLAs long enough
# that nothing escalates, `gridlink load` submits cases at both grids at a
# moderate rate, and meanwhile every process of the district is killed with
# SIGKILL at random moments, each at least twice: a grid, the other grid,
# the community, the township, the district and the broker. `up` restarts
# them. Then the load generator's own check must find every acknowledged
# case held exactly once and no node logging a report or receipt twice:
# "N acked, N found, 0 lost, 0 duplicated".
#
# Knobs (environment): CASES (default 5000), RATE (cases/s, default 100),
# KILLS_EACH (default 2). The long run with >= 100 kills is tests/fault/soak.sh.
source "$(dirname "$0")/../integration/lib.sh"

CASES=${CASES:-5000}
RATE=${RATE:-100}
KILLS_EACH=${KILLS_EACH:-2}
GRIDS=(xinbei.sanjing.c01.g1 xinbei.sanjing.c01.g2)

TARGETS=("${GRIDS[@]}" xinbei.sanjing.c01 xinbei.sanjing xinbei broker)

# The mini topology with acceptance and resolution deadlines of hours, so
# every case stays where it was reported to for the whole run.
TOPO="$HOME_DIR/mini-long-sla.json"
jq '.sla |= map(if .tier == "grid" then . else .accept_s = 3600 | .resolve_s = 7200 end)' "$MINI" >"$TOPO"
start_up "$TOPO"

target_pid() {
    if [ "$1" = broker ]; then
        pgrep -f -- "gridlink-broker --home $HOME_DIR( |\$)" | head -n1
    else
        node_pid "$1"
    fi
}
declare -A KILLED=() # target -> the pid it was last killed as
# target_back T: T runs again, as a process other than the one last killed.
target_back() {
    local p
    p=$(target_pid "$1")
    [ -n "$p" ] && [ "$p" != "${KILLED[$1]:-}" ]
}

LOAD_OUT="$HOME_DIR/load.out"
LOAD_ERR="$HOME_DIR/load.err"
"$GRIDLINK" load --home "$HOME_DIR" --cases "$CASES" --rate "$RATE" --window 8 --timeout 40 \
    >"$LOAD_OUT" 2>"$LOAD_ERR" &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")
load_running() { kill -0 "$LOAD_PID" 2>/dev/null; }

# Every target KILLS_EACH times, in a random order.
plan=()
for _ in $(seq "$KILLS_EACH"); do plan+=("${TARGETS[@]}"); done
mapfile -t plan < <(printf '%s\n' "${plan[@]}" | shuf)

kills=0
for t in "${plan[@]}"; do
    # The deliberate random interval between kills: 0.4 to 2 s.
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.4 + 1.6 * r / 32768 }')"
    load_running || fail "the load ended after only $kills kills: $(tail -n 3 "$LOAD_ERR")"
    wait_until 40 "$t running again" target_back "$t"
    pid=$(target_pid "$t")
    kill -KILL "$pid" 2>/dev/null || fail "could not kill $t (pid $pid)"
    KILLED[$t]=$pid
    kills=$((kills + 1))
    log "kill $kills/${#plan[@]}: $t (pid $pid)"
done
load_running || fail "the load ended before the last kill landed: $(tail -n 3 "$LOAD_ERR")"

# up saw every one of them die and restarted it.
died() { [ "$(grep -c 'exited (signal 9)' "$HOME_DIR/up.err")" -ge "$kills" ]; }
wait_until 5 "up reports $kills processes killed" died
for t in "${TARGETS[@]}"; do
    wait_until 40 "$t restarted" target_back "$t"
done

load_rc=0
wait "$LOAD_PID" || load_rc=$?
cat "$LOAD_ERR" >&2
line=$(cat "$LOAD_OUT")
log "load: $line"
[ "$load_rc" -eq 0 ] || fail "gridlink load exited with $load_rc: $line"
[[ "$line" =~ ^([0-9]+)\ acked,\ ([0-9]+)\ found,\ 0\ lost,\ 0\ duplicated$ ]] || fail "unexpected summary: '$line'"
acked=${BASH_REMATCH[1]}
[ "$acked" -ge "$CASES" ] && [ "${BASH_REMATCH[2]}" -eq "$acked" ] ||
    fail "expected $CASES acked and as many found: '$line'"

# The acked file is what the check read: one ID a line.
acked_file=$(ls "$HOME_DIR"/load/acked-*.txt)
[ "$(grep -vc '^#' "$acked_file")" -eq "$acked" ] || fail "$acked_file does not list $acked IDs"
# Running the check alone on it gives the same verdict.
again=$("$GRIDLINK" load --home "$HOME_DIR" --check-only "$acked_file" --timeout 20 2>/dev/null) ||
    fail "--check-only failed: $again"
[ "$again" = "$line" ] || fail "--check-only says '$again', the run said '$line'"
log "ok: $kills kills, $line"
