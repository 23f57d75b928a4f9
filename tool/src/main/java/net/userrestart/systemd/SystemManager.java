// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** PID 1, as far as this tool needs it. */
public interface SystemManager extends AutoCloseable {

  /** The UIDs of the active {@code user@UID.service} units, in ascending order. */
  List<Integer> activeUserManagers() throws SystemdException;

  /**
   * The UIDs of the {@code user@UID.service} units still starting (activating, refreshing, or
   * waiting to restart), in ascending order: not worked on, but their marks are kept for them.
   */
  default List<Integer> startingUserManagers() throws SystemdException {
    return List.of();
  }

  /**
   * The main PID of each {@code user@UID.service} of {@code uids}, all asked at once; a UID is
   * missing where PID 1 gave none (no such unit, no main PID). Throws when PID 1 does not answer.
   */
  Map<Integer, Long> managerPids(Collection<Integer> uids) throws SystemdException;

  @Override
  void close();
}
