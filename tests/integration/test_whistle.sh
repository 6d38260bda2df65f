# 吹哨报到: the township calls two departments at once, the district's
# urban-management bureau (reached through the district) and its own
# market-regulation office. Each reports in (报到) and works its part; the
# township verifies each, and the whistle closes only when both parts are
# closed; the township rates each department. A department that does not
# report in on time climbs to its superior, counted as a missed sign-for.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
D=xinbei
T=xinbei.sanjing
U=xinbei.urban          # 区城市管理局, under the district
M=xinbei.sanjing.market # 三井街道市场监管所, under the township

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"

w=$(gl whistle --node $T --to $U,$M --category urban/building --text "违建联合执法" --report-within 30m 2>"$HOME_DIR/parts") ||
    fail "the whistle: $(cat "$HOME_DIR/parts")"
mapfile -t parts <"$HOME_DIR/parts"
[ "${#parts[@]}" -eq 2 ] || fail "the whistle printed ${#parts[@]} parts: $(cat "$HOME_DIR/parts")"
pu=${parts[0]} pm=${parts[1]}
expect $T "$w" ".kind == \"whistle\" and .state == \"in_progress\" and .holder == \"$T\" and (.children | length) == 2"
expect $T "$pu" ".holder == \"$U\" and .parent_task == \"$w\" and .state == \"assigned\""
wait_until 5 "$U has its part" case_is $U "$pu" ".holder == \"$U\" and .history[-1].action == \"received\""
wait_until 5 "$M has its part" case_is $M "$pm" ".holder == \"$M\" and .history[-1].action == \"received\""
for p in "$pu" "$pm"; do
    h=$(field $T "$p" .holder)
    expect "$h" "$p" '.accept_due_ms > 0 and .accept_due_ms - .created_ms >= 1800000 and .accept_due_ms - .created_ms < 1810000'
done
expect $D "$pu" ".holder == \"$U\"" # the district passed the bureau's part on, and keeps a copy
log "whistle $w: $pu at $U, $pm at $M, each to report in within 30 min"

# The bureau reports in and finishes; the township verifies its part.
gl act --node $U "$pu" accept --note "城管局报到" >/dev/null
gl act --node $U "$pu" start >/dev/null
gl act --node $U "$pu" resolve --note "已拆除" >/dev/null
wait_until 5 "the township sees $pu resolved" case_is $T "$pu" '.state == "resolved"'
gl act --node $T "$pu" verify >/dev/null
wait_until 5 "$pu closed at the township" case_is $T "$pu" '.state == "closed"'
expect $T "$w" '.state == "in_progress"' # one part still open
log "$pu closed; the whistle waits for $pm"

# The office reports in and finishes; verified, the whistle closes.
gl act --node $M "$pm" accept >/dev/null
gl act --node $M "$pm" resolve --note "已查处" >/dev/null
wait_until 5 "the township sees $pm resolved" case_is $T "$pm" '.state == "resolved"'
gl act --node $T "$pm" verify >/dev/null
wait_until 5 "the whistle closed" case_is $T "$w" '.state == "closed"'
expect $T "$w" '.history[-1].action == "closed" and (.history[-1].note | contains("every part"))'

# The township rates each department.
gl rate --node $T "$pu" --resolved yes --satisfied yes >/dev/null
gl rate --node $T "$pm" --resolved yes --satisfied no --note "处置偏慢" >/dev/null
wait_until 5 "the bureau's rating recorded" case_is $U "$pu" ".rating.satisfied == true and .rating.by == \"$T\""
wait_until 5 "the office's rating recorded" case_is $M "$pm" ".rating.satisfied == false and .rating.by == \"$T\""
wait_until 5 "the township has both ratings" case_is $T "$pm" '.rating.resolved == true and .rating.satisfied == false'
log "closed after both parts; rated: $U satisfied, $M not"

# A department that does not report in: climbs to its superior, counted.
w2=$(gl whistle --node $T --to $U --category urban/building --text "夜间施工扰民" --report-within 3s 2>"$HOME_DIR/parts2")
p2=$(head -n 1 "$HOME_DIR/parts2")
wait_until 5 "$U has $p2" case_is $U "$p2" ".holder == \"$U\""
wait_until 10 "$p2 climbed to the district" case_is $D "$p2" ".holder == \"$D\" and .state == \"escalated\""
expect $D "$p2" '.counters.overdue_accept == 1 and .counters.escalations == 1 and
    ([.history[] | select(.action == "escalated")][0].note | contains("报到"))'
wait_until 5 "the township sees it at the district" case_is $T "$p2" ".holder == \"$D\""
expect $T "$w2" '.state == "in_progress"'
# The district puts its bureau back on it.
gl act --node $D "$p2" assign --to $U >/dev/null
wait_until 5 "$U has $p2 again" case_is $U "$p2" ".holder == \"$U\" and .state == \"assigned\""
log "missed 报到: $p2 climbed to $D and was assigned to $U again"

# Departments are dispatch targets too, and a whistle names only departments.
out=$(gl dispatch --node $D --under $D --tier department --category urban/roads --text "道路安全检查" 2>/dev/null)
[ "$(wc -l <<<"$out")" -eq 2 ] || fail "a dispatch to every department reached: $out"
rc=0
gl whistle --node $T --to $C1 --category urban/roads --text x --report-within 30m >/dev/null 2>"$HOME_DIR/err" || rc=$?
[ $rc -ne 0 ] && grep -q "not a department" "$HOME_DIR/err" || fail "a whistle to a community: rc $rc, $(cat "$HOME_DIR/err")"
log "ok: whistle closed after both departments finished; missed 报到 escalated; ratings recorded"
