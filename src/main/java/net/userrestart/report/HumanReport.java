// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.UnitResult;

/** A few lines per user, then a summary line, in the manner of systemctl. */
final class HumanReport implements Report {
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
      String who = o.user().label();
      if (o instanceof Outcome.Planned p) {
        String what = p.action() == ManagerAction.NONE ? "act on " + who : p.action().verb() + " " + who;
        out.println("Would " + what + (p.units().isEmpty() ? ", no marked unit is active" : ", then:"));
      } else if (o instanceof Outcome.Restarted r) {
        String what = r.action() == ManagerAction.NONE ? "done" : r.action().verb() + " done";
        out.println(who + ": " + what + took(o) + (r.units().isEmpty() ? ", no marked unit is active" : ""));
      } else {
        String step = Report.step(o);
        out.println(
            who + ": " + Report.status(o) + (step == null ? "" : " at " + step) + took(o) + ": " + Report.error(o));
      }
      int width = 0;
      for (UnitResult u : o.units()) {
        width = Math.max(width, u.unit().length());
      }
      for (UnitResult u : o.units()) {
        out.println(
            "  "
                + pad(u.unit(), width)
                + "  "
                + pad(u.action().word(), 21)
                + "  "
                + u.result().word()
                + (u.detail().isEmpty() ? "" : " (" + u.detail() + ")"));
      }
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
