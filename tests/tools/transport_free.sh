#!/bin/sh
# transport_free.sh SRC FILE...: fail if any FILE, or a project header it
# includes (directly or through other project headers, from common/ and
# nodes/), includes czmq, libzmq or libuv. The node engine must know no
# socket and no event loop.
SRC=$1
shift
seen=""
bad=0
visit() {
    for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$1"); do
        for d in nodes common; do
            p="$SRC/$d/$inc"
            [ -f "$p" ] || continue
            case " $seen " in *" $p "*) continue ;; esac
            seen="$seen $p"
            visit "$p"
        done
    done
    if grep -HnE '^#include <(czmq|zmq|uv)\.h>' "$1"; then bad=1; fi
}
for f in "$@"; do visit "$SRC/$f"; done
[ "$bad" -eq 0 ] && echo "transport-free: $# files and the headers they include"
exit "$bad"
