// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import net.userrestart.marks.Mark;

/** One user manager to act on, and the units to restart or reload there. */
public record UserTarget(int uid, String name, Set<Mark> marks) {
  public UserTarget {
    // Sorted: units are restarted and reported in name order, the same on every run.
    marks = Collections.unmodifiableSortedSet(new TreeSet<>(marks));
  }

  /** How logs and reports name this user: "user NAME (UID)". */
  public String label() {
    return "user " + name + " (" + uid + ")";
  }
}
