# Strangers at the community's ROUTER leave a trace: each failed handshake
# is logged with the peer's address and counted in `gridlink health`
# (unauthorized: keys ZAP refused; handshake_failed: everything else that
# never completed a handshake; malformed: frames refused before case logic),
# and a flood of them costs a few log lines, not one per connection.
#   - 3 plaintext clients (a ZMTP 3 greeting offering NULL, not CURVE)
#   - 3 + 200 bad greetings (an HTTP request)
#   - 2 CurveZMQ clients with keys that are not the community's children
#   - 1 junk envelope from a real child's key
source "$(dirname "$0")/lib.sh"
PROBE="$GL_BIN/tests/gl_probe"

COMMUNITY=xinbei.sanjing.c01
LOG="$HOME_DIR/log/$COMMUNITY.log"
start_up "$MINI"
pid=$(node_pid $COMMUNITY)
port=$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -n1)
[ -n "$port" ] || fail "cannot find the port $COMMUNITY listens on"
key=$(jq -r --arg n $COMMUNITY '.nodes[] | select(.id==$n) | .public_key' "$HOME_DIR/topology.json")

counter() { "$GRIDLINK" health --home "$HOME_DIR" --node $COMMUNITY | jq -r ".$1"; }
for c in unauthorized handshake_failed malformed; do
    [ "$(counter $c)" = 0 ] || fail "health.$c is $(counter $c) before any stranger came"
done

# stranger KIND [PAUSE]: one raw TCP connection that reads the node's
# signature, waits PAUSE seconds (a slow client: the node has seen the
# connection, and can name its address, before it fails), sends KIND and
# waits (at most 3 s) for the node to close it, with a FIN or a reset.
stranger() {
    exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to $port"
    head -c 10 <&3 >/dev/null
    sleep "${2:-0}"
    # The node may close it while the request is still being written.
    case $1 in
    plain) { printf '\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x00NULL'; head -c 48 /dev/zero; } >&3 2>/dev/null || true ;;
    http) printf 'GET / HTTP/1.0\r\n\r\n' >&3 2>/dev/null || true ;;
    esac
    local rc=0
    timeout 3 cat <&3 >/dev/null 2>&1 || rc=$?
    [ $rc -ne 124 ] || fail "the node did not close a $1 connection"
    exec 3<&-
}

for _ in 1 2 3; do stranger plain 0.2; done
wait_until 5 "3 failed handshakes counted" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq .handshake_failed)\" -ge 3 ]"
grep -qE "node $COMMUNITY: handshake from 127\.0\.0\.1:[0-9]+ failed: security mechanism mismatch" "$LOG" ||
    fail "no log line names the plaintext client and the reason"

http_ms=$(now_ms)
for _ in 1 2 3; do stranger http 0.2; done
wait_until 5 "6 failed handshakes counted" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq .handshake_failed)\" -ge 6 ]"
grep -qE "node $COMMUNITY: connection from 127\.0\.0\.1:[0-9]+ closed before its handshake completed" "$LOG" ||
    fail "no log line names the client with a bad greeting"

out=$("$PROBE" "tcp://127.0.0.1:$port" "$key" $COMMUNITY.g1 random)
[ "$out" = silent ] || fail "an unknown key was answered"
out=$("$PROBE" "tcp://127.0.0.1:$port" "$key" $COMMUNITY.g1 "$HOME_DIR/keys/xinbei.cert")
[ "$out" = silent ] || fail "the district's key was answered on its grandchild's ROUTER"
wait_until 5 "2 refused keys counted" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq .unauthorized)\" -eq 2 ]"
grep -qE "zap: refused key .* on domain $COMMUNITY from 127\.0\.0\.1" "$LOG" || fail "ZAP refusal not logged with its address"

# A child's own key with an envelope the decoder refuses (bad case ID).
"$PROBE" "tcp://127.0.0.1:$port" "$key" $COMMUNITY.g1 "$HOME_DIR/keys/$COMMUNITY.g1.cert" "not a case id" >/dev/null
wait_until 5 "the junk envelope counted as malformed" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq .malformed)\" -ge 1 ]"

# A flood: 200 more bad greetings. All counted; at most GL_LOG_BURST (5)
# lines per 10 s interval logged since the first bad greeting.
for _ in $(seq 200); do stranger http; done
wait_until 10 "206 failed handshakes counted" sh -c "[ \"\$('$GRIDLINK' health --home '$HOME_DIR' --node $COMMUNITY | jq .handshake_failed)\" -ge 206 ]"
failed=$(counter handshake_failed)
unauthorized=$(counter unauthorized)
[ "$failed" -eq 206 ] || fail "health.handshake_failed is $failed, expected 206"
[ "$unauthorized" -eq 2 ] || fail "health.unauthorized is $unauthorized, expected 2"
lines=$(grep "closed before its handshake completed" "$LOG" | grep -vc "log: [0-9]" || true)
bound=$((5 * (($(now_ms) - http_ms) / 10000 + 1)))
log "206 failed handshakes counted; $lines log lines for 203 bad greetings in $((($(now_ms) - http_ms) / 1000)) s (bound $bound)"
[ "$lines" -le "$bound" ] || fail "$lines log lines for 203 bad greetings: the log is not rate-limited"

# Once the interval is over, the next such line comes after the count of
# those held back. Poll with one more stranger every half second.
deadline=$(($(now_ms) + 15000))
until grep -qE "log: [0-9]+ more line\(s\) like \"%s: connection from %s closed before its handshake completed" "$LOG"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "no line reports the suppressed ones"
    stranger http
    sleep 0.5
done
grep -oE "log: [0-9]+ more line\(s\) like \"%s: connection from %s closed before" "$LOG" | head -n1 >&2

# The node still serves its grids.
for g in g1 g2; do
    id=$("$GRIDLINK" submit --home "$HOME_DIR" --node $COMMUNITY.$g --category urban --text "after the strangers")
    wait_until 5 "a genuine report from $g arrives" "$GRIDLINK" show --home "$HOME_DIR" --node $COMMUNITY "$id"
done
log "ok: $failed failed handshakes, $unauthorized refused keys, $(counter malformed) malformed inputs"
