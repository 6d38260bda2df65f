# A node upgraded over a store of schema version 1 (the fixture
# tests/fixtures/store-v1, written by commit 64e5bb0, before attachments).
# Inspecting it with the CLI (backup, which opens it read-only) and mdb_stat
# leaves its file byte for byte as it was. A copy whose schema says 99 is
# refused by the node and by the CLI with the message naming both versions.
# The node started on the fixture migrates it to version 3 once (one log
# line; version 2 brought photos, 3 residents' receipts), shows
# the cases it held with their recorded histories, serves, and takes photos:
# one stored at it directly, one that comes with a new report from its grid,
# whose new ID follows the grid's numbers the store knew.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
G1=$C1.g1
FIXTURE="$GL_SRC/tests/fixtures/store-v1/$C1/data.mdb"
STORE="$HOME_DIR/data/$C1"

slow_topology "$HOME_DIR/slow.json"
start_up "$HOME_DIR/slow.json"
kill -TERM "$UP_PID"
wait_until 20 "the district stopped" sh -c "! kill -0 $UP_PID 2>/dev/null"

# put_store FILE: FILE in place of the community's store.
put_store() {
    rm -f "$STORE"/data.mdb "$STORE"/lock.mdb
    cp "$1" "$STORE/data.mdb"
}
schema_of() { mdb_dump -p -s meta "$1" | awk '$1 == "schema" {getline; print $1; exit}'; }

# Read-only inspection of the version-1 store changes nothing.
put_store "$FIXTURE"
sum_before=$(sha256sum "$STORE/data.mdb" | cut -c1-64)
mkdir "$HOME_DIR/backup"
gl backup --node $C1 --to "$HOME_DIR/backup" >/dev/null || fail "backup (read-only) of the version-1 store failed"
mdb_stat -a "$STORE" >"$HOME_DIR/stat.out" || fail "mdb_stat failed on the version-1 store"
grep -qE "Status of (files|receipts)" "$HOME_DIR/stat.out" && fail "the version-1 store has a files or receipts database"
[ "$(sha256sum "$STORE/data.mdb" | cut -c1-64)" = "$sum_before" ] || fail "inspecting the version-1 store changed it"
[ "$(schema_of "$HOME_DIR/backup")" = '\00\00\00\00\00\00\00\01' ] || fail "the backup is not of version 1: $(schema_of "$HOME_DIR/backup")"
log "read-only: backup and mdb_stat left the version-1 store as it was ($sum_before)"

# A store of a newer version is refused, by the CLI and by the node.
cp "$FIXTURE" "$HOME_DIR/v99.mdb"
mkdir "$HOME_DIR/v99"
mv "$HOME_DIR/v99.mdb" "$HOME_DIR/v99/data.mdb"
mdb_dump -s meta "$HOME_DIR/v99" | sed -e '/^db_pagesize=/d' -e 's/^ 0000000000000001$/ 0000000000000063/' | mdb_load -s meta "$HOME_DIR/v99"
[ "$(schema_of "$HOME_DIR/v99")" = '\00\00\00\00\00\00\00c' ] || fail "the copy's schema is not 99: $(schema_of "$HOME_DIR/v99")"
put_store "$HOME_DIR/v99/data.mdb"
want="has schema version 99, written by a newer gridlink; this binary knows versions up to 5: upgrade this binary, or restore a backup taken before the upgrade"
mkdir "$HOME_DIR/backup99"
out=$(gl backup --node $C1 --to "$HOME_DIR/backup99" 2>&1) && fail "a backup of a schema-99 store was taken"
[[ "$out" == *"$want"* ]] || fail "backup of a schema-99 store: $out"
timeout 20 "$GL_BIN/gridlink-node" --home "$HOME_DIR" --node $C1 >"$HOME_DIR/node99.out" 2>&1 && fail "the node started on a schema-99 store"
grep -qF "$want" "$HOME_DIR/node99.out" "$HOME_DIR"/log/*.log || fail "the node's refusal does not say why: $(tail -n 5 "$HOME_DIR/node99.out")"
log "refused: $(grep -hF "$want" "$HOME_DIR/node99.out" "$HOME_DIR"/log/*.log | head -n1)"

# The node on the version-1 store: migrated once, and serving.
put_store "$FIXTURE"
start_up "$HOME_DIR/slow.json"
n=$(grep -hF "store $STORE: schema 1 migrated to 5" "$HOME_DIR"/log/*.log | wc -l)
[ "$n" -eq 1 ] || fail "the migration was logged $n times"
[ "$(schema_of "$STORE")" = '\00\00\00\00\00\00\00\05' ] || fail "the store's schema is $(schema_of "$STORE") after the migration"
for db in files files_sent receipts surveys survey_answers appraisals facts; do
    mdb_stat -a "$STORE" | grep -q "Status of $db\$" || fail "the migrated store has no $db"
done
wait_until 20 "$C1 has $G1 and its parent" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $C1 --json | jq -e --arg g $G1 '(.children_up | index(\$g) != null) and .parent_up'"
wait_until 20 "$G1 has $C1" sh -c "'$GRIDLINK' health --home '$HOME_DIR' --node $G1 --json | jq -e .parent_up"

# Its cases, as the fixture recorded them: the histories are the start of
# what the node shows now (the deadlines have passed since, and it acts on them).
check_case() {
    local id=$1 kind=$2 category=$3 text=$4 history=$5
    local j
    j=$(case_json $C1 "$id") || fail "$C1 does not show $id"
    jq -e --arg id "$id" --arg k "$kind" --arg c "$category" --arg t "$text" --argjson h "$history" \
        '.id == $id and .kind == $k and .category == $c and .text == $t and
         ([.history[] | [.action, .state, .node, .time_ms, .note]][0:($h | length)] == $h)' <<<"$j" >/dev/null ||
        fail "$id at $C1: $(jq -c '{id, kind, category, text, history: [.history[] | [.action, .state, .node, .time_ms, .note]]}' <<<"$j")"
}
check_case $G1-000001 incident urban/sanitation 楼道堆放杂物 \
    '[["reported","reported","xinbei.sanjing.c01.g1",1796191080044,""],
      ["received","reported","xinbei.sanjing.c01",1796191080046,""],
      ["accepted","accepted","xinbei.sanjing.c01",1796191084407,"收到"]]'
check_case $G1-000002 incident governance/safety 路灯不亮 \
    '[["reported","reported","xinbei.sanjing.c01.g1",1796191080077,""],
      ["received","reported","xinbei.sanjing.c01",1796191080082,""]]'
check_case $C1.g2-000001 incident party/activities 志愿活动场地 \
    '[["reported","reported","xinbei.sanjing.c01.g2",1796191080132,""],
      ["received","reported","xinbei.sanjing.c01",1796191080133,""],
      ["accepted","accepted","xinbei.sanjing.c01",1796191084428,""],
      ["started","in_progress","xinbei.sanjing.c01",1796191084452,"已到现场"]]'
[ "$(gl list --node $C1 --json | jq 'length')" -ge 3 ] || fail "$C1 lists $(gl list --node $C1 --json | jq -c '[.[].id]')"

# Photos on the migrated store.
printf '\x89PNG\r\n\x1a\n' >"$HOME_DIR/at-c01.png"
head -c 3000 /dev/urandom >>"$HOME_DIR/at-c01.png"
sha=$(gl attach --node $C1 "$HOME_DIR/at-c01.png") || fail "attach at $C1 failed"
[ "$sha" = "$(sha256sum "$HOME_DIR/at-c01.png" | cut -c1-64)" ] || fail "attach printed $sha"
gl attachment --node $C1 "$sha" "$HOME_DIR/back-c01.png" >/dev/null || fail "reading the photo back from $C1 failed"
cmp -s "$HOME_DIR/at-c01.png" "$HOME_DIR/back-c01.png" || fail "the photo read back from $C1 differs"

printf '\x89PNG\r\n\x1a\n' >"$HOME_DIR/at-g1.png"
head -c 3000 /dev/urandom >>"$HOME_DIR/at-g1.png"
sha_g=$(gl attach --node $G1 "$HOME_DIR/at-g1.png") || fail "attach at $G1 failed"
new=$(gl submit --node $G1 --category urban/sanitation --text "升级之后的报告" --photo "$sha_g") || fail "submit with a photo failed"
[ "$new" = "$G1-000003" ] || fail "the grid's new report is $new, not $G1-000003"
wait_until 20 "$C1 holds $new" case_is $C1 "$new" ".holder == \"$C1\""
gl attachment --node $C1 "$sha_g" "$HOME_DIR/back-g1.png" >/dev/null || fail "$C1 does not have the report's photo"
cmp -s "$HOME_DIR/at-g1.png" "$HOME_DIR/back-g1.png" || fail "the report's photo at $C1 differs"
[ "$(mdb_stat -s files "$STORE" | awk '/Entries:/ {print $2}')" -ge 4 ] || fail "the files database holds $(mdb_stat -s files "$STORE")"
log "ok: $C1 migrated its version-1 store once, shows its cases as recorded, and took two photos ($new came with one)"
