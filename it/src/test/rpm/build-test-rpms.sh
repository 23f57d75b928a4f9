#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the test packages into OUTDIR (flat, *.noarch.rpm):
#   sur-test-app   1 and 2   /usr/lib/systemd/user unit, %user_restart_postun_with_restart
#   sur-test-other 1 and 2   /usr/lib/systemd/user unit, no mark
#   sur-test-etc   1 and 2   /etc/systemd/user unit, %user_restart_postun_with_reload
#   sur-test-bin   1 and 2   like sur-test-app, its program in /usr/bin
#   sur-trigger-probe 1      logs which file triggers fire (measurement aid)
#   sur-test-stale 1 and 2   user unit running a program it ships, no mark (stale)
#   sur-test-lib   1 and 2   a shared library, no unit (stale)
#   sur-test-dlopen 1        user unit that dlopen()s sur-test-lib's library (stale)
# Uses the repository's rpm/macros.systemd-user-restart, not an installed one.
# No network; works with rpm >= 4.14, on rpm-based systems and on Debian's rpm package.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
macros=$(cd "$here/../../../../rpm" && pwd)/macros.systemd-user-restart
[ -f "$macros" ] || { echo "$0: missing $macros" >&2; exit 1; }
command -v rpmbuild >/dev/null || { echo "$0: rpmbuild not found (install rpm / rpm-build)" >&2; exit 1; }

mkdir -p "$1"
outdir=$(cd "$1" && pwd)
topdir=$(mktemp -d "${TMPDIR:-/tmp}/sur-test-rpms.XXXXXX")
trap 'rm -rf "$topdir"' EXIT

# Our macros file after rpm's own: with rpmbuild 6.1 a spec does not see the macros of a file
# given with --load, and --macros replaces rpm's list of files, so that list comes first.
macropath=$(rpmbuild --showrc | sed -n 's/^Macro path: //p')
[ -n "$macropath" ] || { echo "$0: rpmbuild --showrc names no macro path" >&2; exit 1; }

build() { # SPEC [VERSION]
    local spec=$1 ver=${2:-}
    # --nodeps: BuildRequires name packages that need not be in the rpm database (Debian,
    # or macros loaded from the source tree). The defines keep the build independent of
    # the host's rpm configuration: a private tree, no build-id links (noarch anyway),
    # and gzip payloads that every rpm version reads.
    rpmbuild -bb --nodeps --quiet \
        --macros "$macropath:$macros" \
        --define "_topdir $topdir" \
        --define "_rpmdir $outdir" \
        --define '_build_id_links none' \
        --define '_binary_payload w9.gzdio' \
        --define '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' \
        ${ver:+--define "ver $ver"} \
        "$here/$spec"
}

for v in 1 2; do
    build sur-test-app.spec "$v"
    build sur-test-other.spec "$v"
    build sur-test-etc.spec "$v"
    build sur-test-bin.spec "$v"
    build sur-test-stale.spec "$v"
    build sur-test-lib.spec "$v"
done
build sur-trigger-probe.spec
build sur-test-dlopen.spec

ls -1 "$outdir"/*.rpm
