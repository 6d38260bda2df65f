# 群众评议 at the district's door, with curl as appraise.html uses it: the
# district issues appraisal tickets (评议码) for this month, which it keeps
# only hashed; residents, with those and with the follow-up code (回执码)
# of a request filed at the district, appraise townships, communities and
# departments. The test keeps what it sent and computes the expected league
# tables itself (counts, levels, satisfaction rate, score of
# gl-appraisal-1, ranks with a minimum sample of 3, red and black lists);
# the staff API and `gridlink appraisal table --json` must give exactly
# that, for the month and for its quarter. A second appraisal of a unit by
# one code in the month is 409; a bad level, period or body 400; a unit
# that is not one and unknown codes 404, counted; a ticket for another
# month is refused. Comments reach no answer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
source "$(dirname "$0")/httplib.sh"
D=xinbei

export GRIDLINK_APPRAISAL_MIN_SAMPLE=3 GRIDLINK_PUBLIC_APPRAISALS=1000 GRIDLINK_PUBLIC_MISSES=1000
# Five townships (four empty ones beside 三井), three communities, three departments.
jq '.nodes += [{"id": "xinbei.t2", "tier": "township", "name": "第二街道"},
               {"id": "xinbei.t3", "tier": "township", "name": "第三街道"},
               {"id": "xinbei.t4", "tier": "township", "name": "第四镇"},
               {"id": "xinbei.t5", "tier": "township", "name": "第五镇"},
               {"id": "xinbei.sanjing.c02", "tier": "community", "name": "三井街道第二社区"},
               {"id": "xinbei.t2.c01", "tier": "community", "name": "第二街道第一社区"},
               {"id": "xinbei.civil", "tier": "department", "name": "区民政局"}]' "$MINI" >"$HOME_DIR/appr.json"
with_http "$HOME_DIR/appr.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json" --group township --no-demo
API=$(gl health --node $D --json | jq -r .http_url)
P=${API%/api/v1}/public/v1
MONTH=$(date -u -d '+8 hours' +%Y-%m)
NEXT=$(date -u -d "$MONTH-15 +1 month" +%Y-%m)
QUARTER=$(python3 -c "y, m = '$MONTH'.split('-'); print(f'{y}-Q{(int(m) - 1) // 3 + 1}')")
log "residents' door at $P, period $MONTH ($QUARTER)"

post() { curl -s -o "$HOME_DIR/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$1" "$P/appraisal"; }
want() { [ "$1" = "$2" ] || fail "$3: status $1, expected $2: $(body)"; }
error_is() { body | jq -e --arg c "$1" '.error.code == $c and (.error.message | length > 0)' >/dev/null || fail "$2: $(body)"; }

# The units one may appraise, by tier, with their names.
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' "$P/appraisal/units")" 200 "the units"
body | jq -e --arg m "$MONTH" '.period == $m and .district == "xinbei" and ([.levels[].level] == [3, 2, 1])
    and ([.tiers[].tier] == ["township", "community", "department"])
    and ([.tiers[0].units[].id] | sort == ["xinbei.sanjing", "xinbei.t2", "xinbei.t3", "xinbei.t4", "xinbei.t5"])
    and (.tiers[1].units | map(select(.id == "xinbei.t2.c01"))[0] | .name == "第二街道第一社区" and .parent_name == "第二街道")
    and ([.tiers[2].units[].id] | sort == ["xinbei.civil", "xinbei.sanjing.market", "xinbei.urban"])' >/dev/null ||
    fail "the units: $(body)"

# Tickets for this month: printed once, kept hashed.
gl appraisal tickets --count 12 --period "$MONTH" >"$HOME_DIR/tickets"
mapfile -t CODES <"$HOME_DIR/tickets"
[ "${#CODES[@]}" = 12 ] || fail "12 tickets asked, $(wc -l <"$HOME_DIR/tickets") printed"
[ "$(sort -u "$HOME_DIR/tickets" | grep -cE '^[2-9A-HJ-NP-Z]{12}$')" = 12 ] || fail "the tickets: $(cat "$HOME_DIR/tickets")"
! grep -rqa --exclude=tickets -e "${CODES[0]}" -e "${CODES[11]}" "$HOME_DIR" || fail "a ticket itself is kept in $HOME_DIR"
other=$(gl appraisal tickets --count 1 --period "$NEXT")
usage() { local rc=0; "$GRIDLINK" appraisal "$@" --home "$HOME_DIR" >/dev/null 2>&1 || rc=$?; [ $rc = 2 ] || fail "appraisal $*: exit $rc, not 2"; }
usage tickets --period "$MONTH"
usage tickets --count 0 --period "$MONTH"
usage tickets --count 5
usage table --tier grid
usage table --count 3
usage bogus
rc=0; gl appraisal tickets --count 2 --period 2026-Q4 >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "tickets for a quarter: exit $rc, not 1"
log "12 tickets for $MONTH, one for $NEXT"

# A resident's request filed at the district: its 回执码 appraises too.
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' --data-urlencode service_code=urban/lighting \
    --data-urlencode lat=31.87 --data-urlencode long=119.955 --data-urlencode "description=路灯不亮" "$P/requests")" 201 "a request"
CODES+=("$(body | jq -r .code)")

# Every code appraises some units; what was taken is kept in sent.tsv.
TOWNS=(xinbei.sanjing xinbei.t2 xinbei.t3 xinbei.t4 xinbei.t5)
COMMS=(xinbei.sanjing.c01 xinbei.sanjing.c02 xinbei.t2.c01)
DEPTS=(xinbei.urban xinbei.sanjing.market xinbei.civil)
: >"$HOME_DIR/sent.tsv"
appraise() { # code unit level [comment]
    local b
    b=$(jq -nc --arg c "$1" --arg u "$2" --argjson l "$3" --arg m "${4:-}" '{code: $c, unit: $u, level: $l} + (if $m != "" then {comment: $m} else {} end)')
    want "$(post "$b")" 201 "code ${1:0:4}… appraising $2 at $3"
    body | jq -e --arg u "$2" --argjson l "$3" --arg m "$MONTH" '.appraised and .unit == $u and .level == $l and .period == $m
        and (.unit_name | length > 0) and (.level_name | length > 0)' >/dev/null || fail "the answer: $(body)"
    printf '%s\t%s\n' "$2" "$3" >>"$HOME_DIR/sent.tsv"
}
RANDOM=12
i=0
for c in "${CODES[@]}"; do
    # xinbei.t5 gets only two appraisals (unranked); the others one per code at most.
    for u in "${TOWNS[@]:0:4}"; do
        [ $((RANDOM % 5)) -eq 0 ] && continue
        appraise "$c" "$u" $((RANDOM % 3 + 1)) "评议意见$i"
    done
    [ $i -lt 2 ] && appraise "$c" xinbei.t5 3
    appraise "$c" "${COMMS[$((i % 3))]}" $((RANDOM % 3 + 1))
    appraise "$c" "${DEPTS[$((i % 3))]}" $((RANDOM % 3 + 1))
    i=$((i + 1))
done
sent=$(wc -l <"$HOME_DIR/sent.tsv")
log "$sent appraisals taken from ${#CODES[@]} codes"

# Refusals, in the error format.
appr() { jq -nc --arg c "$1" --arg u "$2" --argjson l "$3" '{code: $c, unit: $u, level: $l}'; }
c0=${CODES[0]}
want "$(post "$(appr "$c0" xinbei.t5 2)")" 409 "a second appraisal of t5 by code 0"
want "$(post "$(appr "$c0" xinbei.sanjing.c01 3)")" 409 "a second appraisal of a unit by one code"
error_is appraised "a second appraisal"
body | jq -e '.error.message | test("一次")' >/dev/null || fail "the 409 says why in Chinese: $(body)"
want "$(post "$(appr "$(tr A-Z a-z <<<"${c0:0:6}-${c0:6}")" xinbei.sanjing.c01 1)")" 409 "the same code as typed in lower case"
want "$(post "$(appr "$c0" xinbei.t2 4)")" 400 "level 4"
error_is bad-request "level 4"
want "$(post "{\"code\":\"$c0\",\"unit\":\"xinbei.t2\",\"level\":\"很好\"}")" 400 "a level by an unknown name"
want "$(post "{\"code\":\"$c0\",\"unit\":\"xinbei.t3\",\"level\":2,\"period\":\"$NEXT\"}")" 400 "another month"
want "$(post "{\"code\":\"$c0\",\"unit\":\"xinbei.t3\",\"level\":2,\"extra\":1}")" 400 "an unknown key"
want "$(post 'not json')" 400 "a body that is not JSON"
want "$(post "$(appr "$c0" xinbei.nowhere 3)")" 404 "a unit not in the topology"
error_is unknown-unit "an unknown unit"
want "$(post "$(appr "$c0" xinbei.sanjing.c01.g1 3)")" 404 "a grid, not a unit one appraises"
want "$(post "$(appr "$c0" xinbei 3)")" 404 "the district itself"
want "$(post "$(appr SHORT xinbei.t2 3)")" 400 "a malformed code"
error_is bad-code "a malformed code"
misses_before=$(gl health --node $D --json | jq .public_refused)
want "$(post "$(appr 222222222222 xinbei.t2 3)")" 404 "an unknown code"
error_is unknown-code "an unknown code"
want "$(post "$(appr "$other" xinbei.t2 3)")" 400 "a ticket for $NEXT"
body | jq -e --arg n "$NEXT" '.error.message | contains($n)' >/dev/null || fail "the refusal names the ticket's month: $(body)"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' "$P/appraisal")" 405 "GET of the appraisal route"
TP=$(gl health --node xinbei.sanjing --json | jq -r .http_url)
[ "$TP" != "$API" ] || fail "the township is in the district's process"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' "${TP%/api/v1}/public/v1/appraisal/units")" 404 "the units at the township's process"
want "$(curl -s -o "$HOME_DIR/body" -w '%{http_code}' -d "$(appr "$c0" xinbei.t2 3)" "${TP%/api/v1}/public/v1/appraisal")" 404 "an appraisal at the township's process"
[ "$(gl health --node $D --json | jq .public_refused)" -ge $((misses_before + 3)) ] || fail "refusals are not counted"
log "refusals: 409 for a second appraisal, 400 for bad input, 404 for unknown units and codes"

# The expected tables, computed from sent.tsv.
expected() { # tier units...
    python3 - "$HOME_DIR/sent.tsv" "$@" <<'EOF'
import json, sys
from fractions import Fraction
rows = {u: [0, 0, 0, 0] for u in sys.argv[3:]}
for line in open(sys.argv[1]):
    u, l = line.split()
    if u in rows:
        rows[u][int(l)] += 1
out = []
for u, n in rows.items():
    c = n[1] + n[2] + n[3]
    out.append({"unit": u, "count": c, "satisfied": n[3], "basically": n[2], "dissatisfied": n[1],
                "key": Fraction(5 * n[3] + 3 * n[2], c) if c else 0, "ranked": c >= 3,
                "satisfaction_rate": round((n[3] + n[2]) / c, 4) if c else 0,
                "score": round(100 * (n[3] + 0.6 * n[2]) / c, 2) if c else 0})
out.sort(key=lambda r: (not r["ranked"], -r["key"] if r["ranked"] else 0, -r["count"], r["unit"]))
ranked = [r for r in out if r["ranked"]]
k = min(5, len(ranked) // 2)
for i, r in enumerate(out):
    r["rank"] = i + 1 if r["ranked"] else 0
    del r["key"]
print(json.dumps({"rows": out, "red": [r["unit"] for r in ranked[:k]],
                  "black": [r["unit"] for r in reversed(ranked)][:k]}))
EOF
}
# shape JSON: the table's rows and lists as expected() writes them.
shape() {
    jq -c '{rows: [.rows[] | {unit, count, satisfied, basically, dissatisfied, ranked, satisfaction_rate, score, rank}],
            red: (.red // []), black: (.black // [])}'
}
same() { # what got want
    python3 - "$2" "$3" <<'EOF' || fail "$1: got $2, expected $3"
import json, sys
g, w = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert g["red"] == w["red"] and g["black"] == w["black"], "lists"
assert len(g["rows"]) == len(w["rows"]), "rows"
for a, b in zip(g["rows"], w["rows"]):
    for k in b:
        if k in ("score", "satisfaction_rate"):
            assert abs(a[k] - b[k]) < 0.006, k
        else:
            assert a[k] == b[k], (a["unit"], k)
EOF
}

adduser zhou monitor $D "centre-pass-1"
T=$(login zhou centre-pass-1 "$API")
# Every answer of the staff API is recorded and checked against the OpenAPI document.
MANIFEST="$HOME_DIR/manifest.jsonl"
rec() {
    local out got
    out=$(mktemp "$HOME_DIR/answer.XXXXXX")
    got=$(curl -s -o "$out" -w '%{http_code} %{content_type}' -X "$1" -H "Authorization: Bearer $3" "$2") || true
    jq -cn --arg m "$1" --arg u "$2" --arg s "${got%% *}" --arg t "${got#* }" --arg b "$out" \
        '{method: $m, url: $u, status: $s, type: $t, body: $b, request: "", pending: false}' >>"$MANIFEST"
    cp "$out" "$HOME_DIR/body"
    echo "${got%% *}"
}
CALL=rec
for tier in township community department; do
    case $tier in township) units=("${TOWNS[@]}") ;; community) units=("${COMMS[@]}") ;; *) units=("${DEPTS[@]}") ;; esac
    want_t=$(expected "$tier" "${units[@]}")
    expect_status 200 GET "$API/nodes/$D/appraisals?period=$MONTH&tier=$tier" "$T"
    body | jq -e --arg m "$MONTH" '.period == $m and .formula == "gl-appraisal-1" and .min_sample == 3
        and ([.rows[] | .name | length > 0] | all)' >/dev/null || fail "the $tier table: $(body)"
    same "the $tier table of $MONTH (API)" "$(body | shape)" "$want_t"
    ! grep -q 评议意见 "$HOME_DIR/body" || fail "a comment in the table: $(body)"
    expect_status 200 GET "$API/nodes/$D/appraisals?period=$QUARTER&tier=$tier" "$T"
    same "the $tier table of $QUARTER (API)" "$(body | shape)" "$want_t"
    same "the $tier table (CLI)" "$(gl appraisal table --period "$MONTH" --tier $tier --json | shape)" "$want_t"
    log "$tier: red $(jq -c .red <<<"$want_t"), black $(jq -c .black <<<"$want_t")"
done
[ "$(jq '.red | length' <<<"$(expected township "${TOWNS[@]}")")" = 2 ] || fail "four townships ranked give two on each list"
expect_status 200 GET "$API/nodes/$D/appraisals" "$T" # this month's townships by default
same "the default table" "$(body | shape)" "$(expected township "${TOWNS[@]}")"
WEEK=$(date -u -d '+8 hours' +%G-W%V)
expect_status 200 GET "$API/nodes/$D/appraisals?period=$WEEK&tier=community" "$T"
body | jq -e --arg w "$WEEK" --argjson n "$(awk '$1 ~ /\.c0[0-9]$/' "$HOME_DIR/sent.tsv" | wc -l)" '.period == $w and .total == $n' >/dev/null ||
    fail "this week's table ($WEEK): $(body)"
expect_status 400 GET "$API/nodes/$D/appraisals?period=2026-13" "$T"
expect_status 400 GET "$API/nodes/$D/appraisals?period=2027-W53" "$T"
expect_status 400 GET "$API/nodes/$D/appraisals?tier=grid" "$T"
curl -s -o "$HOME_DIR/openapi.json" "$API/openapi.json"
python3 "$GL_SRC/tests/integration/openapi_check.py" answers-only "$HOME_DIR/openapi.json" "$MANIFEST" >&2 ||
    fail "an answer does not match the OpenAPI document"
gl appraisal table --tier township >"$HOME_DIR/table.txt"
grep -q '红榜' "$HOME_DIR/table.txt" && grep -q '第二街道' "$HOME_DIR/table.txt" || fail "the readable table: $(cat "$HOME_DIR/table.txt")"
! grep -rq 评议意见 "$HOME_DIR/table.txt" || fail "a comment in the readable table"
log "ok"
