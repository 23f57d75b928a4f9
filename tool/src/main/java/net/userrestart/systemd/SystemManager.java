// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.List;

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

  /** The main PID of {@code user@UID.service}, or 0 when it has none. */
  long managerPid(int uid) throws SystemdException;

  @Override
  void close();
}
