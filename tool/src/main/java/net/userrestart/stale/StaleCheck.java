// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarksByUser;
import net.userrestart.systemd.UnitName;

/**
 * Which user units of the given managers run replaced files: a scan of /proc, the owners of the
 * files from the package database (one query for the whole run), and the units' marks.
 */
public final class StaleCheck {
  private final ProcScanner scanner;
  private final PackageOwners packages;

  public StaleCheck(ProcScanner scanner, PackageOwners packages) {
    this.scanner = scanner;
    this.packages = packages;
  }

  /** A user manager to look into. */
  public record Manager(int uid, String user, long pid) {}

  /**
   * @param marks the marks pending per user; empty when the mark store could not be read
   * @throws IOException when /proc cannot be listed
   */
  public StaleResult check(List<Manager> managers, Optional<MarksByUser> marks) throws IOException {
    Map<Integer, Long> pids = new HashMap<>();
    Map<Integer, String> names = new HashMap<>();
    for (Manager m : managers) {
      pids.put(m.uid(), m.pid());
      names.put(m.uid(), m.user());
    }
    Scan scan = scanner.scan(pids);
    Set<String> paths = new LinkedHashSet<>();
    scan.units().forEach(f -> paths.addAll(f.files()));
    Optional<Map<String, List<String>>> owners =
        paths.isEmpty() ? Optional.of(Map.of()) : packages.owners(paths);
    List<StaleUnit> units = new ArrayList<>();
    for (Found f : scan.units()) {
      List<StaleUnit.ReplacedFile> files = new ArrayList<>();
      for (String path : f.files()) {
        files.add(
            new StaleUnit.ReplacedFile(path, owners.map(o -> o.getOrDefault(path, List.of())).orElse(List.of())));
      }
      Optional<Mark.Kind> marked =
          f.remedy() == Remedy.RESTART
              ? marks.flatMap(m -> markOf(m.marks(f.uid()), f.unit()))
              : Optional.empty();
      units.add(
          new StaleUnit(
              f.uid(),
              names.get(f.uid()),
              f.unit(),
              f.remedy(),
              f.mainPid(),
              f.processes(),
              files,
              f.fileCount() - files.size(),
              marked));
    }
    return new StaleResult(
        managers.size(),
        units,
        owners.isPresent(),
        marks.isPresent(),
        scan.omitted(),
        scan.processes(),
        scan.vanished(),
        scan.truncated());
  }

  /** How {@code unit} is marked, by its name or its template's; a restart wins over a reload. */
  static Optional<Mark.Kind> markOf(Set<Mark> marks, String unit) {
    Optional<Mark.Kind> found = Optional.empty();
    for (Mark m : marks) {
      if (m.unit().equals(unit) || UnitName.isInstanceOf(unit, m.unit())) {
        if (m.kind() == Mark.Kind.RESTART) {
          return Optional.of(m.kind());
        }
        found = Optional.of(m.kind());
      }
    }
    return found;
  }
}
