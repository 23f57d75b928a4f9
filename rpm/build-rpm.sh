#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the systemd-user-restart RPMs (noarch: the tool, -sandbox, -rpm-macros, -rpm-macros-systemd)
# into OUTDIR from the already built tree: run "mvn package" first.
#
#   rpm/build-rpm.sh OUTDIR
#
# Needs rpmbuild (rpm-build; on Debian the "rpm" package) and tar; no network. Uses a
# private _topdir in a temporary folder, so the host's ~/rpmbuild is never touched.
# SUR_SRCDIR overrides the tree to package (default: this script's repository).
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${SUR_SRCDIR:-$here/..}" && pwd)
target=$src/target

die() { echo "$0: $*" >&2; exit 1; }
command -v rpmbuild >/dev/null || die "rpmbuild not found (install rpm-build, or rpm on Debian)"
[ -f "$target/systemd-user-restart.jar" ] || die "missing $target/systemd-user-restart.jar: run mvn package"
[ -f "$src/bin/systemd-user-restart" ] || die "missing launcher $src/bin/systemd-user-restart"

# Maven version -> RPM version: "-" is not allowed, "~" sorts a pre-release before the
# release (0.2.0-SNAPSHOT -> 0.2.0~SNAPSHOT).
# The project's own <version>: the first one after the parent pom's <artifactId>.
version=$(sed -n '/<artifactId>systemd-user-restart-parent<\/artifactId>/,/<version>/{s/.*<version>\(.*\)<\/version>.*/\1/p}' "$src/pom.xml" | sed -n 1p)
[ -n "$version" ] || die "cannot find the project version"
rpmversion=${version//-/\~}

mkdir -p "$1"
outdir=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sur-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Source0: the files the spec installs, under NAME-VERSION/.
stage=$work/stage/systemd-user-restart-$rpmversion
mkdir -p "$stage/lib" "$stage/bin" "$work/SOURCES"
cp "$target/systemd-user-restart.jar" "$stage/"
[ -f "$target/systemd-user-restart-sandbox.jar" ] ||
    die "missing $target/systemd-user-restart-sandbox.jar: run mvn package"
cp "$target/systemd-user-restart-sandbox.jar" "$stage/"
# Exactly the jars the manifest's Class-Path names: target/lib keeps jars of earlier builds.
classpath=$(python3 - "$target/systemd-user-restart.jar" <<'PY'
import sys, zipfile
manifest = zipfile.ZipFile(sys.argv[1]).read("META-INF/MANIFEST.MF").decode()
fields = manifest.replace("\r\n", "\n").replace("\n ", "").split("\n")
print(" ".join(next((f.split(":", 1)[1] for f in fields if f.startswith("Class-Path:")), "").split()))
PY
) || die "cannot read the Class-Path of $target/systemd-user-restart.jar"
[ -n "$classpath" ] || die "no Class-Path in $target/systemd-user-restart.jar"
for entry in $classpath; do
    [ -f "$target/$entry" ] || die "missing $target/$entry: run mvn package"
    cp "$target/$entry" "$stage/lib/"
done
cp "$src/bin/systemd-user-restart" "$stage/bin/"
cp "$here/macros.systemd-user-restart" "$here/macros.systemd-user-restart-systemd" "$stage/"
cp "$src/LICENSE" "$stage/"
# The licences of what the package bundles: picocli in the jar, dbus-java and SLF4J in lib/.
cp -r "$here/licenses" "$stage/licenses"
cp "$src/README.md" "$stage/"
cp "$here/README.md" "$stage/README.packagers.md"
# Optional outputs of the Maven build, packaged when present.
if [ -f "$target/man/systemd-user-restart.8" ]; then
    cp "$target/man/systemd-user-restart.8" "$stage/systemd-user-restart.8"
fi
if [ -f "$target/completion/systemd-user-restart" ]; then
    cp "$target/completion/systemd-user-restart" "$stage/systemd-user-restart.bash"
fi
tar -C "$work/stage" --owner=0 --group=0 --numeric-owner \
    -czf "$work/SOURCES/systemd-user-restart-$rpmversion-bin.tar.gz" "systemd-user-restart-$rpmversion"

# The defines make the build independent of the host's rpm configuration: private tree,
# flat output, no build-id links (noarch), gzip payload that every rpm version can read,
# and no __os_install_post: nothing to strip or byte-compile in a noarch jar package, the
# spec compresses the man page itself, and Debian's brp-compress fails under dash.
rpmbuild -bb --quiet \
    --define "_topdir $work" \
    --define "_rpmdir $outdir" \
    --define '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' \
    --define '_build_id_links none' \
    --define '_binary_payload w9.gzdio' \
    --define '__os_install_post %{nil}' \
    --define "sur_version $rpmversion" \
    "$here/systemd-user-restart.spec"

ls -1 "$outdir"/systemd-user-restart-*"$rpmversion"-*.noarch.rpm
