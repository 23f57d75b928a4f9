#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Makes the Debian OS tree SUITE that the sandbox tests boot, unless it is already there:
#
#   it/src/test/trees/make-tree.sh SUITE[,SUITE...]   (trixie: systemd 257, rpm 4.20, Java 21;
#                                                       sid: systemd 262 or newer, rpm 6.x, Java 25;
#                                                       host: this machine's root, nothing to make)
#
# The tree is CACHE/SUITE, CACHE being $SUR_TREES_CACHE or /var/cache/systemd-user-restart-trees.
# Its file .sur-tree holds the debootstrap command line it was made with: a tree whose line is
# the one below is used as it is, and nothing is downloaded. Otherwise debootstrap makes a new one
# in a folder beside it (five minutes or so, about 500 MB), which is then renamed into place, so a
# tree is either whole or absent. One make per suite at a time (flock). Needs root and
# debootstrap; the mirror is the host's Debian mirror from its apt sources.
set -euo pipefail

fail() {
    echo "make-tree: $*" >&2
    exit 1
}

[ $# -eq 1 ] || fail "usage: $0 SUITE[,SUITE...] (host, trixie, sid)"
# The build passes the trees the tests run on, as in -Dtrees=host,trixie,sid.
case $1 in
host) exit 0 ;;
*,*)
    IFS=, read -ra suites <<<"$1"
    for s in "${suites[@]}"; do
        bash "$0" "$s"
    done
    exit 0
    ;;
esac
suite=$1
case $suite in
trixie) java=openjdk-21-jre-headless ;;
sid) java=openjdk-25-jre-headless ;;
*) fail "unknown suite '$suite': trixie or sid" ;;
esac
# What the sandbox and the tests use in a tree: systemd with user sessions and lingering, the
# D-Bus user session, rpm with its python binding, setpriv/nsenter/unshare (util-linux-extra
# since trixie), file (rpmbuild's dependency generator), man (the package's page) and the JVM.
include=systemd,systemd-sysv,dbus,dbus-user-session,passwd,procps,util-linux,util-linux-extra
include=$include,rpm,python3,python3-rpm,file,libpam-systemd,man-db,$java
stamp="debootstrap --variant=minbase --include=$include $suite"

cache=${SUR_TREES_CACHE:-/var/cache/systemd-user-restart-trees}
tree=$cache/$suite
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap)"
mkdir -p "$cache"
exec 9>"$cache/.$suite.lock"
flock 9

if [ -f "$tree/.sur-tree" ] && [ "$(cat "$tree/.sur-tree")" = "$stamp" ]; then
    echo "make-tree: $tree is there"
    exit 0
fi
command -v debootstrap >/dev/null || fail "debootstrap not found (apt-get install debootstrap)"

# The host's Debian mirror: the first apt source whose path ends in /debian.
mirror() {
    local f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        for uri in $(sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' \
            -e 's/^URIs:[[:space:]]*//p' "$f"); do
            case ${uri%/} in
            http://*/debian | https://*/debian)
                echo "${uri%/}"
                return
                ;;
            esac
        done
    done
    echo http://deb.debian.org/debian
}

work=$(mktemp -d "$cache/.$suite.new.XXXXXX")
old=
cleanup() {
    # debootstrap mounts /proc and /sys in the tree while it works; a failed run may leave them.
    local m
    for m in $(awk -v w="$work" 'index($2, w "/") == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" || :
    done
    rm -rf --one-file-system -- "$work"
    [ -z "$old" ] || rm -rf --one-file-system -- "$old"
}
trap cleanup EXIT

url=$(mirror)
echo "make-tree: making $tree from $url (a few minutes)"
start=$(date +%s)
# The stamp's command line, with the target and the mirror.
# shellcheck disable=SC2086
$stamp "$work/tree" "$url" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; the end of its log:
$(tail -n 30 "$work/debootstrap.log")"
[ -x "$work/tree/lib/systemd/systemd" ] || fail "debootstrap made no lib/systemd/systemd"
# apt's downloads are not needed to boot the tree.
rm -rf "$work/tree/var/cache/apt/archives/"*.deb
printf '%s\n' "$stamp" >"$work/tree/.sur-tree"
chmod 755 "$work/tree"

if [ -e "$tree" ]; then
    old=$(mktemp -d "$cache/.$suite.old.XXXXXX")
    mv -T "$tree" "$old/tree"
fi
mv -T "$work/tree" "$tree"
echo "make-tree: made $tree in $(($(date +%s) - start)) s"
