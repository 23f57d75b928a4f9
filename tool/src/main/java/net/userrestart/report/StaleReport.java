// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.marks.Mark;
import net.userrestart.stale.Remedy;
import net.userrestart.stale.StaleResult;
import net.userrestart.stale.StaleUnit;

/**
 * The stale command's report: a table, a unit per row, or one JSON object. Paths and names come
 * from /proc and from users' cgroups: printed only sanitised and cut.
 */
public final class StaleReport {
  /** The longest path shown in the table. */
  static final int PATH_SHOWN = 200;

  private StaleReport() {}

  public static void write(StaleResult result, boolean json, PrintWriter out) {
    if (json) {
      out.println(Json.write(json(result)));
    } else {
      human(result, out);
    }
    out.flush();
  }

  private static void human(StaleResult result, PrintWriter out) {
    if (result.units().isEmpty()) {
      out.println(
          "No user service runs replaced files ("
              + result.managers()
              + (result.managers() == 1 ? " user manager" : " user managers")
              + " looked at).");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"USER", "UNIT", "MAIN PID", "MARKED", "REPLACED FILES IN USE"});
    for (StaleUnit u : result.units()) {
      rows.add(
          new String[] {
            shown(u.user(), 64) + " (" + u.uid() + ")",
            u.unit() + (u.remedy() == Remedy.REEXEC ? " (needs reexec)" : ""),
            u.mainPid() > 0 ? Long.toString(u.mainPid()) : "-",
            marked(u, result.marksKnown()),
            files(u, result.packagesKnown())
          });
    }
    Table.print(out, rows, 2);
    out.println();
    out.println(summary(result));
  }

  /** "N user services of M users still run replaced files; K user managers need a re-exec." */
  public static String summary(StaleResult result) {
    int units = result.staleUnits();
    int users = result.staleUsers();
    int managers = result.managersToReexec();
    StringBuilder s = new StringBuilder();
    s.append(units)
        .append(units == 1 ? " user service of " : " user services of ")
        .append(users)
        .append(users == 1 ? " user" : " users")
        .append(" still run replaced files");
    if (managers > 0) {
      s.append("; ").append(managers).append(managers == 1 ? " user manager needs" : " user managers need");
      s.append(" a re-exec");
    }
    return s.append('.').toString();
  }

  private static String marked(StaleUnit u, boolean known) {
    if (u.remedy() == Remedy.REEXEC) {
      return "-";
    } else if (!known) {
      return "?";
    }
    return u.marked().map(k -> k == Mark.Kind.RELOAD ? "reload" : "restart").orElse("no");
  }

  private static String files(StaleUnit u, boolean packagesKnown) {
    List<String> parts = new ArrayList<>();
    for (StaleUnit.ReplacedFile f : u.files()) {
      String owner =
          !packagesKnown ? "" : f.owners().isEmpty() ? " (no package)" : " (" + shown(String.join(", ", f.owners()), 200) + ")";
      parts.add(shown(f.path(), PATH_SHOWN) + owner);
    }
    String more = u.moreFiles() > 0 ? " and " + u.moreFiles() + " more" : "";
    return String.join(", ", parts) + more;
  }

  private static Map<String, Object> json(StaleResult result) {
    List<Object> units = new ArrayList<>();
    for (StaleUnit u : result.units()) {
      Map<String, Object> unit = new LinkedHashMap<>();
      unit.put("uid", u.uid());
      unit.put("user", u.user());
      unit.put("unit", u.unit());
      unit.put("action", u.remedy().word());
      unit.put("mainPid", u.mainPid());
      unit.put("processes", u.processes());
      unit.put("marked", jsonMarked(u, result.marksKnown()));
      List<Object> files = new ArrayList<>();
      for (StaleUnit.ReplacedFile f : u.files()) {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("path", f.path());
        file.put("packages", result.packagesKnown() ? f.owners() : null);
        files.add(file);
      }
      unit.put("files", files);
      unit.put("moreFiles", u.moreFiles());
      units.add(unit);
    }
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("managers", result.managers());
    all.put("staleUnits", result.staleUnits());
    all.put("staleUsers", result.staleUsers());
    all.put("managersToReexec", result.managersToReexec());
    all.put("packagesKnown", result.packagesKnown());
    all.put("marksKnown", result.marksKnown());
    all.put("omittedUnits", result.omitted());
    all.put("units", units);
    return all;
  }

  /* "restart", "reload" or "no"; null for a manager, or when the mark store was not read. */
  private static String jsonMarked(StaleUnit u, boolean known) {
    if (u.remedy() == Remedy.REEXEC || !known) {
      return null;
    }
    return u.marked().map(k -> k.folder()).orElse("no");
  }

  /**
   * {@code s} safe to print on a terminal: control characters (C0, DEL, C1) and the bidirectional
   * overrides shown as escapes, cut to {@code max} characters.
   */
  public static String shown(String s, int max) {
    StringBuilder b = new StringBuilder();
    int n = Math.min(s.length(), max);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
        b.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return s.length() > max ? b.append('…').toString() : b.toString();
  }
}
