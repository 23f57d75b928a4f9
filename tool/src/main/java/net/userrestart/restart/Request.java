// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the command line asks for, already validated.
 *
 * @param users the users asked for, or empty for every user (--all-users)
 * @param units units to try-restart besides the marked ones
 */
public record Request(
    Optional<List<UserTarget>> users,
    List<String> units,
    ManagerAction action,
    boolean enqueueMarked,
    Duration timeout,
    int jobs,
    boolean dryRun) {
  /** The default of {@code jobs}, per CPU: fewer were measured slower (managers' work is CPU). */
  public static final int JOBS_PER_CPU = 8;

  public Request {
    users = users.isPresent() ? Optional.of(List.copyOf(users.get())) : users;
    units = List.copyOf(units);
  }
}
