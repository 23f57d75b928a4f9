// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

/** Opens connections to user managers; a port so that planning and running can be tested. */
public interface UserManagerConnector extends AutoCloseable {

  /**
   * Connects to user {@code uid}'s manager and returns once it has answered a first call; retries
   * while the manager is not (yet) reachable, until {@code deadline}.
   */
  UserManager connect(int uid, Deadline deadline) throws SystemdException;

  /**
   * Re-executes user {@code uid}'s manager through PID 1: reloads {@code user@UID.service} on
   * PID 1's own socket and waits for the job, by {@code deadline}. Only where {@link
   * SystemManager#reloadReexecutes} says a reload is a re-exec. No user-owned socket is used.
   */
  default void reexecThroughPid1(int uid, Deadline deadline) throws SystemdException {
    throw new SystemdException(
        SystemdException.Kind.FAILED, "reexecute", "no re-exec through PID 1 here");
  }

  /** Releases what the connector holds across connections. */
  @Override
  default void close() {}
}
