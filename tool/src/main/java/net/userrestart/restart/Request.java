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
 * @param stale whether the units that run replaced files are try-restarted too ({@code --stale})
 */
public record Request(
    Optional<List<UserTarget>> users,
    List<String> units,
    ManagerAction action,
    boolean enqueueMarked,
    Duration timeout,
    int jobs,
    boolean dryRun,
    boolean stale) {
  /** The default of {@code jobs}, per CPU: fewer were measured slower (managers' work is CPU). */
  public static final int JOBS_PER_CPU = 8;

  public Request {
    users = users.isPresent() ? Optional.of(List.copyOf(users.get())) : users;
    units = List.copyOf(units);
  }

  /** The same request, with {@code --stale} or without. */
  public Request withStale(boolean stale) {
    return new Request(users, units, action, enqueueMarked, timeout, jobs, dryRun, stale);
  }
}
