// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the stale command reports.
 *
 * @param managers how many user managers were looked at
 * @param units the stale units, by UID, each manager before its units
 * @param packagesKnown whether a package database was asked for the files' owners
 * @param marksKnown whether the mark store could be read
 * @param omitted stale units left out of {@code units} (beyond the bound per user)
 * @param processes the processes of the managers' units looked at
 * @param vanished processes that exited or moved while they were read, left out
 * @param truncated processes whose maps exceeded the bound and were read in part
 */
public record StaleResult(
    int managers,
    List<StaleUnit> units,
    boolean packagesKnown,
    boolean marksKnown,
    int omitted,
    int processes,
    int vanished,
    int truncated) {
  public StaleResult {
    units = List.copyOf(units);
  }

  /** The user units (not managers) that run replaced files. */
  public int staleUnits() {
    return (int) units.stream().filter(u -> u.remedy() == Remedy.RESTART).count() + omitted;
  }

  /** The users with at least one such unit. */
  public int staleUsers() {
    Set<Integer> uids = new HashSet<>();
    units.stream().filter(u -> u.remedy() == Remedy.RESTART).forEach(u -> uids.add(u.uid()));
    return uids.size();
  }

  /** The user managers that run replaced files and need a re-exec. */
  public int managersToReexec() {
    return (int) units.stream().filter(u -> u.remedy() == Remedy.REEXEC).count();
  }
}
