# Every command checks what it is given: a bad number, a missing or empty
# argument, an unknown option or one the command does not take, an unknown
# node, action or kind is refused before anything is sent, with one line on
# stderr that says what is wrong and exit status 2. And a node answers a
# request the CLI would refuse (an act with an empty case ID, an unknown
# operation) with an error instead of leaving the client waiting.
source "$(dirname "$0")/lib.sh"
CTLRAW="$GL_BIN/tests/gl_ctlraw"

# Deadlines of hours: the case stays at the community for the whole test.
TOPO="$HOME_DIR/long-sla.json"
jq '.sla |= map(if .tier == "grid" then . else .accept_s = 3600 | .resolve_s = 7200 end)' "$MINI" >"$TOPO"
start_up "$TOPO"
C=xinbei.sanjing.c01
G=$C.g1
case_id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $G --category urban/roads --text "路灯不亮")
wait_until 5 "the community holds $case_id" "$GRIDLINK" show --home "$HOME_DIR" --node $C "$case_id"
H=(--home "$HOME_DIR")
checked=0

# usage WANT ARGS...: gridlink ARGS exits 2 and its stderr (one line,
# "gridlink CMD: ...") contains WANT.
usage() {
    local want=$1
    shift
    local rc=0
    "$GRIDLINK" "$@" >"$HOME_DIR/out" 2>"$HOME_DIR/err" </dev/null || rc=$?
    [ "$rc" -eq 2 ] || fail "gridlink $* exited $rc, not 2: $(cat "$HOME_DIR/err")"
    grep -qF -- "$want" "$HOME_DIR/err" || fail "gridlink $*: stderr '$(cat "$HOME_DIR/err")' does not say '$want'"
    [ ! -s "$HOME_DIR/out" ] || fail "gridlink $* printed on stdout: $(cat "$HOME_DIR/out")"
    [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] || fail "gridlink $*: stderr is not one line: $(cat "$HOME_DIR/err")"
    checked=$((checked + 1))
}

# The case commands.
usage "the case ID is empty" act "${H[@]}" --node $C "" accept
usage "'nonsense' is not a case ID" act "${H[@]}" --node $C nonsense accept
usage "unknown action 'frobnicate'" act "${H[@]}" --node $C "$case_id" frobnicate
usage "missing argument" act "${H[@]}" --node $C "$case_id"
usage "unexpected argument 'extra'" act "${H[@]}" --node $C "$case_id" accept extra
usage "--priority is not an option of act" act "${H[@]}" --node $C "$case_id" accept --priority urgent
usage "missing argument" show "${H[@]}" --node $C
usage "the case ID is empty" show "${H[@]}" --node $C ""
for bad in abc 0 -5 5x "" 99999999999 600001 " 7" +7; do
    usage "--timeout takes a whole number from 1 to 600000, not '$bad'" list "${H[@]}" --node $C --timeout "$bad"
done
usage "unknown option '--bogus'" list "${H[@]}" --node $C --bogus
usage "unknown option '-x'" list "${H[@]}" --node $C -x
usage "option '--timeout' needs a value" list "${H[@]}" --node $C --timeout
usage "--text is not an option of list" list "${H[@]}" --node $C --text hello
usage "--node NODE_ID is required" list "${H[@]}"
usage "--node NODE_ID is required" list "${H[@]}" --node ""
usage "'Bad Node' is not a node ID" list "${H[@]}" --node "Bad Node"
usage "unknown node xinbei.nowhere" list "${H[@]}" --node xinbei.nowhere
usage "unexpected argument 'extra'" list "${H[@]}" --node $C extra
usage "unexpected argument 'extra'" health "${H[@]}" --node $C extra
usage "--category and --text are required" submit "${H[@]}" --node $G --category urban
usage "--category and --text are required" submit "${H[@]}" --node $G --category urban --text ""
usage "unknown priority 'high'" submit "${H[@]}" --node $G --category c --text t --priority high
usage "unknown kind 'rumour'" submit "${H[@]}" --node $G --category c --text t --kind rumour
usage "unexpected argument 'extra'" submit "${H[@]}" --node $G --category c --text t extra

# The work commands: request, dispatch, rate, and act's options.
D=xinbei
T=xinbei.sanjing
usage "a location is --lat and --lon together" request "${H[@]}" --node $D --category urban/lighting --text "路灯不亮" --lat 31.87
usage "--lat takes degrees from -90 to 90 (WGS 84), not '91'" request "${H[@]}" --node $D --category c --text t --lat 91 --lon 120
usage "--lon takes degrees from -180 to 180 (WGS 84), not '12o'" request "${H[@]}" --node $D --category c --text t --lat 31 --lon 12o
usage "name the departments called: --to DEPT[,DEPT...]" whistle "${H[@]}" --node $T --category c --text t --report-within 30m
usage "give the time to report in (报到): --report-within DUR" whistle "${H[@]}" --node $T --category c --text t --to xinbei.urban
usage "--to: unknown node xinbei.nowhere" whistle "${H[@]}" --node $T --category c --text t --to xinbei.urban,xinbei.nowhere --report-within 30m
usage "--to takes a node ID, not ''" whistle "${H[@]}" --node $T --category c --text t --to xinbei.urban,,xinbei.urban --report-within 30m
usage "--community: unknown node xinbei.nowhere" request "${H[@]}" --node $D --category c --text t --community xinbei.nowhere
usage "--community takes a node ID, not ''" request "${H[@]}" --node $D --category c --text t --community ""
usage "--category and --text are required" request "${H[@]}" --node $D --community $C --text t
usage "--to is not an option of request" request "${H[@]}" --node $D --category c --text t --community $C --to $C
for bad in maybe YES 1 ""; do
    usage "--resolved takes yes or no, not '$bad'" rate "${H[@]}" --node $C "$case_id" --resolved "$bad" --satisfied yes
done
usage "--satisfied takes yes or no, not 'very'" rate "${H[@]}" --node $C "$case_id" --resolved yes --satisfied very
usage "--resolved yes|no and --satisfied yes|no are both required" rate "${H[@]}" --node $C "$case_id" --resolved yes
usage "missing argument" rate "${H[@]}" --node $C --resolved yes --satisfied yes
usage "'nonsense' is not a case ID" rate "${H[@]}" --node $C nonsense --resolved yes --satisfied yes
for bad in abc 0 -5 2x 1.5h "" " 7" 2hh 367d 99999999999999999999; do
    usage "--by takes a duration (90s, 30m, 2h, 3d or seconds) of up to 366d, not '$bad'" \
        act "${H[@]}" --node $C "$case_id" extend --by "$bad"
done
for bad in 0wh 481wh 61wd -2wd xwd; do
    usage "--by takes 1..480 working hours (4wh) or 1..60 working days (2wd), not '$bad'" \
        act "${H[@]}" --node $C "$case_id" extend --by "$bad"
done
usage "--sign-within takes a duration" dispatch "${H[@]}" --node $T --to $C --category c --text t --sign-within 3w
usage "--due takes a duration" dispatch "${H[@]}" --node $T --to $C --category c --text t --due soon
usage "unknown reason 'lazy' (not-ours, wrong-location, info-missing, duplicate, other)" \
    act "${H[@]}" --node $C "$case_id" return --reason lazy
usage "return needs --reason CODE" act "${H[@]}" --node $C "$case_id" return
usage "extend needs --by DURATION" act "${H[@]}" --node $C "$case_id" extend
usage "assign needs --to NODE" act "${H[@]}" --node $C "$case_id" assign
usage "merge needs --into CASE_ID" act "${H[@]}" --node $C "$case_id" merge
usage "'bad' is not a case ID" act "${H[@]}" --node $C "$case_id" merge --into bad
usage "--by goes with extend, not accept" act "${H[@]}" --node $C "$case_id" accept --by 2h
usage "--reason goes with return, not resolve" act "${H[@]}" --node $C "$case_id" resolve --reason other
usage "rate has its own command" act "${H[@]}" --node $C "$case_id" rate
usage "--to: unknown node xinbei.nowhere" act "${H[@]}" --node $C "$case_id" assign --to xinbei.nowhere
usage "give one or the other" dispatch "${H[@]}" --node $T --to $C --under $T --tier community --category c --text t
usage "name the recipients" dispatch "${H[@]}" --node $T --category c --text t
usage "name the recipients" dispatch "${H[@]}" --node $T --under $T --category c --text t
usage "unknown tier 'village'" dispatch "${H[@]}" --node $T --under $T --tier village --category c --text t
usage "--category and --text are required" dispatch "${H[@]}" --node $T --to $C --text t
usage "--community is not an option of dispatch" dispatch "${H[@]}" --node $T --to $C --category c --text t --community $C
usage "unknown state 'lost'" list "${H[@]}" --node $C --state lost
usage "unknown kind 'rumour'" list "${H[@]}" --node $C --kind rumour
usage "--holding is not an option of show" show "${H[@]}" --node $C "$case_id" --holding

# The other commands.
usage "--port-base takes a whole number from 1024 to 65000, not 'abc'" keygen "${H[@]}" --port-base abc
usage "--port-base takes a whole number from 1024 to 65000, not '80'" keygen "${H[@]}" --port-base 80
usage "unexpected argument 'extra'" keygen "${H[@]}" extra
usage "--to DIR is required" provision "${H[@]}" --host-of $C
usage "name what the machine runs" provision "${H[@]}" --to "$HOME_DIR.bundle"
usage "--group is node, community, township or auto, not 'street'" provision "${H[@]}" --group street --host-of $C --to "$HOME_DIR.bundle"
usage "'x..y' is not a node ID" provision "${H[@]}" --host-of x..y --to "$HOME_DIR.bundle"
usage "usage: gridlink topology check FILE" topology check
usage "--interval-ms takes a whole number from 1 to 3600000, not '0'" demo "${H[@]}" --interval-ms 0
usage "--count takes a whole number" watch "${H[@]}" --count abc
usage "--seconds takes a whole number from 0 to 31536000, not '-1'" watch "${H[@]}" --seconds -1
usage "unknown kind 'rumour'" watch "${H[@]}" --kind rumour
usage "'Bad' is not a node path" watch "${H[@]}" --prefix Bad
usage "unexpected argument 'extra'" watch "${H[@]}" extra
usage "--cases takes a whole number from 1 to 100000000, not '0'" load "${H[@]}" --cases 0 --rate 10
usage "--cases takes a whole number" load "${H[@]}" --cases 1e3 --rate 10
usage "--rate takes cases per second" load "${H[@]}" --cases 10 --rate abc
usage "--rate takes cases per second" load "${H[@]}" --cases 10 --rate 0
usage "--window takes a whole number from 1 to 1024, not '0'" load "${H[@]}" --cases 10 --rate 10 --window 0
usage "--timeout takes a whole number from 1 to 86400" load "${H[@]}" --cases 10 --rate 10 --timeout 1s
usage "--request-timeout takes a whole number from 10 to 600000" load "${H[@]}" --cases 10 --rate 10 --request-timeout 5
usage "--cases N and --rate R are required" load "${H[@]}" --cases 10
usage "--check-only checks a file" load "${H[@]}" --check-only "$HOME_DIR/none.txt" --cases 10
usage "--prefix xinbei.nowhere is not a node" load "${H[@]}" --cases 10 --rate 10 --prefix xinbei.nowhere
usage "unexpected argument 'extra'" load "${H[@]}" --cases 10 --rate 10 extra
usage "--runs takes a whole number from 1 to 10, not '0'" bench --runs 0
usage "--district-seconds takes a whole number" bench --district-seconds x
usage "unknown scenario 'nosuch'" bench nosuch
usage "--port-base wants a port number from 1024 to 65000" up --home "$HOME_DIR.up" --port-base 80
usage "--port-base wants a port number from 1024 to 65000" up --home "$HOME_DIR.up" --no-demo --port-base 80
usage "--demo and --no-demo contradict each other" up --home "$HOME_DIR.up" --demo --no-demo
usage "unknown option '--bogus'" up --home "$HOME_DIR.up" --bogus
usage "unexpected argument \"extra\"" up --home "$HOME_DIR.up" --no-demo extra
usage "unknown subcommand 'frob'" archive frob "${H[@]}" --node $C
usage "give list, cat, show or prune" archive "${H[@]}" --node $C
usage "give --node NODE_ID" archive list "${H[@]}"
usage "xinbei.nowhere is not a node" archive list "${H[@]}" --node xinbei.nowhere
usage "give one CASE_ID" archive show "${H[@]}" --node $C
usage "'nonsense' is not a case ID" archive show "${H[@]}" --node $C nonsense
usage "--month YYYY-MM goes with cat" archive cat "${H[@]}" --node $C --month 2026-13
usage "--month YYYY-MM goes with cat" archive list "${H[@]}" --node $C --month 2026-12
usage "unexpected argument" archive list "${H[@]}" --node $C extra
usage "unknown command 'nosuch'" nosuch
rm -rf "$HOME_DIR.up"
log "$checked bad invocations refused with exit status 2"

# Every command of the table answers --help and -h with its own page on
# stdout and exit status 0, wherever the flag stands among the options, but
# not when it is an option's value.
commands=$("$GRIDLINK" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' | sort -u)
[ "$(wc -w <<<"$commands")" -ge 16 ] || fail "gridlink help lists only: $commands"
for cmd in $commands; do
    for flag in --help -h; do
        rc=0
        "$GRIDLINK" "$cmd" "${H[@]}" $flag >"$HOME_DIR/out" 2>"$HOME_DIR/err" </dev/null || rc=$?
        [ "$rc" -eq 0 ] || fail "gridlink $cmd $flag exited $rc: $(cat "$HOME_DIR/err")"
        grep -q "^usage: gridlink $cmd " "$HOME_DIR/out" || fail "gridlink $cmd $flag: no usage line naming $cmd"
        grep -q "^options:\|takes no options" "$HOME_DIR/out" || fail "gridlink $cmd $flag: no options"
        grep -q "^example" "$HOME_DIR/out" || fail "gridlink $cmd $flag: no example"
        [ ! -s "$HOME_DIR/err" ] || fail "gridlink $cmd $flag wrote on stderr: $(cat "$HOME_DIR/err")"
    done
    "$GRIDLINK" help "$cmd" | grep -q "^usage: gridlink $cmd " || fail "gridlink help $cmd does not show $cmd"
done
"$GRIDLINK" up --home "$HOME_DIR.up" --no-demo --help | grep -qF -- "--no-demo" || fail "up --help has no --no-demo"
"$GRIDLINK" load "${H[@]}" --census-pause 10 --help | grep -qF -- "--census-pause MS" ||
    fail "load --help has no --census-pause"
for out in "$("$GRIDLINK" help)" "$("$GRIDLINK" --help)"; do
    for cmd in $commands; do
        grep -q "^  $cmd " <<<"$out" || fail "gridlink help does not list $cmd"
    done
done
# -h as the value of --text is the text, not a request for help.
usage "--category and --text are required" submit "${H[@]}" --node $G --text -h
log "$(wc -w <<<"$commands") commands answer --help and -h"

# Good invocations still work.
"$GRIDLINK" list "${H[@]}" --node $C --timeout 3000 >/dev/null || fail "a valid list failed"
n=$("$GRIDLINK" list "${H[@]}" --node $C --holding --state reported --kind incident --category urban --json | jq length)
[ "$n" -eq 1 ] || fail "list with filters found $n cases, not 1"
n=$("$GRIDLINK" list "${H[@]}" --node $C --kind task --json | jq length)
[ "$n" -eq 0 ] || fail "list --kind task found $n cases"
"$GRIDLINK" show "${H[@]}" --node $G "$case_id" --json | jq -e ".id == \"$case_id\"" >/dev/null ||
    fail "a valid show failed"

# The node itself answers what the CLI refuses, and still works after it.
expect_answer() {
    local want=$1
    shift
    local out
    out=$("$CTLRAW" "$HOME_DIR" "$@") || fail "no answer from the node to $*: $out"
    [[ "$out" == "code -"*"$want"* ]] || fail "the node answered '$out' to $*, expected an error with '$want'"
    log "node answers $*: $out"
}
expect_answer "act needs a case ID" $C act "" accept
expect_answer "show needs a case ID" $C show ""
expect_answer "'not a case' is not a case ID" $C act "not a case" accept
expect_answer "act needs an action" $C act "$case_id" ""
expect_answer "unknown operation 'drop'" $C drop
"$GRIDLINK" act "${H[@]}" --node $C "$case_id" accept >/dev/null || fail "a valid act after the refusals failed"

# A port base inside the kernel's ephemeral range is refused before anything starts.
read -r elo ehi </proc/sys/net/ipv4/ip_local_port_range
if [ "$ehi" -gt $((elo + 100)) ]; then
    out=$("$GRIDLINK" up --topology "$MINI" --home "$HOME_DIR/eph" --port-base $((elo + 10)) --quiet 2>&1) &&
        fail "up with --port-base $((elo + 10)) started"
    [[ "$out" == *"ephemeral range $elo..$ehi"* ]] || fail "up's refusal: $out"
    [ ! -e "$HOME_DIR/eph/run/up.pid" ] || fail "up wrote its pid before refusing"
    log "a port base in the ephemeral range is refused: ${out##*: }"
fi
log "ok"
