// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.OptionalInt;

/** UIDs written in decimal, as in /etc/passwd, on the command line and in the mark store. */
public final class Uids {
  private Uids() {}

  /** The UID {@code s} writes, or empty when it is none (or larger than any UID). */
  public static OptionalInt parse(String s) {
    if (!isDigits(s) || s.length() > 10) {
      return OptionalInt.empty();
    }
    long value = Long.parseLong(s);
    return value <= Integer.MAX_VALUE ? OptionalInt.of((int) value) : OptionalInt.empty();
  }

  /** Whether {@code s} is ASCII digits only, and not empty. */
  public static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
