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

import java.time.Duration;
import java.util.List;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
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
}
