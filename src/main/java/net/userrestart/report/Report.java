// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.List;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Step;

/** Writes the per-user outcomes of a run to stdout. */
public interface Report {
  void write(List<Outcome> outcomes, boolean dryRun, PrintWriter out);

  /** The human report (only failures when {@code quiet}), or JSON for tools. */
  static Report of(boolean json, boolean quiet) {
    return json ? new JsonReport() : new HumanReport(quiet);
  }

  /** How many users were not worked on as asked. */
  static int failed(List<Outcome> outcomes) {
    int failed = 0;
    for (Outcome o : outcomes) {
      if (!o.ok()) {
        failed++;
      }
    }
    return failed;
  }

  /** The word a report uses for an outcome. */
  static String status(Outcome o) {
    if (o instanceof Outcome.Restarted) {
      return "restarted";
    } else if (o instanceof Outcome.Planned) {
      return "planned";
    } else if (o instanceof Outcome.Skipped) {
      return "skipped";
    } else if (o instanceof Outcome.Refused) {
      return "refused";
    } else if (o instanceof Outcome.TimedOut) {
      return "timed-out";
    }
    return "failed";
  }

  /** The step an unsuccessful outcome stopped at, or null. */
  static String step(Outcome o) {
    if (o instanceof Outcome.Failed f) {
      return f.step().word();
    } else if (o instanceof Outcome.TimedOut t) {
      return t.step().word();
    } else if (o instanceof Outcome.Refused) {
      return Step.CONNECT.word();
    }
    return null;
  }

  /** Why an outcome is not a success, or null. */
  static String error(Outcome o) {
    if (o instanceof Outcome.Failed f) {
      return f.message();
    } else if (o instanceof Outcome.TimedOut t) {
      return t.message();
    } else if (o instanceof Outcome.Refused r) {
      return r.message();
    } else if (o instanceof Outcome.Skipped s) {
      return s.reason();
    }
    return null;
  }

  /** The manager action of an outcome that got that far, or null. */
  static String action(Outcome o) {
    if (o instanceof Outcome.Restarted r) {
      return r.action().verb();
    } else if (o instanceof Outcome.Planned p) {
      return p.action().verb();
    }
    return null;
  }
}
