// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import net.userrestart.log.Log;
import net.userrestart.marks.MarkStore;
import net.userrestart.marks.MarkStoreException;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Plan;
import net.userrestart.restart.Restarter;
import net.userrestart.restart.UserWorker;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemManager;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UserManagerConnector;

/**
 * The steps the restart and list commands share, each mapping its failure to the exit code the
 * README documents: whether there is anything to do here, asking PID 1, reading the mark store,
 * working on the user managers.
 */
final class Steps {
  /** The default of --jobs, per CPU: fewer were measured slower (the managers' work is CPU). */
  static final int JOBS_PER_CPU = 8;

  private Steps() {}

  /**
   * False (after saying why) where there is nothing to do: not booted with systemd, a chroot,
   * $SYSTEMD_OFFLINE… Not being root is an error: only root reaches every user's manager.
   */
  static boolean online(Host host, Log log) {
    Optional<String> offline = host.offlineReason();
    if (offline.isPresent()) {
      log.notice(offline.get() + ", nothing to do.");
      return false;
    }
    if (!host.isRoot()) {
      throw new ExitException(
          ExitCodes.NOT_PERMITTED, "must be run as root: only root may reach every user's manager");
    }
    return true;
  }

  static SystemManager connect(Host host, Duration timeout) {
    try {
      return host.systemManager(timeout);
    } catch (SystemdException e) {
      throw unavailable(e);
    }
  }

  /**
   * The active user managers, in UID order, with their user names, and the users whose marks are
   * kept: those and the managers still starting.
   */
  record Managers(Map<Integer, String> active, Set<Integer> kept) {}

  /** The user managers as PID 1 lists them; PID 1 let go. */
  static Managers managers(Host host, Duration timeout) {
    try (SystemManager pid1 = connect(host, timeout)) {
      Map<Integer, String> active = activeManagers(host, pid1);
      Set<Integer> kept = new TreeSet<>(active.keySet());
      kept.addAll(pid1.startingUserManagers());
      return new Managers(active, kept);
    } catch (SystemdException e) {
      throw unavailable(e);
    }
  }

  /** The UIDs of the active user managers, in order, with their user names. */
  static Map<Integer, String> activeManagers(Host host, SystemManager pid1) {
    try {
      Map<Integer, String> active = new LinkedHashMap<>();
      for (int uid : pid1.activeUserManagers()) {
        active.put(uid, host.userName(uid));
      }
      return active;
    } catch (SystemdException e) {
      throw unavailable(e);
    }
  }

  static ExitException unavailable(SystemdException e) {
    return new ExitException(
        ExitCodes.UNAVAILABLE, "cannot ask PID 1 for the user managers: " + e.getMessage());
  }

  /** Everything pending in the store, warning about what is not a mark. */
  static MarkStore.Pending read(MarkStore store, Log log) {
    try {
      MarkStore.Pending pending = store.read();
      warnInvalid(log, pending.invalid());
      return pending;
    } catch (MarkStoreException e) {
      throw storeError(e);
    }
  }

  static void warnInvalid(Log log, List<String> invalid) {
    for (String bad : invalid) {
      log.warning("ignoring invalid mark " + Users.printable(bad));
    }
  }

  static ExitException storeError(MarkStoreException e) {
    return new ExitException(e.busy() ? ExitCodes.BUSY : ExitCodes.STORE, e.getMessage());
  }

  /** Works on the plan's user managers; {@code finished} sees each outcome as it comes. */
  static List<Outcome> run(Host host, Plan plan, Log log, Consumer<Outcome> finished) {
    try (UserManagerConnector connector = host.userManagers()) {
      return new Restarter(new UserWorker(connector, log)).run(plan, finished);
    }
  }
}
