// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import net.userrestart.marks.Mark;

/**
 * One user manager to act on, and the units to restart or reload there.
 *
 * @param stale the units found running replaced files, to try-restart too ({@code --stale})
 */
public record UserTarget(int uid, String name, Set<Mark> marks, Set<String> stale) {
  public UserTarget {
    // Sorted: units are restarted and reported in name order, the same on every run.
    marks = Collections.unmodifiableSortedSet(new TreeSet<>(marks));
    stale = Collections.unmodifiableSortedSet(new TreeSet<>(stale));
  }

  /** A user with marks only. */
  public UserTarget(int uid, String name, Set<Mark> marks) {
    this(uid, name, marks, Set.of());
  }

  /** How logs and reports name this user: "user NAME (UID)". */
  public String label() {
    return "user " + name + " (" + uid + ")";
  }
}
