// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

import java.util.Set;

/** The marks pending for each user: every user's and its own. */
@FunctionalInterface
public interface MarksByUser {
  Set<Mark> marks(int uid);
}
