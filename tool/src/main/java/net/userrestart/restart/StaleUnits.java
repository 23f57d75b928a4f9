// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The user units whose processes still run replaced files, which {@code --stale} restarts too.
 * The stale scan implements it; the restart only asks, so that it does not depend on how.
 */
@FunctionalInterface
public interface StaleUnits {
  /**
   * The stale units of each of {@code uids} that has any, by UID; each name a valid unit name.
   *
   * @throws IOException when they cannot be looked for (no /proc)
   */
  Map<Integer, Set<String>> find(Set<Integer> uids) throws IOException;

  /** Finds none: for runs without {@code --stale}. */
  static StaleUnits none() {
    return uids -> Map.of();
  }
}
