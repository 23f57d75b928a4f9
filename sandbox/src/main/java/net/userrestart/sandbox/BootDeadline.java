// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.time.Duration;

/** A point in monotonic time by which boot must be done. */
record BootDeadline(long nanos) {
  boolean expired() {
    return System.nanoTime() - nanos > 0;
  }

  Duration cap(Duration max) {
    long left = Math.max(1_000_000, nanos - System.nanoTime());
    return left < max.toNanos() ? Duration.ofNanos(left) : max;
  }

  void check(String what) {
    if (expired()) {
      throw new SandboxException("boot timed out: " + what);
    }
  }
}
