// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Set;
import net.userrestart.marks.Mark;

/** One user manager to act on, and the units to restart or reload there. */
public record UserTarget(int uid, String name, Set<Mark> marks) {
  public UserTarget {
    marks = Set.copyOf(marks);
  }
}
