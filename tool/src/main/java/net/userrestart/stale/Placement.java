// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.Optional;
import java.util.Set;
import net.userrestart.systemd.UnitName;
import net.userrestart.systemd.Uids;

/**
 * Where a process runs, read from its /proc/PID/cgroup: the UID of the user manager whose cgroup
 * holds it, and the user unit below that manager. PID 1 created the cgroups down to
 * {@code user@UID.service}; below it the user may create any name, so the unit is only taken
 * when it is a valid unit name.
 */
public record Placement(int uid, String unit) {
  /** The user manager's own scope, where systemd --user runs. */
  public static final String MANAGER_SCOPE = "init.scope";

  public boolean inManagerScope() {
    return unit.equals(MANAGER_SCOPE);
  }

  /**
   * The placement {@code cgroupFile} (the text of /proc/PID/cgroup) gives, when the process runs in
   * a user unit of one of {@code uids}; empty for anything else (system services, sessions, kernel
   * threads, odd or foreign paths).
   */
  public static Optional<Placement> parse(String cgroupFile, Set<Integer> uids) {
    String[] paths = systemdPaths(cgroupFile);
    if (paths == null) {
      return Optional.empty();
    }
    Optional<Placement> unified = parsePath(paths[0], uids);
    Optional<Placement> named = parsePath(paths[1], uids);
    if (unified.isPresent()
        && named.isPresent()
        && (unified.get().uid() != named.get().uid() || !unified.get().unit().equals(named.get().unit()))) {
      return Optional.empty(); // two answers: none is trusted
    }
    return unified.isPresent() ? unified : named;
  }

  private static Optional<Placement> parsePath(String path, Set<Integer> uids) {
    if (path == null || !path.startsWith("/")) {
      return Optional.empty();
    }
    String[] parts = path.substring(1).split("/", -1);
    int i = skipSlices(parts, 0);
    if (i >= parts.length) {
      return Optional.empty();
    }
    Integer uid = managerUid(parts[i], uids);
    if (uid == null) {
      return Optional.empty();
    }
    i = skipSlices(parts, i + 1);
    if (i >= parts.length) {
      return Optional.empty(); // in the manager's cgroup itself or a slice: no unit
    }
    String unit = unescape(parts[i]);
    if (UnitName.problem(unit) != null) {
      return Optional.empty();
    }
    return Optional.of(new Placement(uid, unit));
  }

  /*
   * The paths in the unified hierarchy ("0::/path") and in systemd's named one of a legacy or
   * hybrid system ("1:name=systemd:/path"), either null. Which one systemd uses depends on how it
   * was booted (in a container, the other can be there and stale), so both are read; in hybrid
   * mode they agree. The kernel prints cgroup names unescaped, and below the user manager a user
   * may name a cgroup anything, newlines included: a file with a line that is not
   * "ID:CONTROLLERS:/PATH", or with either line twice, is not attributed at all.
   */
  private static String[] systemdPaths(String file) {
    String[] paths = new String[2];
    for (String line : file.split("\n")) {
      int first = line.indexOf(':');
      int second = first < 0 ? -1 : line.indexOf(':', first + 1);
      if (first <= 0 || second < 0 || !Uids.isDigits(line.substring(0, first))
          || !line.startsWith("/", second + 1)) {
        return null;
      }
      String controllers = line.substring(first + 1, second);
      int which = line.startsWith("0::") ? 0 : controllers.equals("name=systemd") ? 1 : -1;
      if (which >= 0) {
        if (paths[which] != null) {
          return null;
        }
        paths[which] = line.substring(second + 1);
      }
    }
    return paths;
  }

  private static int skipSlices(String[] parts, int from) {
    int i = from;
    while (i < parts.length && isSlice(unescape(parts[i]))) {
      i++;
    }
    return i;
  }

  private static boolean isSlice(String name) {
    return name.endsWith(".slice") && UnitName.problem(name) == null;
  }

  /* user@UID.service, with UID one of those asked for. */
  private static Integer managerUid(String part, Set<Integer> uids) {
    if (!part.startsWith("user@") || !part.endsWith(".service")) {
      return null;
    }
    var uid = Uids.parse(part.substring("user@".length(), part.length() - ".service".length()));
    return uid.isPresent() && uids.contains(uid.getAsInt()) ? uid.getAsInt() : null;
  }

  /* systemd's cg_unescape(): a name that could clash with a cgroup file got a '_' in front. */
  private static String unescape(String part) {
    return part.startsWith("_") ? part.substring(1) : part;
  }
}
