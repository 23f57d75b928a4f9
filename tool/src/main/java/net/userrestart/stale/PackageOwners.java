// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Which installed packages own files now: the package database, asked once for all paths. */
@FunctionalInterface
public interface PackageOwners {
  /**
   * The owners of each path that has any, as NAME-VERSION-RELEASE.ARCH; empty when there is no
   * package database to ask.
   */
  Optional<Map<String, List<String>>> owners(Collection<String> paths);

  /** No package database. */
  static PackageOwners none() {
    return paths -> Optional.empty();
  }
}
