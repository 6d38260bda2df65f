# httplib.sh: helpers of the tests that speak to the staff API with curl:
# accounts, a node's API address, one call with its status and body, and a
# login. Sourced after lib.sh and worklib.sh. A test may set CALL to its
# own function of the same arguments (to record each answer, say).

# adduser NAME ROLE SCOPE PASSWORD
adduser() { printf '%s\n' "$4" | "$GRIDLINK" user add --home "$HOME_DIR" --name "$1" --role "$2" --scope "$3" --password-stdin >/dev/null; }
# url_of NODE: the base URL of the API serving it, from its health.
url_of() { gl health --node "$1" --json | jq -r .http_url; }

# call METHOD URL TOKEN [BODY]: prints the status; the body goes to body.
call() {
    local args=(-s -o "$HOME_DIR/body" -w '%{http_code}' -X "$1" "$2")
    [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
    [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    curl "${args[@]}"
}
body() { cat "$HOME_DIR/body"; }
# expect_status STATUS METHOD URL TOKEN [BODY]
expect_status() {
    local want=$1
    shift
    local got
    got=$("${CALL:-call}" "$@")
    [ "$got" = "$want" ] || fail "$1 $2: status $got, expected $want: $(body)"
}
# login NAME PASSWORD [BASE_URL]: prints the token (BASE_URL defaults to $U1).
login() {
    expect_status 200 POST "${3:-$U1}/login" "" "{\"name\": \"$1\", \"password\": \"$2\"}"
    body | jq -r .token
}
