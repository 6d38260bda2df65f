# lifecycle.sh: case traffic that goes down the tree and back, for the
# fault tests and the soak to mix in with `gridlink load`'s reports. Sourced
# after lib.sh.
#
# lifecycle_drive DIR DISPATCHER COMMUNITY...: until DIR/stop exists, take
# the communities in turn: DISPATCHER dispatches a task to the community, the
# community returns it (not-ours), DISPATCHER assigns it to the community
# again, the community accepts it. Every step is retried until the stores
# say it happened (processes are being killed meanwhile: a reply can be lost
# after its commit, and a step retried after that is refused by the state it
# left). DIR/tasks gets "ID COMMUNITY" for every dispatch that printed an ID,
# DIR/done the IDs that went through all four steps.
#
# lifecycle_check DIR DISPATCHER: every task in DIR/tasks exists at the
# dispatcher and at its community, both copies come to agree on holder and
# version, exactly one of them holds it, and every task in DIR/done was returned
# exactly once (counters.returns and the returned entries of its history)
# and received twice by the community. Prints one line:
# "lifecycle: N tasks (M through every step), 0 lost, 0 duplicated".

lc_gl() { "$GRIDLINK" "$@" --home "$HOME_DIR" --timeout 2000 2>/dev/null; }
lc_field() { lc_gl show --node "$1" "$2" --json | jq -r "$3" 2>/dev/null; }

# lc_until SECONDS CMD...: retry CMD (a step, then its check) until the check passes.
lc_until() {
    local secs=$1
    shift
    local deadline=$(($(date +%s) + secs))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        [ -e "$LC_DIR/stop" ] && return 1
        sleep 0.2
    done
}

lc_holds() { [ "$(lc_field "$1" "$2" .holder)" = "$3" ] && [ "$(lc_field "$1" "$2" .state)" = "$4" ]; }
lc_return() {
    lc_gl act --node "$2" "$1" return --reason not-ours --note "非本社区事项" >/dev/null
    lc_holds "$3" "$1" "$3" returned
}
lc_assign() {
    lc_gl act --node "$3" "$1" assign --to "$2" >/dev/null
    lc_holds "$2" "$1" "$2" assigned
}
lc_accept() {
    lc_gl act --node "$2" "$1" accept >/dev/null
    lc_holds "$2" "$1" "$2" accepted
}

lifecycle_drive() {
    LC_DIR=$1
    local from=$2
    shift 2
    local coms=("$@") k=0
    : >"$LC_DIR/tasks"
    : >"$LC_DIR/done"
    while [ ! -e "$LC_DIR/stop" ]; do
        local to=${coms[$((k % ${#coms[@]}))]}
        k=$((k + 1))
        local id
        id=$(lc_gl dispatch --node "$from" --to "$to" --category services/elderly --text "探访独居老人 $k") || {
            sleep 0.5
            continue
        }
        echo "$id $to" >>"$LC_DIR/tasks"
        lc_until 120 lc_holds "$to" "$id" "$to" assigned || continue
        lc_until 120 lc_return "$id" "$to" "$from" || continue
        lc_until 120 lc_assign "$id" "$to" "$from" || continue
        lc_until 120 lc_accept "$id" "$to" || continue
        echo "$id" >>"$LC_DIR/done"
    done
}

lifecycle_check() {
    local dir=$1 from=$2 n=0 full=0 lost=0 dup=0 id to
    while read -r id to; do
        n=$((n + 1))
        local a b
        a=$(lc_gl show --node "$from" "$id" --json) || a=""
        b=$(lc_gl show --node "$to" "$id" --json) || b=""
        if [ -z "$a" ]; then
            lost=$((lost + 1))
            log "lifecycle: task $id is not at $from"
            continue
        fi
        if [ -z "$b" ]; then
            # Never delivered would be a loss; the dispatch is durable at once.
            lost=$((lost + 1))
            log "lifecycle: task $id never reached $to"
            continue
        fi
        # The drive may have stopped just after a step's commit, before its
        # status reached the other end: the copies must agree within 20 s.
        local ha hb va vb tries=0
        while :; do
            ha=$(jq -r .holder <<<"$a") hb=$(jq -r .holder <<<"$b")
            va=$(jq -r .version <<<"$a") vb=$(jq -r .version <<<"$b")
            { [ "$ha" = "$hb" ] && [ "$va" = "$vb" ]; } || [ "$tries" -ge 100 ] && break
            tries=$((tries + 1))
            sleep 0.2
            a=$(lc_gl show --node "$from" "$id" --json) || a=""
            b=$(lc_gl show --node "$to" "$id" --json) || b=""
        done
        if [ "$ha" != "$hb" ] || [ "$va" != "$vb" ]; then
            dup=$((dup + 1))
            log "lifecycle: task $id: $from says $ha v$va, $to says $hb v$vb"
        fi
        if grep -qx "$id" "$dir/done"; then
            full=$((full + 1))
            local returns entries received
            returns=$(jq -r '.counters.returns // 0' <<<"$b")
            entries=$(jq '[.history[] | select(.action=="returned")] | length' <<<"$b")
            received=$(jq --arg n "$to" '[.history[] | select(.action=="received" and .node==$n)] | length' <<<"$b")
            if [ "$returns" != 1 ] || [ "$entries" != 1 ] || [ "$received" != 2 ]; then
                dup=$((dup + 1))
                log "lifecycle: task $id returned $returns times ($entries entries), received $received times at $to"
            fi
        fi
    done <"$dir/tasks"
    echo "lifecycle: $n tasks ($full through every step), $lost lost, $dup duplicated"
    [ "$lost" -eq 0 ] && [ "$dup" -eq 0 ]
}
