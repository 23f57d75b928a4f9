// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import net.userrestart.log.Shown;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.ManagerNeed;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.UnitResult;
import net.userrestart.systemd.JobAction;

/** A few lines per user, then a summary line, in the manner of systemctl. */
final class HumanReport implements Report {
  /* The widest the unit column is padded to: a unit name is at most 255 characters. */
  private static final int MAX_WIDTH = 40;
  /* Room kept in a user's share for the line saying how many units were not shown. */
  private static final int RESERVE = 64;

  private final boolean quiet;

  HumanReport(boolean quiet) {
    this.quiet = quiet;
  }

  @Override
  public void write(List<Outcome> outcomes, boolean dryRun, PrintWriter out) {
    List<Outcome> shown = outcomes;
    if (quiet) {
      shown = new ArrayList<>();
      for (Outcome o : outcomes) {
        if (!o.ok()) {
          shown.add(o);
        }
      }
    }
    if (quiet && shown.isEmpty()) {
      return;
    }
    if (outcomes.isEmpty()) {
      out.println("No active user managers.");
      out.flush();
      return;
    }
    for (Outcome o : shown) {
      writeUser(o, out);
    }
    int bad = Report.failed(outcomes);
    int ok = outcomes.size() - bad;
    out.println(
        (dryRun ? "Dry run: " : "")
            + outcomes.size()
            + (outcomes.size() == 1 ? " user manager" : " user managers")
            + ", "
            + ok
            + " ok, "
            + bad
            + " failed.");
    out.flush();
  }

  /*
   * One user: a line saying how it went, then a line per unit while the user's share of the
   * report lasts, then how many units did not fit. Text that came from the user manager is shown
   * escaped and cut; the unit column is padded to the longest name the run asked for (never one
   * the manager chose, as for Markers= jobs), and never wider than MAX_WIDTH.
   */
  private static void writeUser(Outcome o, PrintWriter out) {
    String head = headline(o);
    out.println(head);
    long left = Report.MAX_USER_BYTES - Report.utf8Length(head) - 1;
    ManagerNeed need = Report.manager(o);
    if (need != null) {
      String line = "  manager: " + Shown.of(need.line());
      out.println(line);
      left -= Report.utf8Length(line) + 1;
    }
    int width = 0;
    for (UnitResult u : o.units()) {
      if (u.action() != JobAction.MARKED) { // the manager named those: they set no width
        width = Math.min(MAX_WIDTH, Math.max(width, u.unit().length()));
      }
    }
    int shown = 0;
    for (UnitResult u : o.units()) {
      String line = unitLine(u, width);
      long bytes = Report.utf8Length(line) + 1;
      if (bytes > left - RESERVE) {
        break;
      }
      out.println(line);
      left -= bytes;
      shown++;
    }
    int hidden = o.units().size() - shown;
    if (hidden > 0) {
      out.println("  (" + hidden + " more " + (hidden == 1 ? "unit" : "units") + " not shown)");
    }
  }

  private static String headline(Outcome o) {
    String who = Shown.of(o.user().label());
    if (o instanceof Outcome.Planned p) {
      String what =
          p.action() == ManagerAction.NONE ? "act on " + who : p.action().verb() + " " + who;
      return "Would " + what + (p.units().isEmpty() ? ", no marked unit is active" : ", then:");
    } else if (o instanceof Outcome.Restarted r) {
      String what = r.action() == ManagerAction.NONE ? "done" : r.action().verb() + " done";
      return who + ": " + what + took(o) + (r.units().isEmpty() ? ", no marked unit is active" : "");
    }
    String step = Report.step(o);
    return who
        + ": "
        + Report.status(o)
        + (step == null ? "" : " at " + Shown.of(step))
        + took(o)
        + ": "
        + Shown.of(String.valueOf(Report.error(o)));
  }

  private static String unitLine(UnitResult u, int width) {
    String detail = u.detail().isEmpty() ? "" : " (" + Shown.of(u.detail()) + ")";
    String reason =
        switch (u.reason()) {
          case MARKED -> "";
          case STALE -> " [stale]";
          case BOTH -> " [marked, stale]";
        };
    return "  "
        + pad(Shown.of(u.unit()), width)
        + "  "
        + pad(u.action().word(), 21)
        + "  "
        + Shown.of(u.result().word())
        + detail
        + reason;
  }

  /*
   * No String.format here: its first use costs a short-lived process over 10 ms, more than the
   * rest of the report.
   */
  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }

  /** " in 1.23 s", rounded half up as %.2f would. */
  private static String took(Outcome o) {
    if (o.took().isZero()) {
      return "";
    }
    long centis = (o.took().toMillis() + 5) / 10;
    long rest = centis % 100;
    return " in " + centis / 100 + "." + (rest < 10 ? "0" : "") + rest + " s";
  }
}
