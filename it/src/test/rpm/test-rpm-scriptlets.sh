#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks the marking macros and the file triggers of rpm/systemd-user-restart.spec without
# systemd: rpm installs, upgrades and erases the test packages in a throwaway root
# (rpm --root, so scriptlets run chrooted there). The root has a fake /run/systemd/system,
# so the scriptlets believe systemd is running, and a stub /usr/bin/systemd-user-restart
# that logs each call with the marks present, then consumes them. Nothing is done to the
# host's /run and no systemd is started. Also measures the cost of the marking scriptlet.
#
#   it/src/test/rpm/test-rpm-scriptlets.sh [SHELL...]     (default: dash bash)
#
# Each SHELL (a host binary) becomes /bin/sh of a fresh root, since distributions differ
# (bash as sh on Fedora). Needs root (chroot), rpm and rpmbuild; no Maven build, no network.
# Prints the trigger firing log of each step, then "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "$0: needs root for rpm --root (chroot)" >&2; exit 1; }
for t in rpm rpmbuild ldd; do
    command -v "$t" >/dev/null || { echo "$0: $t not found" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sur-rpm-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; printf '     expected: %s\n     actual:   %s\n' "${2//$'\n'/ | }" "${3//$'\n'/ | }"; fi
}

# --- Packages -------------------------------------------------------------------------
"$here/build-test-rpms.sh" "$work/rpms" >/dev/null

# Our RPM, built from a stand-in tree: placeholder jars and a stub launcher, so the real
# triggers run against the stub.
fake=$work/tree
mkdir -p "$fake/target/lib" "$fake/bin"
: > "$fake/target/lib/placeholder.jar"
: > "$fake/target/systemd-user-restart-sandbox.jar"
: > "$fake/target/lib/left-from-an-earlier-build.jar"
# build-rpm.sh packages the jars the manifest's Class-Path names, and only those.
python3 - "$fake/target/systemd-user-restart.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as jar:
    jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nClass-Path: lib/placeholder.jar\r\n\r\n")
PY
cp "$repo/LICENSE" "$repo/README.md" "$repo/pom.xml" "$fake/"
cat > "$fake/bin/systemd-user-restart" <<'STUB'
#!/bin/sh
# Test stub: logs the call and the marks it would act on, consumes them unless --dry-run
# or /etc/sur-stub-keep-marks exists, and fails when /etc/sur-stub-fail exists. It takes
# 20 ms, as the tool takes far more: the triggers' stamp must be newer than the rpmdb by
# more than the kernel's coarse file time step.
m=
for f in /run/systemd-user-restart/restart/* /run/systemd-user-restart/reload/*; do
    [ -e "$f" ] && m="$m ${f#/run/systemd-user-restart/}"
done
echo "$* marks=${m# }" >> /var/log/sur-stub.log
case " $* " in
    *" --dry-run "*) ;;
    *) [ -e /etc/sur-stub-keep-marks ] ||
           rm -f /run/systemd-user-restart/restart/* /run/systemd-user-restart/reload/* ;;
esac
sleep 0.02
[ ! -e /etc/sur-stub-fail ] || exit 3
STUB
SUR_SRCDIR=$fake "$repo/rpm/build-rpm.sh" "$work/rpms" >/dev/null
tool=$(ls "$work"/rpms/systemd-user-restart-[0-9]*.noarch.rpm)
t=$work/rpms
check "only the jars the manifest names are packaged" \
    "/usr/share/systemd-user-restart/lib/placeholder.jar" "$(rpm -qpl "$tool" | grep '/lib/.*\.jar$')"
check "the sandbox is in its own subpackage, not in the tool's" \
    "/usr/share/systemd-user-restart/systemd-user-restart-sandbox.jar|" \
    "$(rpm -qpl "$t"/systemd-user-restart-sandbox-[0-9]*.noarch.rpm | grep '\.jar$' || :)|$(rpm -qpl "$tool" | grep sandbox || :)"

rpmflags=(--dbpath /var/lib/rpm)
# Debian's rpm warns against installing packages unless told it is deliberate; only the
# install modes know the option.
force=()
if [[ $(rpm --help 2>/dev/null) == *--force-debian* ]]; then force=(--force-debian); fi

# --- Build-time checks -----------------------------------------------------------------
# Optional man page and completion are packaged when the Maven build made them.
full=$work/tree-full
cp -a "$fake" "$full"
mkdir -p "$full/target/man" "$full/target/completion"
echo '.TH SYSTEMD-USER-RESTART 8' > "$full/target/man/systemd-user-restart.8"
echo 'complete -F _sur systemd-user-restart' > "$full/target/completion/systemd-user-restart"
SUR_SRCDIR=$full "$repo/rpm/build-rpm.sh" "$work/full" >/dev/null
# The listing is read whole first: a pipeline that a reader ends early (grep -q, head) fails
# under pipefail when rpm is still writing and gets SIGPIPE.
full_files=$(rpm -qpl "$work"/full/systemd-user-restart-[0-9]*.rpm)
check "optional files packaged when present" \
    "/usr/share/bash-completion/completions/systemd-user-restart yes" \
    "$(grep -E 'completions/' <<<"$full_files") $(grep -c 'man8/systemd-user-restart.8' <<<"$full_files" | sed 's/^1$/yes/')"
check "optional files absent otherwise" "" "$(rpm -qpl "$tool" | grep -E 'completions/|man8/' || :)"
check "macros are in the -rpm-macros subpackage" \
    "$(rpm --eval '%{?_rpmmacrodir}%{!?_rpmmacrodir:%{_rpmconfigdir}/macros.d}')/macros.systemd-user-restart" \
    "$(rpm -qpl "$work"/rpms/systemd-user-restart-rpm-macros-[0-9]*.rpm | grep macros.d/)"

# The opt-in file routes systemd's names to ours only when it is installed: rpm reads
# macros.d in sorted order, so a stand-in macros.systemd in the same folder loads first.
md=$work/macros.d
mkdir -p "$md"
cat > "$md/macros.systemd" <<'SYSTEMD'
%systemd_user_postun_with_restart() if [ $1 -ge 1 ]; then systemd-update-helper mark-restart-user-units %{?*} || :; fi
SYSTEMD
cp "$repo/rpm/macros.systemd-user-restart" "$md/"
expand_systemd() { rpm --macros "$(rpm --eval '%{_rpmconfigdir}')/macros:$md/macros.*" --eval '%systemd_user_postun_with_restart a.service' | grep -c "$1" || :; }
check "without the opt-in file, systemd's macro is untouched" "1 0" "$(expand_systemd update-helper) $(expand_systemd /run/systemd-user-restart/restart/)"
cp "$repo/rpm/macros.systemd-user-restart-systemd" "$md/"
check "with the opt-in file, systemd's macro writes our mark" "0 1" "$(expand_systemd update-helper) $(expand_systemd 'true > "/run/systemd-user-restart/restart/')"

# --- Throwaway root ---------------------------------------------------------------------
mkroot() { # DIR SHELL
    local r=$1 b f l
    mkdir -p "$r"/usr/bin "$r"/usr/lib "$r"/usr/lib64 "$r"/var/lib/rpm "$r"/var/log \
        "$r"/var/tmp "$r"/tmp "$r"/etc "$r"/dev "$r"/run/systemd/system
    ln -s usr/bin "$r/bin"; ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
    for b in "$2" mkdir rm sleep; do
        f=$(command -v "$b")
        cp -L "$f" "$r/usr/bin/${b##*/}"
        for l in $(ldd "$f" | grep -o '/[^ ]*'); do
            mkdir -p "$r${l%/*}"; cp -L "$l" "$r$l"
        done
    done
    ln -s "${2##*/}" "$r/usr/bin/sh"
    # Scriptlets redirect to /dev/null; a plain file serves where mknod is not allowed.
    mknod -m 666 "$r/dev/null" c 1 3 2>/dev/null || : > "$r/dev/null"
    rpm --root "$r" "${rpmflags[@]}" --initdb
}

marks() { # ROOT: the marks left, one line
    local f m=
    for f in "$1"/run/systemd-user-restart/*/*; do [ -e "$f" ] && m="$m ${f#"$1"/run/systemd-user-restart/}"; done
    echo "${m# }"
}

step() { # ROOT DESCRIPTION RPM-ARGS... : runs one transaction, shows what fired
    local r=$1 d=$2 rc=0; shift 2
    : > "$r/var/log/sur-stub.log"; : > "$r/var/log/sur-trigger-probe.log"
    rpm --root "$r" "${rpmflags[@]}" "${force[@]}" "$@" --nodeps >"$work/rpm.out" 2>&1 || rc=$?
    echo "--- $d: rpm $* -> exit $rc"
    sed 's/^/    probe: /' "$r/var/log/sur-trigger-probe.log"
    sed 's/^/    tool:  /' "$r/var/log/sur-stub.log"
    grep -v 'Alien\|assuming you know' "$work/rpm.out" | sed 's/^/    rpm:   /' || :
    check "$d: rpm exit status" 0 "$rc"
}
stub_log() { cat "$1/var/log/sur-stub.log"; }
probe_fired() { sed 's/ .*//' "$1/var/log/sur-trigger-probe.log" | tr '\n' ' ' | sed 's/ $//'; }

run_suite() { # SHELL
    local sh=$1 r=$work/root-${1##*/}
    echo "=== /bin/sh is ${sh##*/}"
    mkroot "$r" "$sh"

    step "$r" "install tool, probe, sur-test-app 1 in one transaction" \
        -i "$tool" "$t/sur-trigger-probe-1-1.noarch.rpm" "$t/sur-test-app-1-1.noarch.rpm"
    check "same-transaction install: in-trigger ran the tool once" "--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"
    check "same-transaction install: triggers run after %posttrans" \
        "posttrans(sur-trigger-probe) in-900899-both in-100-both" "$(probe_fired "$r")"

    step "$r" "upgrade sur-test-app 1->2" -U "$t/sur-test-app-2-1.noarch.rpm"
    check "upgrade: one run, which sees the %postun mark" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service" "$(stub_log "$r")"
    check "upgrade: in before postun, high before low; two-prefix postun not fired for /usr" \
        "in-900899-both in-100-both postun-1000099-usr postun-9999-usr" "$(probe_fired "$r")"
    check "upgrade: in-trigger saw the mark (so %postun ran before it)" \
        "in-900899-both args=0 files= /usr/lib/systemd/user/sur-test-app.service marks= restart/sur-test-app.service" \
        "$(head -n1 "$r/var/log/sur-trigger-probe.log")"
    check "upgrade: no mark left" "" "$(marks "$r")"

    step "$r" "install sur-test-other 1" -i "$t/sur-test-other-1-1.noarch.rpm"
    step "$r" "upgrade sur-test-other 1->2 (no macro)" -U "$t/sur-test-other-2-1.noarch.rpm"
    check "upgrade without macro: one run (reexec), no mark" "--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"

    step "$r" "install sur-test-etc 1" -i "$t/sur-test-etc-1-1.noarch.rpm"
    check "install /etc unit: in-trigger fired" "in-900899-both in-100-both" "$(probe_fired "$r")"
    step "$r" "upgrade sur-test-etc 1->2" -U "$t/sur-test-etc-2-1.noarch.rpm"
    check "upgrade /etc unit: one run with the reload mark" \
        "--all-users --quiet --reexec=needed marks=reload/sur-test-etc.service" "$(stub_log "$r")"
    check "upgrade /etc unit: per-prefix postun fired; two-prefix postun fired (first prefix)" \
        "in-900899-both in-100-both postun-1000099-etc postun-9999-etc postun-5000-both" "$(probe_fired "$r")"

    touch "$r/etc/sur-trigger-probe-late-mark"
    step "$r" "reinstall sur-test-app 2, a later trigger marks sur-late.service" \
        -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    check "late mark: main run, then postun 9999 restarts it without a second reexec" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service
--all-users --quiet --no-reexec marks=restart/sur-late.service" "$(stub_log "$r")"
    rm -f "$r/etc/sur-trigger-probe-late-mark"

    touch "$r/etc/sur-stub-fail"
    step "$r" "reinstall sur-test-app 2 while the tool fails" -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    check "failing tool: ran once, transaction still succeeded" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service" "$(stub_log "$r")"
    touch "$r/etc/sur-trigger-probe-late-mark"
    step "$r" "reinstall sur-test-app 2 while the tool fails, a later trigger marks sur-late.service" \
        -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    check "late mark after a failed run: postun 9999 reexecs again, never --no-reexec" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service
--all-users --quiet --reexec=needed marks=restart/sur-late.service" "$(stub_log "$r")"
    rm -f "$r/etc/sur-stub-fail" "$r/etc/sur-trigger-probe-late-mark"

    step "$r" "erase sur-test-app" -e sur-test-app
    check "erase: one run (postun 1000099), no mark" "--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"
    check "erase /usr unit: which triggers fired" "postun-1000099-usr postun-9999-usr" "$(probe_fired "$r")"

    step "$r" "erase sur-test-other and sur-test-etc (both prefixes)" -e sur-test-other sur-test-etc
    check "erase in both prefixes: still one run" "--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"
    check "erase in both prefixes: which triggers fired" \
        "postun-1000099-usr postun-1000099-etc postun-9999-usr postun-9999-etc postun-5000-both" "$(probe_fired "$r")"

    step "$r" "install sur-test-app 1 and sur-test-etc 1" -i "$t/sur-test-app-1-1.noarch.rpm" "$t/sur-test-etc-1-1.noarch.rpm"
    step "$r" "upgrade sur-test-app and sur-test-etc in one transaction" \
        -U "$t/sur-test-app-2-1.noarch.rpm" "$t/sur-test-etc-2-1.noarch.rpm"
    check "two upgrades in one transaction: one run with both marks" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service reload/sur-test-etc.service" "$(stub_log "$r")"

    step "$r" "erase sur-test-etc alone" -e sur-test-etc
    check "erase /etc unit: one run (postun 1000099 /etc)" "--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"
    check "erase /etc unit: which triggers fired" "postun-1000099-etc postun-9999-etc postun-5000-both" "$(probe_fired "$r")"
    step "$r" "install sur-test-etc 1" -i "$t/sur-test-etc-1-1.noarch.rpm"
    touch "$r/etc/sur-trigger-probe-late-mark"
    step "$r" "upgrade sur-test-etc 1->2, a later trigger marks sur-late.service" -U "$t/sur-test-etc-2-1.noarch.rpm"
    check "late mark, /etc: postun 9999 /etc restarts it without a second reexec" \
        "--all-users --quiet --reexec=needed marks=reload/sur-test-etc.service
--all-users --quiet --no-reexec marks=restart/sur-late.service" "$(stub_log "$r")"
    rm -f "$r/etc/sur-trigger-probe-late-mark"

    # Degraded: the stamp cannot be written, and the tool leaves the marks. Every trigger
    # then runs the tool in full; slower, still correct, and the transaction succeeds.
    rm -f "$r/run/systemd-user-restart.rpm-transaction"
    mkdir "$r/run/systemd-user-restart.rpm-transaction"
    touch "$r/etc/sur-stub-keep-marks"
    step "$r" "reinstall sur-test-app 2, stamp unwritable, marks kept" -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    check "stamp unwritable: in, postun 1000099 and postun 9999 each run in full" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service
--all-users --quiet --reexec=needed marks=restart/sur-test-app.service
--all-users --quiet --reexec=needed marks=restart/sur-test-app.service" "$(stub_log "$r")"
    rm -rf "$r/etc/sur-stub-keep-marks" "$r/run/systemd-user-restart.rpm-transaction" "$r/run/systemd-user-restart"

    # One process, two transactions (as PackageKit, dnf5daemon, python-rpm): the stamp has
    # the same parent both times (and no /proc here, so the PID alone), yet the second,
    # erase-only transaction still runs the tool.
    two_transactions "$r"

    # --notriggers: the mark stays for a later run (how to inspect it with --dry-run).
    step "$r" "reinstall sur-test-app 2 with --notriggers" -U --replacepkgs --notriggers "$t/sur-test-app-2-1.noarch.rpm"
    check "--notriggers: no run, the mark stays" " restart/sur-test-app.service" "$(stub_log "$r") $(marks "$r")"
    step "$r" "reinstall sur-test-app 2" -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    check "next transaction takes the waiting mark" "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service" "$(stub_log "$r")"

    # No systemd: the macro is a no-op and the triggers do not start the tool.
    mv "$r/run/systemd" "$r/run/systemd.off"
    step "$r" "no systemd: reinstall sur-test-app 2" -U --replacepkgs "$t/sur-test-app-2-1.noarch.rpm"
    step "$r" "no systemd: erase sur-test-app" -e sur-test-app
    check "no systemd: no run" "" "$(stub_log "$r")"
    check "no systemd: no mark" "" "$(marks "$r")"
    mv "$r/run/systemd.off" "$r/run/systemd"

    # Tool absent: marks are written and wait for the next run.
    step "$r" "install sur-test-app 1" -i "$t/sur-test-app-1-1.noarch.rpm"
    step "$r" "erase the tool" -e systemd-user-restart
    check "erasing the tool: its own triggers do not run" "" "$(stub_log "$r")"
    step "$r" "no tool: upgrade sur-test-app 1->2" -U "$t/sur-test-app-2-1.noarch.rpm"
    check "no tool: the mark waits" "restart/sur-test-app.service" "$(marks "$r")"
    # rpm runs a newly installed package's %transfiletriggerin for matching files that
    # are already installed, so installing the tool acts on waiting marks at once.
    step "$r" "install the tool again" -i "$tool"
    check "installing the tool: its in-trigger runs for installed units, takes the mark" \
        "--all-users --quiet --reexec=needed marks=restart/sur-test-app.service" "$(stub_log "$r")"
    check "installing the tool: no mark left" "" "$(marks "$r")"

    measure "$r"
}

two_transactions() { # ROOT
    local r=$1 rc=0
    if ! /usr/bin/python3 -c 'import rpm' 2>/dev/null; then
        fail "two transactions in one process: python3-rpm is missing (.ci/setup installs it)"
        return
    fi
    step "$r" "install sur-test-other 1" -i "$t/sur-test-other-1-1.noarch.rpm"
    : > "$r/var/log/sur-stub.log"; : > "$r/var/log/sur-trigger-probe.log"
    "$here/rpm-transactions.py" "$r" /var/lib/rpm upgrade "$t/sur-test-other-2-1.noarch.rpm" \
        -- erase sur-test-other >"$work/rpm.out" 2>&1 || rc=$?
    echo "--- python-rpm: upgrade sur-test-other 1->2, then erase it -> exit $rc"
    sed 's/^/    probe: /' "$r/var/log/sur-trigger-probe.log"
    sed 's/^/    tool:  /' "$r/var/log/sur-stub.log"
    check "two transactions in one process: both succeed" 0 "$rc"
    check "two transactions in one process: the triggers fire as with rpm, twice" \
        "in-900899-both in-100-both postun-1000099-usr postun-9999-usr postun-1000099-usr postun-9999-usr" \
        "$(probe_fired "$r")"
    check "two transactions in one process: each runs the tool with its reexec" \
        "--all-users --quiet --reexec=needed marks=
--all-users --quiet --reexec=needed marks=" "$(stub_log "$r")"
}

# --- Cost of the marking scriptlet ------------------------------------------------------
loop_us() { # ROOT N COMMAND: microseconds per iteration of COMMAND in one chrooted shell
    local t0 t1
    t0=$(date +%s%N)
    chroot "$1" /bin/sh -c "i=0; while [ \$i -lt $2 ]; do $3; i=\$((i+1)); done"
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / $2 / 1000 ))
}
measure() { # ROOT
    local r=$1 base body exec0 exec1 first rmmk off
    rpm -qp --qf '%{POSTUN}\n' "$t/sur-test-app-2-1.noarch.rpm" > "$r/tmp/postun.sh"
    : > "$r/tmp/empty.sh"
    mkdir -p "$r/run/systemd-user-restart/restart"
    base=$(loop_us "$r" 5000 'set -- 1; . /tmp/empty.sh')
    # The macro's own work: upgrade, systemd present, folder already there.
    body=$(loop_us "$r" 5000 'set -- 1; . /tmp/postun.sh')
    # As rpm runs it: a new shell per scriptlet.
    exec0=$(loop_us "$r" 300 '/bin/sh /tmp/empty.sh 1')
    exec1=$(loop_us "$r" 300 '/bin/sh /tmp/postun.sh 1')
    # First mark of a boot: the folder is missing, so one mkdir.
    rmmk=$(loop_us "$r" 300 'rm -rf /run/systemd-user-restart')
    first=$(loop_us "$r" 300 'rm -rf /run/systemd-user-restart; set -- 1; . /tmp/postun.sh')
    mv "$r/run/systemd" "$r/run/systemd.off"
    off=$(loop_us "$r" 5000 'set -- 1; . /tmp/postun.sh')
    mv "$r/run/systemd.off" "$r/run/systemd"
    echo "    cost per package (us): macro body $((body - base)); with a new shell $exec1 vs empty scriptlet $exec0;" \
         "first mark of a boot $((first - rmmk)); no systemd $((off - base))"
    # Printed, not asserted: a test never depends on the machine's speed (a busy 2-core machine
    # takes tens of ms to start a shell). The figures are what rpm/README.md quotes.
    rm -rf "$r/run/systemd-user-restart"
}

shells=("$@")
[ ${#shells[@]} -gt 0 ] || shells=(dash bash)
for s in "${shells[@]}"; do
    sh=$(command -v "$s") || { echo "$0: no shell $s" >&2; exit 1; }
    run_suite "$sh"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
