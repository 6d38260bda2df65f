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
        tar -C "$build" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$build"
    fi
    tar -C "$dir" --numeric-owner -xf "$tarball"
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
        apt-get -o APT::Keep-Downloaded-Packages=true -o Dpkg::Use-Pty=0 -q "$@" || rc=$?
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
