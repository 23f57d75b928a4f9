// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.List;
import net.userrestart.marks.MarkStore;

/**
 * What the next run would act on, found without changing anything.
 *
 * @param managers the active user managers, in UID order
 * @param marks the pending marks
 */
public record Listing(List<Manager> managers, MarkStore.Pending marks) {
  public Listing {
    managers = List.copyOf(managers);
  }

  /**
   * One active user manager.
   *
   * @param pid its main PID, or 0 when it has none
   * @param probe how reading its units went: {@link Outcome#ok()} when it answered
   * @param pendingActiveUnits the marked units active there, which the next run would restart
   */
  public record Manager(UserTarget user, long pid, Outcome probe, List<String> pendingActiveUnits) {
    public Manager {
      pendingActiveUnits = List.copyOf(pendingActiveUnits);
    }
  }
}
