// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.IntFunction;

/**
 * User names for labels of the report and the logs, for users missing from /etc/passwd: asked of
 * NSS (sssd, LDAP, systemd-homed…) with a short wait. Names are labels only, never checked
 * against anything, so a lookup that is slow costs the name, not the run: the number stands in,
 * and once one lookup has outlived its wait, the rest of the run uses numbers without asking.
 */
final class UserNames {
  /* Longer than any user name a directory serves; a name is one label of one report line. */
  private static final int MAX_NAME = 64;

  private final Lookups lookups = new Lookups();
  private final IntFunction<String> nss;
  private final Duration wait;
  private volatile boolean unanswered;

  /** {@code nss} returns a UID's name, or null when it has none; it may block. */
  UserNames(IntFunction<String> nss, Duration wait) {
    this.nss = nss;
    this.wait = wait;
  }

  /** The name NSS gives {@code uid}, if it gave one in time and it is fit to print. */
  Optional<String> of(int uid) {
    if (unanswered) {
      return Optional.empty();
    }
    Optional<String> name;
    try {
      name = lookups.until(System.nanoTime() + wait.toNanos(), () -> nss.apply(uid));
      if (name.isEmpty()) {
        unanswered = true;
        return Optional.empty();
      }
    } catch (ExecutionException e) {
      return Optional.empty();
    }
    return name.filter(n -> printable(n) && !n.equals(Integer.toString(uid)));
  }

  /* Visible ASCII, as user names are; anything else would reach a terminal or the journal. */
  private static boolean printable(String name) {
    if (name.isEmpty() || name.length() > MAX_NAME) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) <= ' ' || name.charAt(i) > '~') {
        return false;
      }
    }
    return true;
  }
}
