# soak.sh: the long crash soak. Not part of the default suite (CTest does not
# run it: only tests/fault/test_*.sh are registered). Run it by hand from a
# build directory:
#
#   GL_BIN=$PWD GL_SRC=/path/to/gridlink bash "$GL_SRC/tests/fault/soak.sh"
#
# It runs a generated district (TOWNSHIPS townships x COMMUNITIES communities
# x GRIDS grids, one process per node under `gridlink up`, SLAs of hours so
# that nothing escalates) while `gridlink load` submits CASES cases at RATE
# per second over all grids, and SIGKILLs a process every few seconds (a
# random interval around the load's length / KILLS) until KILLS kills have
# landed: each time it picks a tier at random (grid, community, township,
# district or the broker) among those with a process up for at least MIN_UP
# seconds (so `up` restarts it after 1 s instead of backing off), and kills
# that tier's longest-running process. At the end the load generator's
# check must say "CASES acked, CASES found, 0 lost, 0 duplicated". All the
# while the first township sends tasks down to its communities and back
# (lifecycle.sh); each must end with one holder, returned exactly once.
#
# Environment (defaults): KILLS (100), CASES (100000), RATE (200 cases/s),
# WINDOW (8 in flight per grid), TOWNSHIPS (3), COMMUNITIES (2), GRIDS (2),
# MIN_UP (61 s), SOAK_KEEP=DIR (copy the acked IDs, load output and node
# logs there at the end, whatever the outcome). With the defaults the load
# lasts about 500 s and the whole run about 9 minutes on 2 cores; kills can
# only start once processes have been up for MIN_UP, so keep
# CASES / RATE above MIN_UP + KILLS * 4 s or the load ends too early (the
# soak then fails and says so).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lifecycle.sh"

KILLS=${KILLS:-100}
CASES=${CASES:-100000}
RATE=${RATE:-200}
WINDOW=${WINDOW:-8}
TOWNSHIPS=${TOWNSHIPS:-3}
COMMUNITIES=${COMMUNITIES:-2}
GRIDS=${GRIDS:-2}
MIN_UP=${MIN_UP:-61}

# Keep the evidence before lib.sh's cleanup removes the home.
soak_exit() {
    local rc=$?
    if [ -n "${SOAK_KEEP:-}" ]; then
        mkdir -p "$SOAK_KEEP" &&
            cp -r "$HOME_DIR/load" "$HOME_DIR/log" "$HOME_DIR"/load.* "$HOME_DIR/kills.txt" "$SOAK_KEEP/" 2>/dev/null
        log "kept the acked IDs, load output and logs in $SOAK_KEEP"
    fi
    (exit $rc)
    cleanup
}
trap soak_exit EXIT

# The district: xinbei, xinbei.tN, xinbei.tN.cM, xinbei.tN.cM.gK.
TOPO="$HOME_DIR/soak-topology.json"
jq -n --argjson t "$TOWNSHIPS" --argjson c "$COMMUNITIES" --argjson g "$GRIDS" '
  def node(id; tier): {id: id, tier: tier, name: id};
  {name: "soak", listen_host: "127.0.0.1", port_base: 17300, community_tasks: ["services"],
   sla: [{tier: "grid", accept_s: 0, resolve_s: 0},
         {tier: "community", accept_s: 36000, resolve_s: 72000},
         {tier: "township", accept_s: 36000, resolve_s: 72000},
         {tier: "district", accept_s: 36000, resolve_s: 72000}],
   nodes: ([node("xinbei"; "district")] +
           [range(1; $t + 1) as $i | "xinbei.t\($i)" as $ti |
             ([node($ti; "township")] +
              [range(1; $c + 1) as $j | "\($ti).c\($j)" as $cj |
                ([node($cj; "community")] + [range(1; $g + 1) as $k | node("\($cj).g\($k)"; "grid")])] | flatten)]
           | flatten)}' >"$TOPO"
start_up "$TOPO"
N_NODES=$(jq '.nodes | length' "$TOPO")
log "district of $N_NODES nodes up; load: $CASES cases at $RATE/s, $KILLS kills"

# "ID TIER" of every process to kill: the nodes, and the broker.
TIERS_FILE="$HOME_DIR/tiers.txt"
{ jq -r '.nodes[] | "\(.id) \(.tier)"' "$TOPO"; echo "broker broker"; } >"$TIERS_FILE"

# pick: "TARGET PID TIER": the longest-running process of a random tier,
# among the tiers that have a process up for MIN_UP seconds; nothing if none
# has. One ps for all, so picking stays quick on a busy machine.
pick() {
    ps -eo pid=,etimes=,args= | awk -v home="$HOME_DIR" -v min="$MIN_UP" -v seed="$RANDOM" '
        NR == FNR { tier[$1] = $2; next }
        $5 != home || $4 != "--home" { next }
        $3 ~ /(^|\/)gridlink-node$/ && $6 == "--node" && NF >= 7 { id = $7 }
        $3 ~ /(^|\/)gridlink-broker$/ && NF == 5 { id = "broker" }
        !(id in tier) || $2 < min { id = ""; next }
        { t = tier[id]; if (!(t in up) || $2 > up[t]) { up[t] = $2; who[t] = id " " $1 " " t } id = "" }
        END {
            n = 0
            for (t in who) names[n++] = t
            if (n == 0) exit
            srand(seed)
            print who[names[int(rand() * n)]]
        }' "$TIERS_FILE" -
}

# Tasks down and back from the first township to its communities, all along.
LC="$HOME_DIR/lifecycle"
mkdir -p "$LC"
mapfile -t LC_COMS < <(jq -r '.nodes[] | select(.tier=="community" and (.id | startswith("xinbei.t1."))) | .id' "$TOPO")
lifecycle_drive "$LC" xinbei.t1 "${LC_COMS[@]}" &
LC_PID=$!
BG_PIDS+=("$LC_PID")

LOAD_OUT="$HOME_DIR/load.out"
LOAD_ERR="$HOME_DIR/load.err"
"$GRIDLINK" load --home "$HOME_DIR" --cases "$CASES" --rate "$RATE" --window "$WINDOW" --timeout 120 \
    >"$LOAD_OUT" 2>"$LOAD_ERR" &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")
load_running() { kill -0 "$LOAD_PID" 2>/dev/null; }
t0=$(date +%s)

# Kills are spread over the load, after the first MIN_UP seconds in which no
# process is old enough, and done by the time 90% of it has passed (its
# expected end is known from CASES and RATE). Each wait is random, 0.5 to 1.5
# times the mean that spreads the kills left evenly over the time left, and
# is measured from the previous kill so that the time spent picking does
# not add up.
end_ms=$(($(date +%s%3N) + CASES * 1000 / RATE * 9 / 10))
[ $((CASES / RATE * 9 / 10)) -gt "$MIN_UP" ] || fail "the load ($((CASES / RATE)) s) is too short for MIN_UP ($MIN_UP s)"
: >"$HOME_DIR/kills.txt"
kills=0
next_ms=$(($(date +%s%3N) + MIN_UP * 1000))
while [ "$kills" -lt "$KILLS" ]; do
    load_running || fail "the load ended after only $kills of $KILLS kills (raise CASES or lower RATE); it said: $(cat "$LOAD_OUT")"
    now=$(date +%s%3N)
    # The deliberate random wait until the next kill.
    [ "$next_ms" -gt "$now" ] && sleep "$(awk -v ms=$((next_ms - now)) 'BEGIN { printf "%.3f", ms / 1000 }')"
    choice=$(pick)
    while [ -z "$choice" ]; do
        load_running || fail "the load ended after only $kills of $KILLS kills; it said: $(cat "$LOAD_OUT")"
        sleep 0.2
        choice=$(pick)
    done
    read -r t pid tier <<<"$choice"
    kill -KILL "$pid" 2>/dev/null || continue # it died on its own meanwhile: pick again
    kills=$((kills + 1))
    now=$(date +%s%3N)
    echo "$(((now - t0 * 1000) / 1000)) $tier $t $pid" >>"$HOME_DIR/kills.txt"
    [ $((kills % 10)) -eq 0 ] && log "kill $kills/$KILLS at $(((now - t0 * 1000) / 1000)) s: $t (pid $pid); $(tail -n 1 "$LOAD_ERR")"
    left=$((KILLS - kills))
    [ "$left" -gt 0 ] || break
    # 1.5 times the mean still lands the last kill before end_ms.
    mean=$(((end_ms - now) * 2 / (2 * left + 1)))
    [ "$mean" -ge 200 ] || mean=200
    next_ms=$((now + mean * (16384 + RANDOM) / 32768))
done
load_running || fail "the load ended before the last kill landed; it said: $(cat "$LOAD_OUT")"
log "all $kills kills landed after $(($(date +%s) - t0)) s; per tier: $(awk '{n[$2]++} END {for (t in n) printf "%s %d, ", t, n[t]}' "$HOME_DIR/kills.txt")"

died() { [ "$(grep -c 'exited (signal 9)' "$HOME_DIR/up.err")" -ge "$kills" ]; }
wait_until 10 "up reports $kills processes killed" died

touch "$LC/stop"
wait_until 130 "the task traffic stopped" sh -c "! kill -0 $LC_PID"
load_rc=0
wait "$LOAD_PID" || load_rc=$?
grep -v '/[0-9]* acked after' "$LOAD_ERR" >&2 || true
line=$(cat "$LOAD_OUT")
log "load: $line"
[ "$load_rc" -eq 0 ] || fail "gridlink load exited with $load_rc: $line"
[[ "$line" =~ ^([0-9]+)\ acked,\ ([0-9]+)\ found,\ 0\ lost,\ 0\ duplicated$ ]] || fail "unexpected summary: '$line'"
[ "${BASH_REMATCH[1]}" -ge "$CASES" ] && [ "${BASH_REMATCH[2]}" -eq "${BASH_REMATCH[1]}" ] ||
    fail "expected $CASES acked and as many found: '$line'"
lc=$(lifecycle_check "$LC" xinbei.t1) || fail "$lc"
log "$lc"
log "ok: $kills kills in $(($(date +%s) - t0)) s, $line; $lc"
