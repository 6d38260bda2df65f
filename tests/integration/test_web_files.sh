# The node process's web door beside the API, with curl: / and /app go to
# /app/; the app's files and Bootstrap from Debian come with their content
# types, ETag, Last-Modified and caching, and a matching If-None-Match gets
# 304; a path with "..", a hidden file, a symlink out of the web directory,
# a library not allowed and a write get a plain 404 or 405, never a file.
# The small reads of the app: /me, /categories, /nodes/{node} (in scope
# only).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
G1=$C1.g1

# A web directory of the test's own, with a link leading out of it.
WEB="$HOME_DIR/web"
mkdir -p "$WEB/js"
cp "$GL_SRC/web/index.html" "$WEB/"
printf 'export const x = 1;\n' >"$WEB/js/x.js"
printf 'secret\n' >"$HOME_DIR/outside.txt"
ln -s "$HOME_DIR/outside.txt" "$WEB/leak.txt"
printf 'hidden\n' >"$WEB/.hidden"
export GRIDLINK_WEB_DIR="$WEB"

slow_topology "$HOME_DIR/slow.json"
with_http "$HOME_DIR/slow.json" "$HOME_DIR/topology-http.json"
start_up "$HOME_DIR/topology-http.json"
B=$(gl health --node $C1 --json | jq -r .http_url | sed 's|/api/v1$||')

# get PATH [curl args...]: the status, headers in $HOME_DIR/h, body in $HOME_DIR/b.
get() {
    local p=$1
    shift
    curl -s --path-as-is -D "$HOME_DIR/h" -o "$HOME_DIR/b" -w '%{http_code}' "$@" "$B$p"
}
header() { grep -i "^$1:" "$HOME_DIR/h" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
expect_get() {
    local want=$1 p=$2
    shift 2
    local got
    got=$(get "$p" "$@")
    [ "$got" = "$want" ] || fail "GET $p: $got, expected $want: $(head -c 200 "$HOME_DIR/b")"
}

expect_get 302 /
[ "$(header Location)" = /app/ ] || fail "/ goes to '$(header Location)'"
expect_get 302 /app
expect_get 200 /app/
[ "$(header Content-Type)" = "text/html; charset=utf-8" ] || fail "/app/ is $(header Content-Type)"
grep -q '<html lang="zh-CN">' "$HOME_DIR/b" || fail "/app/ is not the app's page"
[ "$(header Cache-Control)" = no-cache ] || fail "/app/ Cache-Control: $(header Cache-Control)"
etag=$(header ETag)
[ -n "$etag" ] && [ -n "$(header Last-Modified)" ] || fail "/app/ without ETag or Last-Modified"
expect_get 304 /app/ -H "If-None-Match: $etag"
expect_get 200 /app/js/x.js
[ "$(header Content-Type)" = "text/javascript; charset=utf-8" ] || fail "x.js is $(header Content-Type)"
expect_get 200 /lib/bootstrap5/css/bootstrap.min.css
[ "$(header Content-Type)" = "text/css; charset=utf-8" ] || fail "bootstrap.min.css is $(header Content-Type)"
[[ "$(header Cache-Control)" == *max-age=* ]] || fail "the library's Cache-Control: $(header Cache-Control)"
expect_get 200 /lib/bootstrap5/js/bootstrap.bundle.min.js

for p in /app/../topology.json /app/js/../../outside.txt /app/%2e%2e/outside.txt /app/leak.txt /app/.hidden \
    /app/js/ /app/nothing.js /lib/jquery/jquery.min.js /lib/bootstrap5/../jquery/jquery.min.js /lib/ /favicon.ico; do
    expect_get 404 "$p"
    [[ "$(header Content-Type)" == text/plain* ]] || fail "$p: a 404 of $(header Content-Type)"
    ! grep -q -e secret -e hidden -e public_key "$HOME_DIR/b" || fail "$p gave a file away"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$B/app/")
[ "$code" = 405 ] || fail "POST /app/: $code"
log "files: types, caching, 304, and 404 for every way out of the web directory"

# The reads of the app.
printf '%s\n' street-pass-1 | "$GRIDLINK" user add --home "$HOME_DIR" --name wang --role grid --scope $G1 \
    --display 王小明 --password-stdin >/dev/null
T=$(curl -s -X POST "$B/api/v1/login" -d '{"name": "wang", "password": "street-pass-1"}' | jq -r .token)
api() { curl -s -w '\n%{http_code}' -H "Authorization: Bearer $T" "$B/api/v1$1"; }
check() {
    local out
    out=$(api "$1")
    [ "$(tail -n1 <<<"$out")" = "$2" ] || fail "GET $1: $(tail -n1 <<<"$out"), expected $2: $(head -n1 <<<"$out")"
    head -n1 <<<"$out" | jq -e "$3" >/dev/null || fail "GET $1: $(head -n1 <<<"$out")"
}
check /me 200 '.name == "wang" and .role == "grid" and .role_label == "网格员" and .display_name == "王小明"
    and .node.id == "'$G1'" and .node.name == "三井街道第一社区第1网格"'
check /categories 200 '[.categories[].code] | index("urban") != null'
check /categories 200 '.categories[] | select(.code == "urban") | .subcategories[] | select(.code == "urban/roads") | .display == "城管/道路设施"'
check /nodes/$G1 200 '.tier == "grid" and .parent == "'$C1'" and .parent_name == "三井街道第一社区"
    and (.area_centre.lat | . > 31.86 and . < 31.88) and (.area_centre.lon | . > 119.95 and . < 119.96)'
check /nodes/$C1 403 '.error.code == "forbidden"'
check /nodes/nowhere 404 '.error.code == "not-found"'
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/v1/me")
[ "$code" = 401 ] || fail "/me without a token: $code"
log "the app's reads: me, categories, a node in scope; 403 out of scope, 404 unknown, 401 without a token"
