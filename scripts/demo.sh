#!/usr/bin/env bash
# The first command of the README: install what is missing, build, and run a
# whole local district (the embedded demo topology) with simulated staff
# traffic, showing its events live, and its web pages with an account for
# each kind of staff (made on the first run; their password is printed and
# kept in HOME/demo-accounts.txt). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
home=${GRIDLINK_HOME:-$PWD/gridlink-home}
if [ ! -e "$home/users" ] && [[ " $* " != *" --topology "* ]]; then
    build/gridlink keygen --home "$home" >/dev/null
    password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 12)
    while read -r name role scope display; do
        printf '%s\n' "$password" |
            build/gridlink user add --home "$home" --name "$name" --role "$role" --scope "$scope" --display "$display" \
                --password-stdin >/dev/null
    done <<'ACCOUNTS'
wang grid xinbei.sanjing.c01.g1 王小明
zhao community xinbei.sanjing.c01 赵丽
sun township xinbei.sanjing 孙伟
desk monitor xinbei 区指挥中心
ACCOUNTS
    umask 077
    printf 'accounts wang (网格员), zhao (社区), sun (街道), desk (区指挥中心); password %s\n' "$password" \
        >"$home/demo-accounts.txt"
fi
[ -e "$home/demo-accounts.txt" ] && echo "demo: web sign-in: $(cat "$home/demo-accounts.txt") (also in $home/demo-accounts.txt)" >&2
exec build/gridlink up --home "$home" "$@"
