// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.List;
import net.userrestart.restart.ManagerNeed;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Step;

/** Writes the per-user outcomes of a run to stdout. */
public interface Report {
  /**
   * The most bytes one user takes in a report, human or JSON, whatever its manager sent: units
   * beyond it are counted, not shown. The whole report grows with the number of users only.
   */
  int MAX_USER_BYTES = 64 * 1024;

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

  /** The length of {@code s} in UTF-8, as it is written. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** What an outcome that got that far decided for its manager, and why; or null. */
  static ManagerNeed manager(Outcome o) {
    if (o instanceof Outcome.Restarted r) {
      return r.manager();
    } else if (o instanceof Outcome.Planned p) {
      return p.manager();
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
