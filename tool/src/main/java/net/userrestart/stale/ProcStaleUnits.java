// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.userrestart.restart.StaleUnits;

/**
 * The stale scan as a restart run uses it: the units to try-restart for {@code --stale}, and the
 * one-line summary that a trigger run prints when units are left running replaced files. Neither
 * asks the package database: only /proc is read, at a cost bounded by the number of processes.
 */
public final class ProcStaleUnits implements StaleUnits {
  private final ProcScanner scanner;

  public ProcStaleUnits(ProcScanner scanner) {
    this.scanner = scanner;
  }

  /**
   * The services: not the managers (a re-exec is the restart's own first step), nor scopes, which
   * hold processes a user started (an application, a shell) and cannot be restarted.
   */
  @Override
  public Map<Integer, Set<String>> find(Set<Integer> uids) throws IOException {
    Map<Integer, Set<String>> units = new TreeMap<>();
    for (Found f : scan(uids).units()) {
      if (f.remedy() == Remedy.RESTART && f.unit().endsWith(".service")) {
        units.computeIfAbsent(f.uid(), k -> new TreeSet<>()).add(f.unit());
      }
    }
    return units;
  }

  /**
   * "N user services of M users still run replaced files; see …", or empty when none does. The
   * units are counted as the stale command counts them, scopes included.
   *
   * @throws IOException when /proc cannot be listed
   */
  public Optional<String> summary(Set<Integer> uids) throws IOException {
    Scan scan = scan(uids);
    Set<Integer> users = new HashSet<>();
    int units = scan.omitted();
    for (Found f : scan.units()) {
      if (f.remedy() == Remedy.RESTART) {
        units++;
        users.add(f.uid());
      }
    }
    if (units == 0) {
      return Optional.empty();
    }
    return Optional.of(
        units + (units == 1 ? " user service of " : " user services of ") + users.size()
            + (users.size() == 1 ? " user" : " users")
            + (units == 1 ? " still runs" : " still run")
            + " replaced files; see `systemd-user-restart stale`");
  }

  /*
   * The managers' PIDs are not known here: 0 leaves the processes in their init.scope out, so the
   * managers themselves are neither restarted nor counted.
   */
  private Scan scan(Set<Integer> uids) throws IOException {
    Map<Integer, Long> managers = new LinkedHashMap<>();
    for (int uid : uids) {
      managers.put(uid, 0L);
    }
    return scanner.scan(managers);
  }
}
