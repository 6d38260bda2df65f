# rootlib.sh: fresh Debian 12 root filesystems for the package tests
# (test_debootstrap, test_ansible). Sourced, not run.
#
# root_make DIR      unpacks a bookworm minbase root into DIR: debootstrap
#                    once, from the Debian mirror apt's sources name, its
#                    finished root kept as a tarball in GL_ROOT_CACHE
#                    (default /var/cache/gridlink-test), so later runs only
#                    unpack it (a few seconds).
# root_mount DIR     mounts /proc, /sys, /dev and /run (tmpfs) for a chroot;
# root_umount DIR    undoes it (lazily, so a busy mount never blocks cleanup).
# root_apt DIR ARGS  apt-get in the root, its downloaded packages kept in
#                    GL_ROOT_CACHE/archives between runs.
# root_deb           the .deb to test: GL_DEB if set, else one built from
#                    GL_SRC with scripts/build-deb.sh (nocheck) into
#                    GL_ROOT_CACHE/deb, made again when the tree changed.
# Needs root and debootstrap (scripts/install-deps.sh debootstrap).

GL_ROOT_CACHE=${GL_ROOT_CACHE:-/var/cache/gridlink-test}
ROOT_SUITE=bookworm

# The first http(s) URI apt's sources give for the suite bookworm.
root_mirror() {
    local m
    m=$(awk -v s="$ROOT_SUITE" '
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print uri; exit } }
        /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $(i + 1) == s) { print $i; exit } }
    ' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
    echo "${m:-http://deb.debian.org/debian}"
}

root_tarball() {
    echo "$GL_ROOT_CACHE/$ROOT_SUITE-minbase-$(dpkg --print-architecture).tar"
}

root_make() {
    local dir=$1 tarball
    tarball=$(root_tarball)
    mkdir -p "$GL_ROOT_CACHE" "$dir"
    if [ ! -s "$tarball" ]; then
        local build mirror
        mirror=$(root_mirror)
        build=$(mktemp -d "$GL_ROOT_CACHE/build-XXXXXX")
        echo "debootstrap $ROOT_SUITE minbase from $mirror (once; kept in $tarball)" >&2
        if ! debootstrap --variant=minbase "$ROOT_SUITE" "$build" "$mirror" >"$GL_ROOT_CACHE/debootstrap.log" 2>&1; then
            tail -n 30 "$GL_ROOT_CACHE/debootstrap.log" >&2
            rm -rf "$build"
            return 1
        fi
        # apt inside uses the same mirror; nothing of the host's apt setup
        # beyond that goes in.
        printf 'deb %s %s main\n' "$mirror" "$ROOT_SUITE" >"$build/etc/apt/sources.list"
        rm -rf "$build/var/cache/apt/archives/"*.deb "$build/var/lib/apt/lists/"*_Packages
        chmod 0755 "$build"
        tar -C "$build" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$build"
    fi
    tar -C "$dir" --numeric-owner -xf "$tarball"
    chmod 0755 "$dir"
}

root_mount() {
    local dir=$1
    mount -t proc proc "$dir/proc"
    mount --rbind /sys "$dir/sys"
    mount --make-rslave "$dir/sys"
    mount --rbind /dev "$dir/dev"
    mount --make-rslave "$dir/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$dir/run"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

root_umount() {
    local dir=$1 m
    # Deepest first.
    for m in $(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

# apt-get in the root with the cached archives bound in; no daemon is
# started by a package's maintainer scripts (policy-rc.d says 101).
root_apt() {
    local dir=$1
    shift
    mkdir -p "$GL_ROOT_CACHE/archives/partial"
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    mount --bind "$GL_ROOT_CACHE/archives" "$dir/var/cache/apt/archives"
    local rc=0
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
        apt-get -o APT::Keep-Downloaded-Packages=true -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0 -q "$@" || rc=$?
    umount "$dir/var/cache/apt/archives"
    return $rc
}

# The .deb of GL_SRC (see above); its path on stdout.
root_deb() {
    if [ -n "${GL_DEB:-}" ]; then
        echo "$GL_DEB"
        return
    fi
    local stamp out
    stamp=$(cd "$GL_SRC" && { git rev-parse HEAD; git status --porcelain; git diff; } | sha256sum | cut -c1-16)
    out="$GL_ROOT_CACHE/deb/$stamp"
    if ! ls "$out"/gridlink_*.deb >/dev/null 2>&1; then
        rm -rf "$GL_ROOT_CACHE/deb"
        mkdir -p "$out"
        echo "building the package of $GL_SRC into $out" >&2
        DEB_BUILD_OPTIONS=nocheck OUT_DIR="$out" "$GL_SRC/scripts/build-deb.sh" >"$out/build.log" 2>&1 || {
            tail -n 40 "$out/build.log" >&2
            rm -rf "$out"
            return 1
        }
    fi
    ls "$out"/gridlink_*_"$(dpkg --print-architecture)".deb
}

# ---- processes in a root, as its units start them ----

ROOT_PIDS=()

# unit_argv ROOT UNIT: the ExecStart= of the unit as installed in ROOT
# (ROOT/lib/systemd/system), as systemd would run it there, into ARGV, its
# environment into ENVV, its UMask= into UMASK and User= into UNIT_USER:
# Environment= first, then ROOT/etc/gridlink/gridlink.conf (the unit's
# EnvironmentFile=), "${VAR}" one word, "$VAR" split on blanks, %i the
# instance.
unit_argv() {
    local root=$1 unit=$2 inst="" file kv w v
    if [[ $unit == *@*.service ]]; then
        inst=${unit#*@}
        inst=${inst%.service}
        file="$root/lib/systemd/system/${unit%%@*}@.service"
    else
        file="$root/lib/systemd/system/$unit"
    fi
    [ -f "$file" ] || { echo "no unit file for $unit in $root" >&2; return 1; }
    declare -gA UENV=()
    for kv in $(sed -n 's/^Environment=//p' "$file"); do UENV[${kv%%=*}]=${kv#*=}; done
    local envfile
    envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$file")
    if [ -n "$envfile" ] && [ -f "$root$envfile" ]; then
        while IFS= read -r kv; do
            [[ $kv =~ ^([A-Z_]+)=(.*)$ ]] && UENV[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
        done <"$root$envfile"
    fi
    UMASK=$(sed -n 's/^UMask=//p' "$file")
    UNIT_USER=$(sed -n 's/^User=//p' "$file")
    ARGV=()
    ENVV=()
    for kv in "${!UENV[@]}"; do ENVV+=("$kv=${UENV[$kv]}"); done
    for w in $(sed -n 's/^ExecStart=//p' "$file"); do
        w=${w//%i/$inst}
        if [[ $w =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
            v=${UENV[${BASH_REMATCH[1]}]:-}
            # shellcheck disable=SC2206 # split on blanks, as systemd does
            ARGV+=($v)
            continue
        fi
        while [[ $w =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
            w=${w//"${BASH_REMATCH[0]}"/${UENV[${BASH_REMATCH[1]}]:-}}
        done
        ARGV+=("$w")
    done
    [ ${#ARGV[@]} -gt 0 ]
}

# root_unit_dirs ROOT USER: what systemd makes for the units before they
# start (StateDirectory=, RuntimeDirectory=: owned by USER, 0700).
root_unit_dirs() {
    local root=$1 user=$2
    mkdir -p "$root/var/lib/gridlink" "$root/run/gridlink"
    chroot "$root" chown "$user:$user" /var/lib/gridlink /run/gridlink
    chmod 0700 "$root/var/lib/gridlink" "$root/run/gridlink"
}

# root_start ROOT UNIT LOG: the unit's process in ROOT (chroot), as its
# User= with only the unit's environment and umask; its PID (the gridlink
# process itself) goes into ROOT_PIDS and UNIT_PID.
root_start() {
    local root=$1 unit=$2 logf=$3 uid gid
    unit_argv "$root" "$unit" || return 1
    uid=$(chroot "$root" id -u "$UNIT_USER") && gid=$(chroot "$root" id -g "$UNIT_USER") || return 1
    (
        umask "${UMASK:-0022}"
        exec chroot --userspec="$uid:$gid" --groups="$gid" "$root" env -i PATH=/usr/bin:/bin "${ENVV[@]}" "${ARGV[@]}"
    ) >>"$logf" 2>&1 &
    UNIT_PID=$!
    ROOT_PIDS+=("$UNIT_PID")
}

# root_stop_all: every process root_start started, TERM then KILL after 5 s.
root_stop_all() {
    local p alive
    for p in "${ROOT_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 50); do
        alive=0
        for p in "${ROOT_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for p in "${ROOT_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    ROOT_PIDS=()
}

# ---- the test's end ----

# root_begin ROOT...: on exit, the test's processes stopped, on failure the
# tails of WORK's logs shown, each ROOT unmounted, WORK removed (unless
# KEEP_ROOT is set) and CTest's closing line printed. fail MESSAGE ends the
# test failed.
ROOT_DIRS=()
root_finish() {
    local rc=$? r f
    set +e
    root_stop_all
    if [ $rc -ne 0 ]; then
        for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 25 "$f"; } >&2; done
    fi
    for r in "${ROOT_DIRS[@]}"; do root_umount "$r"; done
    [ -n "${KEEP_ROOT:-}" ] || rm -rf "$WORK"
    if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
    exit $rc
}
root_begin() {
    ROOT_DIRS=("$@")
    trap root_finish EXIT
}
fail() {
    root_log "FAIL: $*"
    exit 1
}

# ---- small helpers ----

root_log() { printf '%s %s: %s\n' "$(date +%H:%M:%S)" "${ROOT_TEST:-rootlib}" "$*" >&2; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD until it succeeds, else 1.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + secs))
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            root_log "timed out after ${secs}s waiting for: $what"
            return 1
        fi
        sleep 0.1
    done
}

# free_ports COUNT: the first of COUNT TCP ports in a row that nothing
# listens on, below the kernel's ephemeral range.
free_ports() {
    local count=${1:-16} low base used
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$low" -gt $((10000 + count)) ] || low=32768
    for _ in $(seq 50); do
        base=$((10000 + RANDOM % (low - 10000 - count)))
        used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | awk -v b="$base" -v c="$count" '$1>=b && $1<b+c' | wc -l)
        [ "$used" -eq 0 ] && { echo "$base"; return 0; }
    done
    return 1
}
