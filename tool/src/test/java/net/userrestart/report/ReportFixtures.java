// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Result.JobEnd;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.restart.Step;
import net.userrestart.restart.UnitResult;
import net.userrestart.restart.UserTarget;
import net.userrestart.systemd.JobAction;

/** One outcome of every kind, for the report tests. */
final class ReportFixtures {
  private ReportFixtures() {}

  static UserTarget user(int uid, String name) {
    return new UserTarget(uid, name, Set.of());
  }

  static final Outcome RESTARTED =
      new Outcome.Restarted(
          user(1000, "dev"),
          ManagerAction.REEXECUTE,
          List.of(
              new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.DONE, ""),
              new UnitResult("longer-name.service", JobAction.RELOAD_OR_TRY_RESTART, NoJob.INACTIVE, "")),
          Duration.ofMillis(1500));
  static final Outcome RESTARTED_NOTHING =
      new Outcome.Restarted(user(1001, "ops"), ManagerAction.NONE, List.of(), Duration.ofMillis(20));
  static final Outcome PLANNED =
      new Outcome.Planned(
          user(1002, "guest"),
          ManagerAction.RELOAD,
          List.of(new UnitResult("app.service", JobAction.TRY_RESTART, NoJob.WOULD_RESTART, "")),
          Duration.ofMillis(5));
  static final Outcome SKIPPED = new Outcome.Skipped(user(1003, "build"), "no active user manager");
  static final Outcome FAILED =
      new Outcome.Failed(
          user(1004, "qa"),
          Step.RESTART,
          "app.service: failed",
          List.of(new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.FAILED, ""),
              new UnitResult("b.service", JobAction.TRY_RESTART, NoJob.ERROR, "NoSuchUnit: gone")),
          Duration.ofMillis(250));
  static final Outcome REFUSED =
      new Outcome.Refused(user(1005, "web"), "/run/user/1005/systemd/private is a symlink", Duration.ZERO);
  static final Outcome TIMED_OUT =
      new Outcome.TimedOut(
          user(1006, "db"),
          Step.WAIT_JOBS,
          "jobs did not finish within the deadline",
          List.of(new UnitResult("slow.service", JobAction.TRY_RESTART, NoJob.UNFINISHED, "")),
          Duration.ofSeconds(15));

  static final List<Outcome> ALL =
      List.of(RESTARTED, RESTARTED_NOTHING, PLANNED, SKIPPED, FAILED, REFUSED, TIMED_OUT);

  static String write(Report report, List<Outcome> outcomes, boolean dryRun) {
    StringWriter s = new StringWriter();
    report.write(outcomes, dryRun, new PrintWriter(s));
    return s.toString();
  }
}
