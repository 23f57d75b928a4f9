// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import static net.userrestart.report.ReportFixtures.ALL;
import static net.userrestart.report.ReportFixtures.FAILED;
import static net.userrestart.report.ReportFixtures.PLANNED;
import static net.userrestart.report.ReportFixtures.REFUSED;
import static net.userrestart.report.ReportFixtures.RESTARTED;
import static net.userrestart.report.ReportFixtures.RESTARTED_NOTHING;
import static net.userrestart.report.ReportFixtures.SKIPPED;
import static net.userrestart.report.ReportFixtures.TIMED_OUT;
import static net.userrestart.report.ReportFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.ManagerNeed;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.UnitResult;
import net.userrestart.restart.Step;
import net.userrestart.restart.Result.JobEnd;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.systemd.JobAction;
import org.junit.jupiter.api.Test;

class HumanReportTest {
  static final Report HUMAN = Report.of(false, false);
  static final Report QUIET = Report.of(false, true);

  static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void restarted() {
    assertEquals(
        List.of(
            "user dev (1000): daemon-reexec done in 1.50 s",
            "  manager: re-exec: asked (--reexec=always)",
            "  app.service          try-restart            done",
            "  longer-name.service  reload-or-try-restart  inactive",
            "1 user manager, 1 ok, 0 failed."),
        lines(write(HUMAN, List.of(RESTARTED), false)));
  }

  @Test
  void restartedWithNothingActive() {
    assertEquals(
        "user ops (1001): done in 0.02 s, no marked unit is active",
        lines(write(HUMAN, List.of(RESTARTED_NOTHING), false)).get(0));
  }

  @Test
  void planned() {
    assertEquals(
        List.of(
            "Would daemon-reload user guest (1002), then:",
            "  manager: reload: asked (--daemon-reload)",
            "  app.service  try-restart            would-restart",
            "Dry run: 1 user manager, 1 ok, 0 failed."),
        lines(write(HUMAN, List.of(PLANNED), true)));
    Outcome nothing = new Outcome.Planned(PLANNED.user(), ManagerAction.REEXECUTE, List.of(), Duration.ZERO);
    assertEquals(
        "Would daemon-reexec user guest (1002), no marked unit is active",
        lines(write(HUMAN, List.of(nothing), true)).get(0));
  }

  @Test
  void skipped() {
    assertEquals(
        List.of("user build (1003): skipped: no active user manager", "1 user manager, 1 ok, 0 failed."),
        lines(write(HUMAN, List.of(SKIPPED), false)));
  }

  @Test
  void failedShowsStepDurationErrorAndUnitDetails() {
    assertEquals(
        List.of(
            "user qa (1004): failed at restart in 0.25 s: app.service: failed",
            "  app.service  try-restart            failed",
            "  b.service    try-restart            error (NoSuchUnit: gone)",
            "1 user manager, 0 ok, 1 failed."),
        lines(write(HUMAN, List.of(FAILED), false)));
  }

  @Test
  void refused() {
    assertEquals(
        "user web (1005): refused at connect: /run/user/1005/systemd/private is a symlink",
        lines(write(HUMAN, List.of(REFUSED), false)).get(0));
  }

  @Test
  void timedOut() {
    assertEquals(
        List.of(
            "user db (1006): timed-out at wait-jobs in 15.00 s: jobs did not finish within the deadline",
            "  slow.service  try-restart            unfinished",
            "1 user manager, 0 ok, 1 failed."),
        lines(write(HUMAN, List.of(TIMED_OUT), false)));
  }

  @Test
  void summaryCountsEveryKind() {
    List<String> lines = lines(write(HUMAN, ALL, false));
    assertEquals("7 user managers, 4 ok, 3 failed.", lines.get(lines.size() - 1));
  }

  @Test
  void nothingToReport() {
    assertEquals("No active user managers.\n", write(HUMAN, List.of(), false).replace("\r\n", "\n"));
  }

  @Test
  void quietShowsOnlyFailures() {
    String text = write(QUIET, ALL, false);
    for (Outcome ok : List.of(RESTARTED, RESTARTED_NOTHING, PLANNED, SKIPPED)) {
      assertFalse(text.contains("(" + ok.user().uid() + ")"), text);
    }
    for (Outcome bad : List.of(FAILED, REFUSED, TIMED_OUT)) {
      assertTrue(text.contains(bad.user().name() + " (" + bad.user().uid() + "): "), text);
    }
    // The summary still counts every user, not only those shown.
    List<String> lines = lines(text);
    assertEquals("7 user managers, 4 ok, 3 failed.", lines.get(lines.size() - 1));
  }

  @Test
  void quietWithoutFailuresPrintsNothing() {
    assertEquals("", write(QUIET, List.of(RESTARTED, SKIPPED, PLANNED), false));
    assertEquals("", write(QUIET, List.of(), false));
  }

  /* Issue 15: what a user manager chose never sets the width of the report nor its length. */
  @Test
  void aUsersShareIsBoundedAndSaysHowManyUnitsAreNotShown() {
    List<UnitResult> units = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      units.add(new UnitResult("/org/freedesktop/systemd1/job/" + i, JobAction.MARKED, NoJob.UNFINISHED, ""));
    }
    Outcome o = new Outcome.TimedOut(ReportFixtures.user(1007, "evil"), Step.WAIT_JOBS, "jobs did not finish", units, Duration.ZERO);
    for (Report report : List.of(HUMAN, Report.of(true, false))) {
      String text = write(report, List.of(o), false);
      assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= Report.MAX_USER_BYTES + 100, text.length() + " characters");
    }
    List<String> lines = lines(write(HUMAN, List.of(o), false));
    assertTrue(lines.get(lines.size() - 2).matches("  \\(\\d+ more units not shown\\)"), lines.get(lines.size() - 2));
    assertTrue(write(Report.of(true, false), List.of(o), false).contains("\"unitsNotShown\":"));
  }

  @Test
  void theUnitColumnIsNeverPaddedToAWidthTheManagerChose() {
    String longName = "a".repeat(240) + ".service";
    Outcome o =
        new Outcome.Failed(
            ReportFixtures.user(1008, "wide"),
            Step.RESTART,
            "x",
            List.of(
                new UnitResult(longName, JobAction.MARKED, JobEnd.FAILED, ""),
                new UnitResult("b.service", JobAction.TRY_RESTART, JobEnd.DONE, "")),
            Duration.ZERO);
    List<String> lines = lines(write(HUMAN, List.of(o), false));
    // The long name came from the manager (a Markers= job): it sets no width.
    assertEquals("  b.service  try-restart            done", lines.get(2));
    assertEquals("  " + longName + "  marked                 failed", lines.get(1));
  }

  @Test
  void textFromOutsideIsEscapedAndCut() {
    String evil = "\u001b[2J\r\n<0>forged\u009b" + "x".repeat(1000);
    Outcome o =
        new Outcome.Failed(
            ReportFixtures.user(1009, "e\u001bvil"),
            Step.RESTART,
            evil,
            List.of(new UnitResult("a.service", JobAction.TRY_RESTART, NoJob.ERROR, evil)),
            Duration.ZERO);
    List<String> lines = lines(write(HUMAN, List.of(o), false));
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertTrue(lines.get(0).startsWith("user e\\x1bvil (1009): failed at restart: \\x1b[2J\\x0d\\x0a<0>forged\\x9bxxx"), lines.get(0));
    assertTrue(lines.get(0).endsWith("…(+" + (evil.length() - 256) + ")"), lines.get(0));
    assertTrue(lines.get(1).endsWith("…(+" + (evil.length() - 256) + "))"), lines.get(1));
  }

  @Test
  void managerLineSaysWhatWasDecidedAndWhy() {
    Outcome none = new Outcome.Restarted(RESTARTED.user(), ManagerNeed.NONE_NEEDED, List.of(), Duration.ofMillis(20));
    assertEquals("  manager: none needed", lines(write(HUMAN, List.of(none), false)).get(1));
    Outcome reexec =
        new Outcome.Restarted(
            RESTARTED.user(),
            ManagerNeed.reexec("manager maps replaced /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-257.so"),
            List.of(),
            Duration.ofMillis(20));
    assertEquals(
        "  manager: re-exec: manager maps replaced /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-257.so",
        lines(write(HUMAN, List.of(reexec), false)).get(1));
  }
}
