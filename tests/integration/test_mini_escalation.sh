# A case reported at a grid reaches its community within a second, climbs to
# the township and then the district as each acceptance deadline passes, and
# a watcher started beforehand sees every step on time.
source "$(dirname "$0")/lib.sh"

start_up "$MINI"
start_watch "$HOME_DIR/watch.json"

t0=$(now_ms)
case_id=$("$GRIDLINK" submit --home "$HOME_DIR" --node xinbei.sanjing.c01.g1 --category urban/roads --text "路面塌陷")
t1=$(now_ms)
[[ "$case_id" =~ ^xinbei\.sanjing\.c01\.g1-[0-9]+$ ]] || fail "submit printed '$case_id', not a case ID"
[ $((t1 - t0)) -lt 1000 ] || fail "submit took $((t1 - t0)) ms"
log "submitted $case_id in $((t1 - t0)) ms"

holder() { "$GRIDLINK" show --home "$HOME_DIR" --node "$1" "$case_id" --json | jq -r .holder; }
holds() { [ "$(holder "$1")" = "$2" ]; }
wait_until 2 "community holds the case" holds xinbei.sanjing.c01 xinbei.sanjing.c01
show=$("$GRIDLINK" show --home "$HOME_DIR" --node xinbei.sanjing.c01 "$case_id" --json)
[ "$(jq -r .state <<<"$show")" = reported ] || fail "state at community: $(jq -r .state <<<"$show")"
[ "$(jq '.history | length' <<<"$show")" -eq 2 ] || fail "history at community: $show"
accept_due=$(jq -r .accept_due_ms <<<"$show")

W="$HOME_DIR/watch.json"
wait_until 8 "escalation community -> township" has_event "$W" escalated xinbei.sanjing.c01 "$case_id"
wait_until 8 "escalation township -> district" has_event "$W" escalated xinbei.sanjing "$case_id"
wait_until 5 "district receives" has_event "$W" received xinbei "$case_id"
wait_until 8 "district overdue alarm" has_event "$W" overdue xinbei "$case_id"

# Every step was seen once, and the first escalation came on its deadline.
for step in "reported xinbei.sanjing.c01.g1" "received xinbei.sanjing.c01" "escalated xinbei.sanjing.c01" \
    "received xinbei.sanjing" "escalated xinbei.sanjing" "received xinbei"; do
    set -- $step
    n=$(count_events "$W" "$1" "$2" "$case_id")
    [ "$n" -eq 1 ] || fail "watch saw $n '$1' events at $2"
done
esc_ms=$(events "$W" escalated xinbei.sanjing.c01 "$case_id" | jq .time_ms)
late=$((esc_ms - accept_due))
[ $late -ge 0 ] && [ $late -lt 1000 ] || fail "escalation fired ${late} ms after its deadline"
log "escalated ${late} ms after the deadline"

[ "$(holder xinbei)" = xinbei ] || fail "district does not hold the case"
# The news travelled back down to the grid that reported it.
wait_until 5 "grid sees the district holding its case" holds xinbei.sanjing.c01.g1 xinbei

# Acting: the district accepts and resolves; illegal steps are refused.
"$GRIDLINK" act --home "$HOME_DIR" --node xinbei "$case_id" accept --note "区中心受理" >/dev/null
if "$GRIDLINK" act --home "$HOME_DIR" --node xinbei "$case_id" close 2>"$HOME_DIR/err"; then
    fail "closing an accepted (unresolved) case was allowed"
fi
grep -q "cannot close" "$HOME_DIR/err" || fail "unclear refusal: $(cat "$HOME_DIR/err")"
if "$GRIDLINK" act --home "$HOME_DIR" --node xinbei.sanjing "$case_id" resolve 2>"$HOME_DIR/err"; then
    fail "a node that does not hold the case acted on it"
fi
"$GRIDLINK" act --home "$HOME_DIR" --node xinbei "$case_id" resolve >/dev/null
wait_until 5 "resolution reaches the grid" \
    sh -c "'$GRIDLINK' show --home '$HOME_DIR' --node xinbei.sanjing.c01.g1 '$case_id' --json | jq -e '.state==\"resolved\"'"

# Errors are one line on stderr with a non-zero exit.
for bad in "show --node nowhere $case_id" "show --node xinbei.sanjing.c01 xinbei.sanjing.c01.g1-999999" \
    "act --node xinbei $case_id fly"; do
    if "$GRIDLINK" $bad --home "$HOME_DIR" 2>"$HOME_DIR/err"; then fail "'$bad' succeeded"; fi
    [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] || fail "'$bad' error is not one line: $(cat "$HOME_DIR/err")"
done
log "ok"
