// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

/** Opens connections to user managers; a port so that planning and running can be tested. */
public interface UserManagerConnector extends AutoCloseable {

  /**
   * Connects to user {@code uid}'s manager and returns once it has answered a first call; retries
   * while the manager is not (yet) reachable, until {@code deadline}.
   */
  UserManager connect(int uid, Deadline deadline) throws SystemdException;

  /** Releases what the connector holds across connections. */
  @Override
  default void close() {}
}
