// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.List;

/**
 * What one scan of /proc found.
 *
 * @param units the stale units, by UID, the manager first, then by unit name
 * @param processes the processes looked at in the user managers' units
 * @param vanished processes that exited or moved while read, left out
 * @param truncated processes whose maps were larger than the bound, read in part
 * @param omitted stale units beyond {@link Limits#unitsPerUser}, counted only
 */
public record Scan(List<Found> units, int processes, int vanished, int truncated, int omitted) {
  public Scan {
    units = List.copyOf(units);
  }
}
