# Crashes under load, the short run of the default suite (label "fault",
# about 60 s on a quiet machine): `gridlink up` runs the mini district with
# SLAs long enough that nothing escalates, `gridlink load` submits cases at
# both grids at a moderate rate, and meanwhile every process of the district
# is killed with SIGKILL, each at least twice: a grid, the other grid, the
# community, the township, the district and the broker. `up` restarts them.
# Kills are paced by the load's progress, not by the clock: the K kills
# fall at random points, one within each K-th share of CASES acknowledged
# cases, and the load runs until every kill has landed and CASES cases are
# acknowledged, then it is stopped. So a slow machine makes the test
# longer, never a load that ends before its kills. Then the load generator's
# check, run on what it acknowledged, must find every acknowledged case held
# exactly once and no node logging a report or receipt twice:
# "N acked, N found, 0 lost, 0 duplicated", the same twice. Alongside the
# load, tasks go down and back (lifecycle.sh: the township dispatches to the
# community, which returns it; the township assigns it again; the community
# accepts): each must end with one holder that both copies agree on, returned
# exactly once.
#
# Knobs (environment): CASES (default 5000), RATE (cases/s, default 100),
# KILLS_EACH (default 2). The long run with >= 100 kills is tests/fault/soak.sh.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lifecycle.sh"

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

LC="$HOME_DIR/lifecycle"
mkdir -p "$LC"
lifecycle_drive "$LC" xinbei.sanjing xinbei.sanjing.c01 &
LC_PID=$!
BG_PIDS+=("$LC_PID")

LOAD_OUT="$HOME_DIR/load.out"
LOAD_ERR="$HOME_DIR/load.err"
# Far more cases than needed: the test stops the load (SIGINT) once it is done.
"$GRIDLINK" load --home "$HOME_DIR" --cases $((CASES * 100)) --rate "$RATE" --window 8 --timeout 40 \
    >"$LOAD_OUT" 2>"$LOAD_ERR" &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")
load_running() { kill -0 "$LOAD_PID" 2>/dev/null; }
acked_file() { ls "$HOME_DIR"/load/acked-*.txt 2>/dev/null | head -n1; }
acked_now() {
    local f
    f=$(acked_file)
    if [ -n "$f" ]; then grep -vc '^#' "$f" || true; else echo 0; fi
}
acked_at_least() { load_running && [ "$(acked_now)" -ge "$1" ]; }

# Every target KILLS_EACH times, in a random order.
plan=()
for _ in $(seq "$KILLS_EACH"); do plan+=("${TARGETS[@]}"); done
mapfile -t plan < <(printf '%s\n' "${plan[@]}" | shuf)

kills=0
for t in "${plan[@]}"; do
    # Kill k of K at a random point of the k-th share of CASES acknowledged.
    at=$(awk -v c="$CASES" -v k=$kills -v n=${#plan[@]} -v r=$RANDOM 'BEGIN { printf "%d", c * (k + 0.1 + 0.8 * r / 32768) / n }')
    wait_progress 60 "$at cases acknowledged before kill $((kills + 1))" acked_now acked_at_least "$at"
    load_running || fail "the load ended after only $kills kills: $(tail -n 3 "$LOAD_ERR")"
    wait_until 60 "$t running again" target_back "$t"
    pid=$(target_pid "$t")
    kill -KILL "$pid" 2>/dev/null || fail "could not kill $t (pid $pid)"
    KILLED[$t]=$pid
    kills=$((kills + 1))
    log "kill $kills/${#plan[@]}: $t (pid $pid) after $(acked_now) acknowledged cases"
done

# up saw every one of them die and restarted it.
died() { [ "$(grep -c 'exited (signal 9)' "$HOME_DIR/up.err")" -ge "$kills" ]; }
wait_until 5 "up reports $kills processes killed" died
for t in "${TARGETS[@]}"; do
    wait_until 60 "$t restarted" target_back "$t"
done
wait_progress 60 "$CASES cases acknowledged" acked_now acked_at_least "$CASES"
touch "$LC/stop"
kill -INT "$LOAD_PID"
wait_until 10 "the load stopped" sh -c "! kill -0 $LOAD_PID"
cat "$LOAD_ERR" >&2
grep -q "interrupted" "$LOAD_ERR" || fail "the load did not stop on SIGINT: $(tail -n 3 "$LOAD_ERR")"

# The check, alone, on the acked file (one ID a line), twice: the same verdict.
file=$(acked_file)
line=$("$GRIDLINK" load --home "$HOME_DIR" --check-only "$file" --timeout 40 2>"$HOME_DIR/check.err") ||
    { cat "$HOME_DIR/check.err" >&2; fail "the check failed: $line"; }
cat "$HOME_DIR/check.err" >&2
log "load: $line"
[[ "$line" =~ ^([0-9]+)\ acked,\ ([0-9]+)\ found,\ 0\ lost,\ 0\ duplicated$ ]] || fail "unexpected summary: '$line'"
acked=${BASH_REMATCH[1]}
[ "$acked" -ge "$CASES" ] && [ "${BASH_REMATCH[2]}" -eq "$acked" ] ||
    fail "expected at least $CASES acked and as many found: '$line'"
[ "$(grep -vc '^#' "$file")" -eq "$acked" ] || fail "$file does not list $acked IDs"
again=$("$GRIDLINK" load --home "$HOME_DIR" --check-only "$file" --timeout 20 2>/dev/null) ||
    fail "the second check failed: $again"
[ "$again" = "$line" ] || fail "the second check says '$again', the first said '$line'"
wait_until 130 "the task traffic stopped" sh -c "! kill -0 $LC_PID"
lc=$(lifecycle_check "$LC" xinbei.sanjing) || fail "$lc"
log "$lc"
[[ "$lc" =~ \(([0-9]+)\ through ]] && [ "${BASH_REMATCH[1]}" -ge 3 ] || fail "too few tasks went down and back: $lc"
log "ok: $kills kills, $line; $lc"
