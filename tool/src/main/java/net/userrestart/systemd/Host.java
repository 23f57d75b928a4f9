// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** The machine the tool runs on: what it is booted with, who we are, and the ports to systemd. */
public interface Host {

  /**
   * Why there is nothing to do here (not booted with systemd, a chroot, SYSTEMD_OFFLINE=1, no system
   * bus, no machine ID), or empty when user managers may be running.
   */
  Optional<String> offlineReason();

  /** Whether we run as root, which the user managers' sockets require. */
  boolean isRoot();

  /** Connects to PID 1 within {@code timeout}. */
  SystemManager systemManager(Duration timeout) throws SystemdException;

  /** Opens connections to user managers; closed by the caller when the run ends. */
  UserManagerConnector userManagers();

  /** The user name of {@code uid}, or the number when it has none. */
  String userName(int uid);

  /** The UID of a user name or number; empty when there is no such user. */
  OptionalInt userId(String nameOrUid);

  /** The number of CPUs this process may use. */
  int cpus();
}
