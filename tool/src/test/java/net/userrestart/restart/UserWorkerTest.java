// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.marks.Mark.Kind;
import net.userrestart.restart.Result.JobEnd;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.systemd.JobAction;
import net.userrestart.testutil.FakeConnector;
import net.userrestart.testutil.FakeConnector.FakeUser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UserWorkerTest {
  static final int UID = 1000;

  FakeConnector connector;
  FakeUser fake;
  UserWorker worker;

  @BeforeEach
  void setUp() {
    connector = new FakeConnector();
    fake = connector.user(UID);
    worker = new UserWorker(connector, Log.silent());
  }

  static Plan plan(ManagerAction action, boolean enqueueMarked, boolean dryRun) {
    return new Plan(List.of(), List.of(), action, enqueueMarked, Duration.ofSeconds(5), 1, dryRun);
  }

  static UserTarget target(Mark... marks) {
    return new UserTarget(UID, "dev", Set.of(marks));
  }

  static Mark restart(String unit) {
    return new Mark(Kind.RESTART, unit);
  }

  static Mark reload(String unit) {
    return new Mark(Kind.RELOAD, unit);
  }

  Outcome run(ManagerAction action, Mark... marks) {
    return worker.run(plan(action, false, false), target(marks));
  }

  @Test
  void reexecutesThenReconnectsThenRestarts() {
    fake.states.put("app.service", "active");
    Outcome o = run(ManagerAction.REEXECUTE, restart("app.service"));
    Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(ManagerAction.REEXECUTE, r.action());
    assertEquals(List.of(new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.DONE, "")), r.units());
    assertEquals(
        List.of(
            "connect", "reexecute", "close", "connect", "list [app.service]", "try-restart app.service",
            "await 1", "close"),
        fake.calls());
    assertEquals(2, fake.connects());
  }

  @Test
  void staleUnitsAreTryRestartedAfterTheReexecWithTheMarkedOnesEachWithItsReason() {
    fake.states.put("app.service", "active");
    fake.states.put("pw.service", "active");
    fake.states.put("gone.service", "inactive");
    UserTarget user =
        new UserTarget(
            UID, "dev", Set.of(restart("app.service")), Set.of("pw.service", "app.service", "gone.service"));
    Outcome o = worker.run(plan(ManagerAction.REEXECUTE, false, false), user);
    Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(
        List.of(
            new UnitResult("gone.service", JobAction.TRY_RESTART, NoJob.INACTIVE, "", Reason.STALE),
            new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.DONE, "", Reason.BOTH),
            new UnitResult("pw.service", JobAction.TRY_RESTART, JobEnd.DONE, "", Reason.STALE)),
        r.units());
    assertEquals(
        List.of(
            "connect", "reexecute", "close", "connect", "list [app.service, gone.service, pw.service]",
            "try-restart app.service", "try-restart pw.service", "await 2", "close"),
        fake.calls());
    assertEquals(Set.of(restart("app.service")), r.settled(user.marks()));
  }

  @Test
  void aDryRunSaysWhichUnitsAreStale() {
    fake.states.put("app.service", "active");
    fake.states.put("pw.service", "active");
    UserTarget user = new UserTarget(UID, "dev", Set.of(reload("app.service")), Set.of("app.service", "pw.service"));
    Outcome o = worker.run(plan(ManagerAction.REEXECUTE, false, true), user);
    assertEquals(
        List.of(
            new UnitResult("app.service", JobAction.RELOAD_OR_TRY_RESTART, NoJob.WOULD_RELOAD, "", Reason.MARKED),
            // marked for a reload, which does not load new code: restarted as well
            new UnitResult("app.service", JobAction.TRY_RESTART, NoJob.WOULD_RESTART, "", Reason.STALE),
            new UnitResult("pw.service", JobAction.TRY_RESTART, NoJob.WOULD_RESTART, "", Reason.STALE)),
        assertInstanceOf(Outcome.Planned.class, o).units());
    assertEquals(List.of("connect", "list [app.service, pw.service]", "close"), fake.calls());
  }

  void aTemplateWithNoRunningInstanceIsReportedAndSettledEvenWhenAnotherUnitFails() {
    fake.states.put("bad.service", "active");
    fake.jobResults.put("bad.service", "failed");
    Mark template = restart("app@.service");
    Mark bad = restart("bad.service");
    Outcome o = run(ManagerAction.NONE, template, bad);
    assertInstanceOf(Outcome.Failed.class, o);
    assertTrue(o.units().contains(new UnitResult("app@.service", JobAction.TRY_RESTART, NoJob.INACTIVE, "")), o.units().toString());
    // The template had nothing to do; the failed unit's mark is dropped too (a retry would not help).
    assertEquals(Set.of(template, bad), o.settled(Set.of(template, bad)));
  }

  @Test
  void jobsAlreadyEnqueuedStayInTheOutcomeWhenALaterStepTimesOut() {
    fake.states.put("a.service", "active");
    fake.states.put("b.service", "active");
    fake.restartErrors.put("b.service", FakeConnector.timeout("restart", "no answer"));
    Mark a = restart("a.service");
    Mark b = restart("b.service");
    Outcome o = run(ManagerAction.NONE, a, b);
    assertInstanceOf(Outcome.TimedOut.class, o);
    assertEquals(List.of(new UnitResult("a.service", JobAction.TRY_RESTART, NoJob.UNFINISHED, "")), o.units());
    assertEquals(Set.of(), o.settled(Set.of(a, b)));
  }

  @Test
  void aResultSettlesOnlyTheMarkOfItsOwnKind() {
    fake.states.put("app.service", "active");
    Mark restartMark = restart("app.service");
    Mark reloadMark = reload("app.service");
    Outcome done =
        new Outcome.Failed(
            target(restartMark, reloadMark), Step.RESTART, "x",
            List.of(new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.DONE, "")), Duration.ZERO);
    assertEquals(Set.of(restartMark), done.settled(Set.of(restartMark, reloadMark)));
  }

  @Test
  void reloadsInsteadOfReexecuting() {
    fake.states.put("app.service", "active");
    Outcome o = run(ManagerAction.RELOAD, restart("app.service"));
    assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(
        List.of("connect", "reload", "list [app.service]", "try-restart app.service", "await 1", "close"),
        fake.calls());
  }

  @Test
  void noReexecRestartsUnitsOnly() {
    fake.states.put("app.service", "active");
    Outcome o = run(ManagerAction.NONE, restart("app.service"));
    assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(
        List.of("connect", "list [app.service]", "try-restart app.service", "await 1", "close"),
        fake.calls());
  }

  @Test
  void reloadMarksReloadOrTryRestart() {
    fake.states.put("app.service", "reloading");
    Outcome o = run(ManagerAction.NONE, reload("app.service"));
    assertEquals(
        List.of(new UnitResult("app.service", JobAction.RELOAD_OR_TRY_RESTART, JobEnd.DONE, "")), o.units());
    assertTrue(fake.calls().contains("reload-or-try-restart app.service"));
  }

  @Test
  void inactiveAndMissingUnitsAreNotRestarted() {
    fake.states.put("stopped.service", "inactive");
    fake.states.put("broken.service", "failed");
    fake.states.put("starting.service", "activating");
    fake.states.put("fileless.service", "not-found");
    Outcome o =
        run(
            ManagerAction.NONE,
            restart("stopped.service"),
            restart("broken.service"),
            restart("gone.service"),
            restart("fileless.service"),
            restart("starting.service"));
    Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, o);
    assertTrue(r.units().contains(new UnitResult("stopped.service", JobAction.TRY_RESTART, NoJob.INACTIVE, "")));
    assertTrue(r.units().contains(new UnitResult("broken.service", JobAction.TRY_RESTART, NoJob.INACTIVE, "")));
    assertTrue(r.units().contains(new UnitResult("gone.service", JobAction.TRY_RESTART, NoJob.NOT_LOADED, "")));
    assertTrue(r.units().contains(new UnitResult("fileless.service", JobAction.TRY_RESTART, NoJob.NOT_FOUND, "")));
    assertTrue(r.units().contains(new UnitResult("starting.service", JobAction.TRY_RESTART, JobEnd.DONE, "")));
    assertEquals(
        List.of("try-restart starting.service"),
        fake.calls().stream().filter(c -> c.startsWith("try-restart")).toList());
  }

  @Test
  void nothingActiveIsStillASuccess() {
    Outcome o = run(ManagerAction.REEXECUTE);
    Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(List.of(), r.units());
  }

  @Test
  void templateMarksExpandToActiveInstances() {
    fake.states.put("app@one.service", "active");
    fake.states.put("app@two.service", "active");
    fake.states.put("app@three.service", "inactive");
    fake.states.put("app@one.socket", "active");
    fake.states.put("other@one.service", "active");
    fake.states.put("xapp@one.service", "active");
    Outcome o = run(ManagerAction.NONE, restart("app@.service"));
    assertInstanceOf(Outcome.Restarted.class, o);
    assertEquals(
        List.of("try-restart app@one.service", "try-restart app@two.service"),
        fake.calls().stream().filter(c -> c.startsWith("try-restart")).toList());
    assertEquals(
        List.of(
            new UnitResult("app@one.service", JobAction.TRY_RESTART, JobEnd.DONE, ""),
            new UnitResult("app@two.service", JobAction.TRY_RESTART, JobEnd.DONE, "")),
        o.units());
  }

  @Test
  void aJobThatFailsFailsTheUser() {
    fake.states.put("good.service", "active");
    fake.states.put("bad.service", "active");
    fake.jobResults.put("bad.service", "failed");
    Outcome o = run(ManagerAction.NONE, restart("good.service"), restart("bad.service"));
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, o);
    assertEquals(Step.RESTART, f.step());
    assertEquals("bad.service: failed", f.message());
    assertTrue(f.units().contains(new UnitResult("good.service", JobAction.TRY_RESTART, JobEnd.DONE, "")));
    assertTrue(f.units().contains(new UnitResult("bad.service", JobAction.TRY_RESTART, JobEnd.FAILED, "")));
  }

  @Test
  void skippedJobsAreFine() {
    fake.states.put("a.service", "active");
    fake.jobResults.put("a.service", "skipped");
    assertInstanceOf(Outcome.Restarted.class, run(ManagerAction.NONE, restart("a.service")));
  }

  @Test
  void unfinishedJobsTimeOut() {
    fake.states.put("slow.service", "active");
    fake.states.put("quick.service", "active");
    fake.jobResults.put("slow.service", "unfinished");
    Outcome o = run(ManagerAction.NONE, restart("slow.service"), restart("quick.service"));
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, o);
    assertEquals(Step.WAIT_JOBS, t.step());
    assertTrue(t.units().contains(new UnitResult("slow.service", JobAction.TRY_RESTART, NoJob.UNFINISHED, "")));
    assertTrue(t.units().contains(new UnitResult("quick.service", JobAction.TRY_RESTART, JobEnd.DONE, "")));
  }

  @Test
  void aRefusedConnectionIsRefusedAndNothingIsSent() {
    fake.connectError = FakeConnector.refused("/run/user/1000/systemd/private is a symlink");
    Outcome o = run(ManagerAction.REEXECUTE, restart("app.service"));
    Outcome.Refused r = assertInstanceOf(Outcome.Refused.class, o);
    assertTrue(r.message().contains("symlink"));
    assertEquals(List.of("connect"), fake.calls());
  }

  @Test
  void connectTimeoutAndFailure() {
    fake.connectError = FakeConnector.timeout("connect", "no answer");
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, run(ManagerAction.NONE));
    assertEquals(Step.CONNECT, t.step());
    fake.connectError = FakeConnector.failed("connect", "does not exist");
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, run(ManagerAction.NONE));
    assertEquals(Step.CONNECT, f.step());
    assertEquals("does not exist", f.message());
  }

  @Test
  void aManagerThatDoesNotComeBackAfterReexecFails() {
    fake.states.put("app.service", "active");
    fake.reconnectError = FakeConnector.timeout("connect", "no answer from the user manager");
    Outcome o = run(ManagerAction.REEXECUTE, restart("app.service"));
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, o);
    assertEquals(Step.RECONNECT, t.step());
    assertTrue(fake.calls().stream().noneMatch(c -> c.startsWith("try-restart")));
  }

  @Test
  void aJobResultWordThisToolDoesNotKnowIsShownAsItIsAndFailsTheUser() {
    fake.states.put("app.service", "active");
    fake.jobResults.put("app.service", "frobnicated");
    Mark app = restart("app.service");
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, run(ManagerAction.NONE, app));
    assertEquals(
        List.of(new UnitResult("app.service", JobAction.TRY_RESTART, new Result.OtherJobEnd("frobnicated"), "")),
        f.units());
    assertEquals("app.service: frobnicated", f.message());
    assertEquals(Set.of(app), f.settled(Set.of(app)), "the job ended: a retry would not help");
  }

  @Test
  void systemdsJobResultWordsAreParsedWhereTheyEnter() {
    assertEquals(JobEnd.DONE, Result.ofJob("done"));
    assertEquals(JobEnd.DEPENDENCY, Result.ofJob("dependency"));
    assertTrue(Result.ofJob("skipped").ok());
    assertEquals(new Result.OtherJobEnd("would-restart"), Result.ofJob("would-restart"), "only systemd's words");
    assertEquals("would-restart", Result.ofJob("would-restart").word());
    assertTrue(!Result.ofJob("would-restart").ok() && Result.ofJob("would-restart").settled());
  }

  @Test
  void reexecuteAndReloadErrors() {
    fake.reexecuteError = FakeConnector.failed("reexecute", "the user manager replied instead of re-executing");
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, run(ManagerAction.REEXECUTE));
    assertEquals(Step.REEXECUTE, f.step());
    fake.reloadError = FakeConnector.timeout("reload", "Reload got no reply");
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, run(ManagerAction.RELOAD));
    assertEquals(Step.RELOAD, t.step());
  }

  @Test
  void oneUnitsCallErrorDoesNotStopTheOthers() {
    fake.states.put("a.service", "active");
    fake.states.put("b.service", "active");
    fake.restartErrors.put("a.service", FakeConnector.failed("try-restart", "NoSuchUnit: gone"));
    Outcome o = run(ManagerAction.NONE, restart("a.service"), restart("b.service"));
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, o);
    assertTrue(f.units().contains(new UnitResult("a.service", JobAction.TRY_RESTART, NoJob.ERROR, "NoSuchUnit: gone")));
    assertTrue(f.units().contains(new UnitResult("b.service", JobAction.TRY_RESTART, JobEnd.DONE, "")));
  }

  @Test
  void aCallTimeoutEndsTheUser() {
    fake.states.put("a.service", "active");
    fake.states.put("b.service", "active");
    fake.restartErrors.put("a.service", FakeConnector.timeout("try-restart", "no reply"));
    Outcome o = run(ManagerAction.NONE, restart("a.service"), restart("b.service"));
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, o);
    assertEquals(Step.RESTART, t.step());
    List<String> tried = fake.calls().stream().filter(c -> c.startsWith("try-restart")).toList();
    assertEquals("try-restart a.service", tried.get(tried.size() - 1), "nothing is tried after a timeout");
    assertTrue(fake.calls().stream().noneMatch(c -> c.startsWith("await")));
    assertEquals("close", fake.calls().get(fake.calls().size() - 1));
  }

  @Test
  void listErrorFails() {
    fake.listError = FakeConnector.failed("list-units", "AccessDenied");
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, run(ManagerAction.NONE, restart("a.service")));
    assertEquals(Step.LIST_UNITS, f.step());
  }

  @Test
  void systemdMarkersAreRestartedToo() {
    fake.states.put("app.service", "active");
    fake.markedUnits = Optional.of(List.of("marked.service"));
    Outcome o = worker.run(plan(ManagerAction.NONE, true, false), target(restart("app.service")));
    assertInstanceOf(Outcome.Restarted.class, o);
    assertTrue(o.units().contains(new UnitResult("marked.service", JobAction.MARKED, JobEnd.DONE, "")), o.units().toString());
  }

  @Test
  void aSystemdWithoutMarkersIsFine() {
    Outcome o = worker.run(plan(ManagerAction.NONE, true, false), target());
    assertInstanceOf(Outcome.Restarted.class, o);
    assertTrue(fake.calls().contains("enqueue-marked"));
  }

  @Test
  void dryRunChangesNothing() {
    fake.states.put("app.service", "active");
    fake.states.put("web.service", "active");
    fake.states.put("off.service", "inactive");
    Outcome o =
        worker.run(
            plan(ManagerAction.REEXECUTE, true, true),
            target(restart("app.service"), reload("web.service"), restart("off.service")));
    Outcome.Planned p = assertInstanceOf(Outcome.Planned.class, o);
    assertEquals(ManagerAction.REEXECUTE, p.action());
    assertTrue(p.units().contains(new UnitResult("app.service", JobAction.TRY_RESTART, NoJob.WOULD_RESTART, "")));
    assertTrue(p.units().contains(new UnitResult("web.service", JobAction.RELOAD_OR_TRY_RESTART, NoJob.WOULD_RELOAD, "")));
    assertTrue(p.units().contains(new UnitResult("off.service", JobAction.TRY_RESTART, NoJob.INACTIVE, "")));
    assertTrue(p.units().contains(new UnitResult("(Markers=)", JobAction.MARKED, NoJob.WOULD_RESTART, "")));
    List<String> calls = fake.calls();
    assertEquals(3, calls.size(), calls.toString());
    assertEquals("connect", calls.get(0));
    assertTrue(calls.get(1).startsWith("list "), calls.toString());
    assertEquals("close", calls.get(2));
  }

  @Test
  void anUncheckedExceptionBecomesAFailureAndTheManagerIsClosed() {
    UserWorker w =
        new UserWorker(
            (uid, deadline) -> {
              throw new IllegalStateException("hostile input");
            },
            Log.silent());
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, w.run(plan(ManagerAction.NONE, false, false), target()));
    assertTrue(f.message().contains("internal error"));
    assertTrue(f.message().contains("hostile input"));
  }

  @Test
  void theManagerIsClosedOnEveryPath() {
    fake.states.put("a.service", "active");
    fake.jobResults.put("a.service", "failed");
    run(ManagerAction.RELOAD, restart("a.service"));
    fake.reloadError = FakeConnector.failed("reload", "AccessDenied");
    run(ManagerAction.RELOAD, restart("a.service"));
    fake.reloadError = null;
    fake.listError = FakeConnector.timeout("list-units", "no reply");
    run(ManagerAction.RELOAD, restart("a.service"));
    assertEquals(fake.connects(), fake.closes());
    assertEquals(0, connector.maxConcurrent() - 1);
  }

  @Test
  void tookIsMeasured() {
    fake.connectDelay = Duration.ofMillis(50);
    Outcome o = run(ManagerAction.NONE);
    assertTrue(o.took().toMillis() >= 40, o.took().toString());
  }

  @Test
  void unitsAreRestartedInNameOrder() {
    List<String> names = List.of("alpha.service", "bravo.timer", "charlie.service", "delta.socket",
        "echo.service", "foxtrot.path", "golf.service", "hotel.service", "india.service",
        "juliett.mount", "kilo.service", "lima.service");
    TreeSet<Mark> marks = new TreeSet<>();
    for (String name : names) {
      fake.states.put(name, "active");
      marks.add(restart(name));
    }
    Outcome o = worker.run(plan(ManagerAction.NONE, false, false), new UserTarget(UID, "dev", marks));
    assertEquals(names, o.units().stream().map(UnitResult::unit).toList());
  }
}
