# Operators can inspect any node's store with the stock LMDB tools while the
# node runs: mdb_stat reads every environment and mdb_dump shows the cases.
source "$(dirname "$0")/lib.sh"
command -v mdb_stat >/dev/null || fail "mdb_stat missing (package lmdb-utils)"

start_up "$MINI"
case_id=$("$GRIDLINK" submit --home "$HOME_DIR" --node xinbei.sanjing.c01.g2 --category services --text "独居老人需要探访")
wait_until 5 "community stores the case" "$GRIDLINK" show --home "$HOME_DIR" --node xinbei.sanjing.c01 "$case_id"

for n in $(jq -r '.nodes[].id' "$HOME_DIR/topology.json"); do
    kill -0 "$(node_pid "$n")" || fail "node $n is not running"
    out=$(mdb_stat -a "$HOME_DIR/data/$n") || fail "mdb_stat failed on $n"
    for db in meta cases log peers outbox deadlines; do
        grep -q "Status of $db" <<<"$out" || fail "mdb_stat on $n does not list database $db"
    done
done
mdb_dump -p -s cases "$HOME_DIR/data/xinbei.sanjing.c01" | grep -q "$case_id" || fail "mdb_dump does not show $case_id"
entries=$(mdb_stat -s log "$HOME_DIR/data/xinbei.sanjing.c01" | awk '/Entries:/ {print $2}')
[ "$entries" -ge 1 ] || fail "community log is empty"
log "ok"
