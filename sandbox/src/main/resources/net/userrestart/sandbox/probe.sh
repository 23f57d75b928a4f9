# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Reports how far a sandbox has booted; boot() runs it until everything is up.
# Arguments: FIRST_UID LAST_UID [UNIT...]
# Prints "system STATE", then "user UID STATE SOCKET" per user, SOCKET being yes once
# /run/user/UID/systemd/private is a socket. Only when every user manager is active with its
# socket and units are named, prints "units UID STATE..." per user, states in the order of UNIT.
first=$1
last=$2
shift 2
echo "system $(systemctl is-system-running 2>/dev/null)"
[ "$last" -ge "$first" ] || exit 0
ready=yes
uid=$first
for state in $(systemctl is-active $(seq -f 'user@%.0f.service' "$first" "$last") 2>/dev/null); do
  sock=no
  [ -S "/run/user/$uid/systemd/private" ] && sock=yes
  { [ "$state" = active ] && [ $sock = yes ]; } || ready=no
  echo "user $uid $state $sock"
  uid=$((uid + 1))
done
[ $ready = yes ] && [ $# -gt 0 ] || exit 0
uid=$first
while [ "$uid" -le "$last" ]; do
  # As the user: systemctl run as root refuses to talk to a manager owned by another uid.
  (
    states=$(XDG_RUNTIME_DIR=/run/user/$uid \
      setpriv --reuid="$uid" --regid="$uid" --clear-groups -- systemctl --user is-active "$@" \
      2>/dev/null)
    echo "units $uid" $states
  ) &
  uid=$((uid + 1))
done
wait
