# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs as PID 1 of fresh pid, mount, uts, ipc, net and cgroup namespaces, with the sandbox's cgroup
# as the cgroup namespace root. Builds an overlay root over the host's / (or over the OS tree LOWER)
# with a tmpfs upper layer, provisions lingering users and user units in it, pivots into it and
# execs systemd.
#
# Arguments: DROP LOWER USERS FIRST_UID NBINDS BIND... NUNITS (NAME CONTENT)...
# LOWER is / or an OS tree (a directory validated by the caller: no comma, colon or newline).
# DROP is setpriv's --bounding-set list of the capabilities that systemd and everything it starts
# lose (-sys_module,-mknod,...); this script keeps them to make /dev.
# Every mount is made in this private mount namespace: the host sees none of them.
set -eu

fail() {
  echo "sandbox-boot: $*" >&2
  exit 1
}

drop=$1
lower=$2
users=$3
first_uid=$4
shift 4
nbinds=$1
shift
binds=
i=0
while [ "$i" -lt "$nbinds" ]; do
  # Newline-separated: paths were validated by the caller to contain none.
  binds="$binds$1
"
  shift
  i=$((i + 1))
done

lower=${lower%/}
[ -x "$lower/lib/systemd/systemd" ] || fail "${lower:-}/lib/systemd/systemd not found"

# The work area: a tmpfs over a host directory, covered in this namespace only. The directory must
# not hide a path to bind, nor the OS tree: a checkout below /tmp is common.
hidden_bind() {
  printf '%s\n%s' "${lower:-/}" "$binds" | while IFS= read -r path; do
    case "$path/" in "$1"/*)
      echo "$path"
      break
      ;;
    esac
  done
}
work=
for candidate in /tmp /mnt /media /srv /opt /var/tmp; do
  if [ -d "$candidate" ] && [ -z "$(hidden_bind "$candidate")" ]; then
    work=$candidate
    break
  fi
done
[ -n "$work" ] || fail "no directory for the work area that hides no bind path"
mount -t tmpfs -o mode=0755,nosuid,nodev sur-sandbox "$work" || fail "cannot mount tmpfs"
mkdir "$work/upper" "$work/work" "$work/root"
root=$work/root
mount -t overlay -o "lowerdir=${lower:-/},upperdir=$work/upper,workdir=$work/work" sur-sandbox-root "$root" ||
  fail "cannot mount overlay of ${lower:-/} (is overlayfs available?)"

# A / whose /usr is another file system would leave the overlay without systemd.
[ -x "$root/lib/systemd/systemd" ] ||
  fail "the overlay of ${lower:-/} has no /lib/systemd/systemd (is /usr a separate mount?)"

mount -t proc -o nosuid,nodev,noexec proc "$root/proc" || fail "cannot mount /proc"
# The kernel's knobs below /proc are the host's, not the sandbox's: read-only, as container
# managers make them. systemd then cannot raise the host's fs.file-max and fs.nr_open at start-up,
# nor a package's scriptlet write a sysctl or trigger a SysRq. (/proc/sys/net would be this
# namespace's own, but nothing here needs to write it.)
for knob in sys sysrq-trigger irq bus fs acpi apm asound scsi mtrr latency_stats; do
  [ -e "$root/proc/$knob" ] || continue
  mount --bind "$root/proc/$knob" "$root/proc/$knob" &&
    mount -o remount,bind,ro,nosuid,nodev,noexec "$root/proc/$knob" ||
    fail "cannot make /proc/$knob read-only"
done
# Read-only like container managers do: systemd then skips units that need a writable /sys.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys" || fail "cannot mount /sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup" || fail "cannot mount cgroup2"

mount -t tmpfs -o mode=0755,nosuid,size=4m sur-sandbox-dev "$root/dev" || fail "cannot mount /dev"
# Bound from this /dev where mknod is not allowed: in a sandbox inside a sandbox.
devnode() {
  mknod -m 666 "$root/dev/$1" c "$2" "$3" 2>/dev/null ||
    { : >"$root/dev/$1" && mount --bind "/dev/$1" "$root/dev/$1"; } ||
    fail "cannot make /dev/$1"
}
devnode null 1 3
devnode zero 1 5
devnode full 1 7
devnode random 1 8
devnode urandom 1 9
devnode tty 5 0
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
ln -s /proc/kcore "$root/dev/core"
mkdir -m 755 "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
chmod 1777 "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,nosuid,noexec devpts "$root/dev/pts" ||
  fail "cannot mount /dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"

# Fresh /run and /tmp: nothing the host left there leaks in, nothing written here leaks out.
mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"

# Host paths the caller wants to see at the same path, read-only.
printf '%s' "$binds" | while IFS= read -r path; do
  [ -n "$path" ] || continue
  [ -e "$path" ] || fail "bind source $path does not exist"
  if [ -d "$path" ]; then
    mkdir -p "$root$path"
  else
    mkdir -p "$root$(dirname "$path")"
    [ -e "$root$path" ] || : >"$root$path"
  fi
  mount --bind "$path" "$root$path" || fail "cannot bind $path"
  mount -o remount,bind,ro "$root$path" || fail "cannot make $path read-only"
done

cd "$root"
pivot_root . . || fail "pivot_root failed"
umount -l .
cd /

# --- From here on every path is inside the sandbox. ---

# systemd sets the hostname of the new UTS namespace from this.
echo sur-sandbox >/etc/hostname
# A machine id of its own, so the sandbox's journal and bus never claim to be the host.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >/etc/machine-id
echo >>/etc/machine-id

# Host enablements (databases, timers, gettys; gpg-agent sockets for every user manager) are not
# part of this machine: with 100 users each unit a user manager starts costs noticeable boot time.
rm -rf /etc/systemd/system/*.wants /etc/systemd/system/default.target /etc/systemd/user/*.wants
mkdir -p /etc/systemd/system /etc/systemd/system-generators /etc/systemd/user-generators

# Generators would turn fstab, SysV scripts and gettys into units: none are wanted here.
for dir in /usr/lib/systemd/system-generators /lib/systemd/system-generators; do
  [ -d "$dir" ] || continue
  for g in "$dir"/*; do
    [ -e "$g" ] && ln -sf /dev/null "/etc/systemd/system-generators/${g##*/}"
  done
done
for dir in /usr/lib/systemd/user-generators /lib/systemd/user-generators; do
  [ -d "$dir" ] || continue
  for g in "$dir"/*; do
    [ -e "$g" ] && ln -sf /dev/null "/etc/systemd/user-generators/${g##*/}"
  done
done

# Units that need hardware, a console, the network or a writable /sys, or that only slow boot down.
for unit in \
  apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
  console-getty.service getty.target getty-static.service getty@tty1.service \
  container-getty@.service serial-getty@.service autovt@.service \
  cron.service anacron.service anacron.timer atd.service ssh.service ssh.socket sshd.service \
  rsyslog.service syslog.socket networking.service ifupdown-pre.service \
  systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
  systemd-resolved.service systemd-timesyncd.service systemd-time-wait-sync.service \
  systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
  systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-hwdb-update.service \
  dev-hugepages.mount dev-mqueue.mount sys-kernel-config.mount sys-kernel-debug.mount \
  sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service \
  kmod-static-nodes.service systemd-modules-load.service modprobe@.service \
  systemd-sysctl.service systemd-firstboot.service systemd-machine-id-commit.service \
  systemd-random-seed.service systemd-repart.service systemd-pcrphase.service \
  systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service systemd-sysusers.service \
  systemd-tmpfiles-setup-dev.service systemd-tmpfiles-setup.service \
  systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer \
  systemd-update-utmp.service systemd-update-utmp-runlevel.service \
  systemd-journal-flush.service systemd-journal-catalog-update.service \
  systemd-journald-audit.socket systemd-initctl.socket systemd-update-done.service \
  ldconfig.service systemd-ask-password-console.path systemd-ask-password-wall.path \
  systemd-remount-fs.service systemd-fsck-root.service systemd-pstore.service \
  systemd-boot-check-no-failures.service systemd-hostnamed.service \
  cryptsetup.target veritysetup.target integritysetup.target remote-fs.target \
  e2scrub_reap.service e2scrub_all.timer fstrim.timer man-db.timer dpkg-db-backup.timer \
  postgresql.service packagekit.service polkit.service timers.target; do
  ln -sf /dev/null "/etc/systemd/system/$unit"
done

cat >/etc/systemd/system/sandbox.target <<'EOF'
[Unit]
Description=Sandbox of systemd-user-restart
Requires=basic.target
Wants=dbus.socket dbus.service systemd-logind.service systemd-user-sessions.service
After=basic.target dbus.service systemd-logind.service systemd-user-sessions.service
AllowIsolate=yes
EOF
ln -sf sandbox.target /etc/systemd/system/default.target

# Lingering users: logind starts user@UID.service for each of them at boot. Shell builtins only in
# the loop but for one chown per user: 100 users must not cost 100 process spawns each.
mkdir -p /var/lib/systemd/linger /home
end=$((first_uid + users - 1))
taken='$1 ~ /^sur-user[0-9]+$/ || ($3 >= first && $3 <= last) { found = 1 } END { exit !found }'
if awk -F: -v first="$first_uid" -v last="$end" "$taken" /etc/passwd; then
  fail "sur-user* or a uid within $first_uid..$end already exists in /etc/passwd"
fi
# logind starts every lingering user's manager at once, and each one's pam_systemd (as root) keeps
# a connection to logind's Varlink socket open until its session is set up; logind of systemd 262
# refuses more than 128 per UID at once ("Per-UID connection limit of 128 for '0' reached"), and
# the managers past that fail. 252 goes through the system bus, which allows 256.
linger_batch=100
uid=$first_uid
while [ "$uid" -le "$end" ]; do
  n=$((uid - first_uid + 1))
  name=sur-user$n
  echo "$name:x:$uid:$uid:sandbox user $n:/home/$name:/bin/sh" >>/etc/passwd
  echo "$name:x:$uid:" >>/etc/group
  echo "$name:*:19000:0:99999:7:::" >>/etc/shadow
  # Only the first batch lingers from boot (see sur-linger-batches below).
  [ "$n" -gt "$linger_batch" ] || : >"/var/lib/systemd/linger/$name"
  uid=$((uid + 1))
done
if [ "$users" -gt 0 ]; then
  # The names have no spaces or glob characters: splitting the list is safe.
  # shellcheck disable=SC2046
  mkdir -m 0700 $(seq -f '/home/sur-user%.0f' 1 "$users")
  uid=$first_uid
  while [ "$uid" -le "$end" ]; do
    chown "$uid:$uid" "/home/sur-user$((uid - first_uid + 1))"
    uid=$((uid + 1))
  done
fi

# The other users linger in batches, each once the previous batch's managers are up.
if [ "$users" -gt "$linger_batch" ]; then
  mkdir -p /usr/local/sbin
  cat >/usr/local/sbin/sur-linger-batches <<'EOS'
#!/bin/sh
# Arguments: BATCH FIRST_UID LAST_UID. Users up to FIRST_UID+BATCH-1 linger from boot already.
b=$1 f=$2 e=$3
s=$f
while [ "$s" -le "$e" ]; do
  l=$((s + b - 1))
  [ "$l" -le "$e" ] || l=$e
  if [ "$s" -ge $((f + b)) ]; then
    loginctl enable-linger $(seq -f 'sur-user%.0f' $((s - f + 1)) $((l - f + 1))) || true
  fi
  # Waits for the batch's managers (merging with logind's start jobs); failures show in the probe.
  systemctl start $(seq -f 'user@%.0f.service' "$s" "$l") || true
  s=$((l + 1))
done
EOS
  chmod 755 /usr/local/sbin/sur-linger-batches
  cat >/etc/systemd/system/sur-linger-batches.service <<EOS
[Unit]
Description=Lingering the sandbox's users in batches of $linger_batch
Requires=systemd-logind.service
After=systemd-logind.service dbus.service systemd-user-sessions.service
[Service]
Type=oneshot
RemainAfterExit=yes
TimeoutStartSec=infinity
ExecStart=/usr/local/sbin/sur-linger-batches $linger_batch $first_uid $end
EOS
  echo 'Wants=sur-linger-batches.service' >>/etc/systemd/system/sandbox.target
fi

# User units, enabled for every user manager.
nunits=$1
shift
mkdir -p /etc/systemd/user/default.target.wants
i=0
while [ "$i" -lt "$nunits" ]; do
  name=$1
  printf '%s\n' "$2" >"/etc/systemd/user/$name"
  case $name in
  *@.*) ;; # templates need an instance to be enabled
  *) ln -sf "../$name" "/etc/systemd/user/default.target.wants/$name" ;;
  esac
  shift 2
  i=$((i + 1))
done

echo "sandbox-boot: exec systemd" >&2
# systemd and all it starts lose, in their bounding set, what acts on the host's kernel or devices.
exec env -i container=sur-sandbox \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  setpriv --bounding-set "$drop" -- /lib/systemd/systemd --show-status=false
