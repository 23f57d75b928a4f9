// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.List;

/**
 * Everything a run will do, computed before anything is done.
 *
 * @param users the user managers to act on, in UID order
 * @param absent requested users that run no active manager, reported as skipped
 * @param action what is done to each manager first
 * @param enqueueMarked whether units marked with systemd's own Markers= are restarted too
 * @param timeout the deadline of each user manager, from connect to the last job
 * @param jobs how many user managers are worked on at once
 * @param dryRun report what would be done, change nothing
 */
public record Plan(
    List<UserTarget> users,
    List<UserTarget> absent,
    ManagerAction action,
    boolean enqueueMarked,
    Duration timeout,
    int jobs,
    boolean dryRun) {
  public Plan {
    users = List.copyOf(users);
    absent = List.copyOf(absent);
  }
}
