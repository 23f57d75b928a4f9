// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.time.Duration;

/** A point in monotonic time by which one user manager's work must be done. */
public record Deadline(long nanos) {

  /** The deadline {@code budget} from now. */
  public static Deadline in(Duration budget) {
    return new Deadline(System.nanoTime() + budget.toNanos());
  }

  /** Time left, never negative. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
  }

  public long remainingMillis() {
    return remaining().toMillis();
  }

  public boolean expired() {
    return nanos - System.nanoTime() <= 0;
  }

  /** The shorter of {@code cap} and the time left. */
  public Duration cap(Duration cap) {
    Duration left = remaining();
    return left.compareTo(cap) < 0 ? left : cap;
  }
}
