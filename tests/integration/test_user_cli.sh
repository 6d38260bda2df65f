# The accounts on the command line (gridlink user): added with the password
# on stdin, listed readably (role labels, the scope's node name) and as JSON
# (ISO 8601 UTC), disabled and enabled, given a new password; the password
# is kept only as a hash. Asked wrongly, each subcommand says why in one line
# and exits 2; what fails exits 1. Nothing is started: a home with keys and
# a topology is all the accounts need.
source "$(dirname "$0")/lib.sh"
"$GRIDLINK" keygen --home "$HOME_DIR" --topology "$MINI" >/dev/null || fail "keygen"
H=(--home "$HOME_DIR")
U="$HOME_DIR/users"

# gl_user SUBCOMMAND ARGS...: gridlink user SUBCOMMAND --home HOME_DIR ARGS,
# stdout in out, stderr in err.
gl_user() {
    local sub=$1
    shift
    "$GRIDLINK" user "$sub" "${H[@]}" "$@" >"$HOME_DIR/out" 2>"$HOME_DIR/err"
}

# No account yet: an empty list, and no environment made by looking.
gl_user list || fail "list on a fresh home: $(cat "$HOME_DIR/err")"
grep -q "no accounts" "$HOME_DIR/out" || fail "fresh list: $(cat "$HOME_DIR/out")"
[ "$(gl_user list --json && jq length "$HOME_DIR/out")" -eq 0 ] || fail "fresh list --json: $(cat "$HOME_DIR/out")"
[ ! -e "$U" ] || fail "listing made $U"

printf 'correct horse battery\n' | gl_user add --name wang.li --role grid --scope xinbei.sanjing.c01.g1 \
    --display "王丽" --password-stdin || fail "add wang.li: $(cat "$HOME_DIR/err")"
grep -q "^wang.li added: grid (网格员), scope xinbei.sanjing.c01.g1 (三井街道第一社区第1网格)$" "$HOME_DIR/out" ||
    fail "add wang.li printed: $(cat "$HOME_DIR/out")"
printf 'township pass\r\n' | gl_user add --name chen --role township --scope xinbei.sanjing --password-stdin ||
    fail "add chen: $(cat "$HOME_DIR/err")"
printf 'monitor password' | gl_user add --password-stdin --role monitor --name desk-1 --scope xinbei ||
    fail "add desk-1 (no newline): $(cat "$HOME_DIR/err")"
[ "$(stat -c %a "$U")" = 700 ] || fail "$U has mode $(stat -c %a "$U")"
[ "$(stat -c %a "$U/data.mdb")" = 600 ] || fail "$U/data.mdb has mode $(stat -c %a "$U/data.mdb")"
log "3 accounts added"

# Taken names fail (exit 1, one line).
rc=0
printf 'another password\n' | gl_user add --name chen --role grid --scope xinbei --password-stdin || rc=$?
[ $rc -eq 1 ] || fail "a second chen exited $rc"
grep -q "an account named chen already exists" "$HOME_DIR/err" && [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] ||
    fail "a second chen: $(cat "$HOME_DIR/err")"

# The readable list: a header, one line an account in name order.
gl_user list || fail "list: $(cat "$HOME_DIR/err")"
[ "$(wc -l <"$HOME_DIR/out")" -eq 4 ] || fail "list has not 4 lines: $(cat "$HOME_DIR/out")"
head -n1 "$HOME_DIR/out" | grep -q "^name  *display  *role  *scope  *status  *created$" || fail "list header: $(head -n1 "$HOME_DIR/out")"
sed -n 2p "$HOME_DIR/out" | grep -q "^chen .*township (街道工作人员) .*xinbei.sanjing (三井街道) .*active" ||
    fail "list line of chen: $(sed -n 2p "$HOME_DIR/out")"
sed -n 3p "$HOME_DIR/out" | grep -q "^desk-1 .*monitor (区指挥中心) .*xinbei (新北区) .*active" ||
    fail "list line of desk-1: $(sed -n 3p "$HOME_DIR/out")"
sed -n 4p "$HOME_DIR/out" | grep -q "^wang.li  *王丽 .*grid (网格员) .*xinbei.sanjing.c01.g1 (三井街道第一社区第1网格) .*active  *$(date +%Y-)[0-9-]* [0-9:]*$" ||
    fail "list line of wang.li: $(sed -n 4p "$HOME_DIR/out")"

# The JSON list.
gl_user list --json || fail "list --json: $(cat "$HOME_DIR/err")"
jq -e 'length == 3 and (map(.name) == ["chen", "desk-1", "wang.li"])
       and all(.[]; .disabled == false and (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and .created_ms > 0)
       and .[2].role == "grid" and .[2].role_label == "网格员" and .[2].display == "王丽"
       and .[2].scope == "xinbei.sanjing.c01.g1" and .[2].scope_name == "三井街道第一社区第1网格"
       and .[0].display == "" and .[1].role_label == "区指挥中心" and .[1].scope_name == "新北区"' "$HOME_DIR/out" >/dev/null ||
    fail "list --json: $(cat "$HOME_DIR/out")"
log "listed: $(jq -c 'map([.name, .role_label, .scope_name])' "$HOME_DIR/out")"

# Disable and enable.
gl_user disable --name chen || fail "disable chen: $(cat "$HOME_DIR/err")"
grep -q "^chen disabled; its sessions ended$" "$HOME_DIR/out" || fail "disable printed: $(cat "$HOME_DIR/out")"
gl_user list --json && jq -e 'map(select(.disabled) | .name) == ["chen"]' "$HOME_DIR/out" >/dev/null ||
    fail "after disable: $(cat "$HOME_DIR/out")"
gl_user list && grep -q "^chen .* disabled " "$HOME_DIR/out" || fail "readable after disable: $(cat "$HOME_DIR/out")"
gl_user enable --name chen || fail "enable chen: $(cat "$HOME_DIR/err")"
gl_user list --json && jq -e 'all(.[]; .disabled == false)' "$HOME_DIR/out" >/dev/null ||
    fail "after enable: $(cat "$HOME_DIR/out")"
log "chen disabled and enabled again"

# A new password: the stored hash changes; no password is stored in clear.
hash_of() { mdb_dump -p -s accounts "$U" | grep -A1 "^ $1$" | tail -n1 | grep -o '\$argon2id\$[^ ]*'; }
before=$(hash_of wang.li) || fail "no Argon2id hash stored for wang.li: $(mdb_dump -p -s accounts "$U")"
printf 'a fresh password\n' | gl_user passwd --name wang.li --password-stdin || fail "passwd: $(cat "$HOME_DIR/err")"
grep -q "^password of wang.li changed; its sessions ended$" "$HOME_DIR/out" || fail "passwd printed: $(cat "$HOME_DIR/out")"
after=$(hash_of wang.li) || fail "no hash for wang.li after passwd"
[ "$before" != "$after" ] || fail "passwd left the hash as it was"
for pw in "correct horse battery" "township pass" "monitor password" "a fresh password"; do
    ! grep -qaF "$pw" "$U/data.mdb" || fail "'$pw' is stored in clear"
done
log "wang.li has a new password hash"

# Failures: exit 1, one line.
fails() {
    local want=$1 sub=$2
    shift 2
    local rc=0
    "$GRIDLINK" user "$sub" "${H[@]}" "$@" >"$HOME_DIR/out" 2>"$HOME_DIR/err" </dev/null || rc=$?
    [ "$rc" -eq 1 ] || fail "gridlink user $* exited $rc, not 1: $(cat "$HOME_DIR/err")"
    grep -qF -- "$want" "$HOME_DIR/err" && [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] ||
        fail "gridlink user $*: stderr '$(cat "$HOME_DIR/err")' does not say '$want' in one line"
}
fails "no account named nobody" disable --name nobody
fails "no account named nobody" enable --name nobody
printf 'a long enough one\n' >"$HOME_DIR/pw"
"$GRIDLINK" user passwd "${H[@]}" --name nobody --password-stdin <"$HOME_DIR/pw" >/dev/null 2>"$HOME_DIR/err" &&
    fail "passwd for nobody succeeded"
grep -q "no account named nobody" "$HOME_DIR/err" || fail "passwd nobody: $(cat "$HOME_DIR/err")"

# Usage errors: exit 2, one line naming the problem, nothing on stdout.
usage() {
    local want=$1 input=$2
    shift 2
    local rc=0
    printf '%b' "$input" | "$GRIDLINK" user "$@" >"$HOME_DIR/out" 2>"$HOME_DIR/err" || rc=$?
    [ "$rc" -eq 2 ] || fail "gridlink user $* exited $rc, not 2: $(cat "$HOME_DIR/err")"
    grep -qF -- "$want" "$HOME_DIR/err" || fail "gridlink user $*: stderr '$(cat "$HOME_DIR/err")' does not say '$want'"
    [ ! -s "$HOME_DIR/out" ] || fail "gridlink user $* printed on stdout: $(cat "$HOME_DIR/out")"
    [ "$(wc -l <"$HOME_DIR/err")" -eq 1 ] || fail "gridlink user $*: stderr is not one line: $(cat "$HOME_DIR/err")"
}
ADD=(add "${H[@]}" --name zhang --password-stdin)
usage "unknown role 'boss' (grid, community, township, department, monitor, admin)" 'password1\n' \
    "${ADD[@]}" --role boss --scope xinbei
usage "--role ROLE is required" 'password1\n' "${ADD[@]}" --scope xinbei
usage "--scope: unknown node xinbei.nowhere" 'password1\n' "${ADD[@]}" --role grid --scope xinbei.nowhere
usage "--scope takes a node ID, not 'Xinbei'" 'password1\n' "${ADD[@]}" --role grid --scope Xinbei
usage "--scope NODE_ID is required" 'password1\n' "${ADD[@]}" --role grid
usage "the password is empty" '' "${ADD[@]}" --role grid --scope xinbei
usage "the password is empty" '\n' "${ADD[@]}" --role grid --scope xinbei
usage "a password is at least 8 bytes" 'short\n' "${ADD[@]}" --role grid --scope xinbei
usage "a password is at most 1024 bytes" "$(head -c 1025 /dev/zero | tr '\0' x)\n" "${ADD[@]}" --role grid --scope xinbei
usage "the password is empty" '' passwd "${H[@]}" --name wang.li --password-stdin
usage "give the password on stdin with --password-stdin" 'password1\n' add "${H[@]}" --name zhang --role grid --scope xinbei
usage "give the password on stdin with --password-stdin" 'password1\n' passwd "${H[@]}" --name wang.li
usage "--name: a name takes only ASCII letters, digits, '.', '_' and '-', not '张三'" 'password1\n' \
    add "${H[@]}" --name 张三 --role grid --scope xinbei --password-stdin
usage "--name NAME is required" '' disable "${H[@]}"
usage "--name: a name is at most 64 bytes" '' enable "${H[@]}" --name "$(head -c 65 /dev/zero | tr '\0' a)"
usage "--display: a display name may not hold control characters" 'password1\n' \
    "${ADD[@]}" --role grid --scope xinbei --display "$(printf 'a\tb')"
usage "--json is not an option of user add" 'password1\n' "${ADD[@]}" --role grid --scope xinbei --json
usage "--name is not an option of user list" '' list "${H[@]}" --name chen
usage "--password-stdin is not an option of user disable" '' disable "${H[@]}" --name chen --password-stdin
usage "unexpected argument 'extra'" '' list "${H[@]}" extra
usage "unknown subcommand 'remove' (add, list, disable, enable, passwd)" '' remove "${H[@]}" --name chen
usage "say what to do: add, list, disable, enable or passwd" ''
usage "say what to do" '' --home "$HOME_DIR"
gl_user list --json && jq -e 'length == 3' "$HOME_DIR/out" >/dev/null || fail "a refused add made an account"
log "usage errors refused with exit status 2"

# Its help, as every command's.
for args in "--help" "add --help" "list -h"; do
    "$GRIDLINK" user $args >"$HOME_DIR/out" 2>"$HOME_DIR/err" || fail "user $args failed"
    grep -q "^usage: gridlink user add " "$HOME_DIR/out" && grep -q "^options:" "$HOME_DIR/out" &&
        grep -q "^example" "$HOME_DIR/out" && [ ! -s "$HOME_DIR/err" ] || fail "user $args: $(cat "$HOME_DIR/out")"
done
"$GRIDLINK" help >"$HOME_DIR/help"
grep -q "^  user  *passwd --name NAME --password-stdin" "$HOME_DIR/help" || fail "gridlink help does not list user passwd"
log "ok"
