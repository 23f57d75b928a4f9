// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Plan;
import net.userrestart.restart.Restarter;
import net.userrestart.restart.Result.JobEnd;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.restart.UnitResult;
import net.userrestart.restart.UserTarget;
import net.userrestart.restart.UserWorker;
import net.userrestart.systemd.SystemdException.Kind;
import net.userrestart.systemd.UserManager.Batch;
import net.userrestart.systemd.UserManager.Enqueued;
import net.userrestart.systemd.UserManager.JobRequest;
import net.userrestart.testutil.Privileges;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real D-Bus client against {@link FakePeer}, which injects faults. Every case must end within
 * its deadline plus a small margin, with the right kind of failure, and leave no thread behind.
 *
 * <p>{@link SocketGuard} wants the runtime root owned by root and the user's folders and socket by
 * the user, and the connector checks that the peer runs as the user: the fake peer runs in this
 * JVM, so the tests need root and use UID 0.
 */
@SuppressWarnings("try") // locks and peers held for their side effect
class DBusUserManagerConnectorTest {
  static {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
  }

  static final int UID = 0;
  /** The deadline of steps that are meant to run into it. */
  static final Duration DEADLINE = Duration.ofSeconds(1);
  /**
   * The deadline of steps that must end on their own, by success or failure: a safety net that a
   * slow or busy machine never reaches, not what is asserted.
   */
  static final Duration PATIENT = Duration.ofSeconds(60);
  /** A generous bound on how far past its deadline a step may end. */
  static final long MARGIN_MILLIS = 10_000;
  /** How long a test waits before it calls a step hung. */
  static final long HUNG_MILLIS = 20_000;

  @TempDir Path runtime;
  FakePeer peer;
  DBusUserManagerConnector connector;
  List<String> threadsBefore;
  final List<UserManager> opened = new CopyOnWriteArrayList<>();

  /** Loads dbus-java's classes once, so that a cold start does not eat the first test's deadline. */
  @BeforeAll
  static void warmUp(@TempDir Path dir) throws Exception {
    if (!Privileges.root()) {
      return;
    }
    try (FakePeer p = new FakePeer(dir.resolve("0/systemd/private")).start();
        DBusUserManagerConnector c = new DBusUserManagerConnector(dir)) {
      UserManager m = c.connect(0, Deadline.in(Duration.ofSeconds(30)));
      m.activeStates(List.of("a.service", "b@.service"));
      m.awaitJobs(List.of(tryRestart(m, "a.service")));
      m.close();
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(Privileges.root(), "needs root: the socket checks want root's runtime root and the peer's uid");
    threadsBefore = Threads.live();
    peer = new FakePeer(socket(UID));
    connector = new DBusUserManagerConnector(runtime);
  }

  @AfterEach
  void tearDown() throws IOException {
    if (peer == null) {
      return;
    }
    opened.forEach(UserManager::close);
    connector.close();
    peer.close();
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 5000), "threads left behind");
  }

  Path socket(int uid) {
    return runtime.resolve(Integer.toString(uid)).resolve("systemd").resolve("private");
  }

  // ---- helpers ----

  @FunctionalInterface
  interface Step<T> {
    T run() throws Exception;
  }

  /** The value or exception of a step, and how long it took. */
  record Result<T>(T value, Throwable error, long millis) {
    SystemdException systemd() {
      if (error == null) {
        fail("expected a SystemdException, got " + value + " after " + millis + " ms");
      }
      return assertInstanceOf(SystemdException.class, error, String.valueOf(error));
    }
  }

  /** Runs a step on its own thread, so that a hang fails the test instead of the build. */
  static <T> Result<T> time(Step<T> step) {
    FutureTask<T> task = new FutureTask<>(step::run);
    Thread t = new Thread(task, "test-step");
    t.setDaemon(true);
    long start = System.nanoTime();
    t.start();
    try {
      T value = task.get(HUNG_MILLIS, TimeUnit.MILLISECONDS);
      return new Result<>(value, null, (System.nanoTime() - start) / 1_000_000);
    } catch (ExecutionException e) {
      return new Result<>(null, e.getCause(), (System.nanoTime() - start) / 1_000_000);
    } catch (TimeoutException e) {
      t.interrupt();
      fail("hung for more than " + HUNG_MILLIS + " ms");
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
      return null;
    }
  }

  /** The step ended on its own, not at the safety net's deadline. */
  static void assertLongBeforeTheDeadline(Result<?> r) {
    assertTrue(r.millis() < PATIENT.toMillis() / 2, "took " + r.millis() + " ms");
  }

  static void assertWithin(Duration deadline, Result<?> r) {
    assertTrue(
        r.millis() < deadline.toMillis() + MARGIN_MILLIS,
        "took " + r.millis() + " ms for a deadline of " + deadline.toMillis() + " ms");
  }

  UserManager connect(Deadline deadline) throws SystemdException {
    UserManager m = connector.connect(UID, deadline);
    opened.add(m);
    return m;
  }

  SystemdException connectFails(Kind kind) {
    Result<UserManager> r = time(() -> connect(Deadline.in(DEADLINE)));
    SystemdException e = r.systemd();
    assertEquals(kind, e.kind(), e.getMessage());
    assertEquals("connect", e.step());
    assertWithin(DEADLINE, r);
    return e;
  }

  /** One try-restart: its job, or why there is none, thrown. */
  static String tryRestart(UserManager m, String unit) throws SystemdException {
    return job(m, new JobRequest(unit, JobAction.TRY_RESTART));
  }

  static String job(UserManager m, JobRequest request) throws SystemdException {
    Batch batch = m.enqueue(List.of(request), false);
    if (batch.stopped().isPresent()) {
      throw batch.stopped().get();
    }
    Enqueued answer = batch.jobs().get(0);
    if (answer instanceof Enqueued.Refused refused) {
      throw refused.error();
    }
    return ((Enqueued.Job) answer).job();
  }

  /** Connects, then runs {@code step} on the manager, which must end on its own. */
  <T> Result<T> afterConnect(StepOn<T> step) throws SystemdException {
    return afterConnect(PATIENT, step);
  }

  /** Connects, then runs {@code step} on the manager; {@code budget} covers both. */
  <T> Result<T> afterConnect(Duration budget, StepOn<T> step) throws SystemdException {
    Deadline deadline = Deadline.in(budget);
    UserManager m = connect(deadline);
    return time(() -> step.run(m));
  }

  @FunctionalInterface
  interface StepOn<T> {
    T run(UserManager m) throws Exception;
  }

  // ---- a well-behaved peer ----

  @Test
  void connectsAndReadsTheVersion() throws Exception {
    peer.start();
    Result<UserManager> r = time(() -> connect(Deadline.in(PATIENT)));
    assertEquals("253.4-fake", r.value().version());
    // A busy machine may answer after the first call's 25 ms wait, which sends it again: counted.
    assertEquals(peer.callsOf("Get") - 1, r.value().firstCallResent());
    assertTrue(peer.calls().stream().allMatch("Get"::equals), peer.calls().toString());
  }

  @Test
  void retriesAFirstCallTheManagerIgnored() throws Exception {
    peer.ignoreFirstCalls(1).start();
    Result<UserManager> r = time(() -> connect(Deadline.in(PATIENT)));
    assertEquals("253.4-fake", r.value().version());
    assertTrue(peer.callsOf("Get") >= 2, peer.calls().toString());
    // Counted, for the debug log: RestartIT checks that real managers never need it.
    assertEquals(peer.callsOf("Get") - 1, r.value().firstCallResent());
  }

  @Test
  void connectsWhetherOrNotThePeerPassesFileDescriptors() throws Exception {
    peer.agreeUnixFd(false).start();
    assertEquals("253.4-fake", connect(Deadline.in(PATIENT)).version());
  }

  @Test
  void listsUnitStatesByNameAndTemplate() throws Exception {
    peer.units.put("app.service", "active");
    peer.units.put("off.service", "inactive");
    peer.units.put("app@one.service", "active");
    peer.units.put("app@two.service", "activating");
    peer.units.put("foo\\x2dbar@x.service", "active");
    peer.units.put("foox2dbar@y.service", "active");
    peer.start();
    Map<String, String> states =
        connect(Deadline.in(PATIENT))
            .activeStates(List.of("app.service", "off.service", "gone.service", "app@.service", "foo\\x2dbar@.service"));
    assertEquals(
        Map.of(
            "app.service", "active",
            "off.service", "inactive",
            "app@one.service", "active",
            "app@two.service", "activating",
            "foo\\x2dbar@x.service", "active"),
        states);
    assertEquals(List.of("Get", "ListUnitsByPatterns"), peer.calls(), "nothing loaded by asking");
  }

  @Test
  void rowsForUnitsNotAskedAboutAreDropped() throws Exception {
    List<Object> rows = new ArrayList<>();
    for (String name : List.of("app.service", "other.service", "app@x.service", "tpl@x.service")) {
      rows.add(List.of(name, "", "loaded", "active", "running", "", "/org/freedesktop/systemd1/unit/x", 0L, "", "/"));
    }
    peer.on("ListUnitsByPatterns", (c, s) -> s.reply(c, "a(ssssssouso)", rows)).start();
    UserManager m = connect(Deadline.in(PATIENT));
    assertEquals(
        Map.of("app.service", "active", "tpl@x.service", "active"),
        m.activeStates(List.of("app.service", "tpl@.service")));
    assertEquals(Set.of("app.service", "tpl@x.service"), m.loaded(List.of("app.service", "tpl@.service")));
  }

  @Test
  void restartsAndWaitsForTheJob() throws Exception {
    peer.jobResults.put("bad.service", "failed");
    peer.start();
    UserManager m = connect(Deadline.in(PATIENT));
    String good = tryRestart(m, "good.service");
    String bad = job(m, new JobRequest("bad.service", JobAction.RELOAD_OR_TRY_RESTART));
    assertTrue(good.startsWith("/org/freedesktop/systemd1/job/"), good);
    Map<String, UserManager.JobResult> done = m.awaitJobs(List.of(good, bad));
    assertEquals(new UserManager.JobResult("good.service", "done"), done.get(good));
    assertEquals(new UserManager.JobResult("bad.service", "failed"), done.get(bad));
  }

  @Test
  void reloads() throws Exception {
    peer.start();
    connect(Deadline.in(PATIENT)).reload();
    assertEquals(List.of("Get", "Reload"), peer.calls());
  }

  @Test
  void aSystemdWithoutMarkersHasNoMarkedJobs() throws Exception {
    peer.start();
    assertEquals(Optional.empty(), connect(Deadline.in(PATIENT)).enqueue(List.of(), true).marked());
  }

  @Test
  void markedJobsAreJobPaths() throws Exception {
    peer.on("EnqueueMarkedJobs", (c, s) -> s.reply(c, "ao", List.of("/org/freedesktop/systemd1/job/7")));
    peer.start();
    assertEquals(
        Optional.of(List.of("/org/freedesktop/systemd1/job/7")),
        connect(Deadline.in(PATIENT)).enqueue(List.of(), true).marked());
  }

  private static final String PATH_JOB = "/org/freedesktop/systemd1/job/";

  /*
   * The peer answers no job call until EnqueueMarkedJobs, the last one, has come, then answers
   * them in reverse order: a client that waited for each answer before the next call would wait
   * until the deadline.
   */
  @Test
  void jobCallsAreSentTogetherAndTheirAnswersMatchedInAnyOrder() throws Exception {
    List<FakePeer.Call> held = new CopyOnWriteArrayList<>();
    peer.on("TryRestartUnit", (c, s) -> held.add(c))
        .on("ReloadOrTryRestartUnit", (c, s) -> held.add(c))
        .on("EnqueueMarkedJobs", (c, s) -> {
          s.reply(c, "ao", List.of("/org/freedesktop/systemd1/job/7"));
          for (int i = held.size() - 1; i >= 0; i--) {
            FakePeer.Call call = held.get(i);
            if (call.arg(0).equals("gone.service")) {
              s.error(call, "org.freedesktop.systemd1.NoSuchUnit", "Unit gone.service not loaded.");
            } else {
              s.reply(call, "o", "/org/freedesktop/systemd1/job/" + (int) call.arg(0).charAt(0));
            }
          }
        })
        .start();
    JobRequest a = new JobRequest("a.service", JobAction.TRY_RESTART);
    JobRequest gone = new JobRequest("gone.service", JobAction.TRY_RESTART);
    JobRequest b = new JobRequest("b.service", JobAction.RELOAD_OR_TRY_RESTART);
    Result<Batch> r = afterConnect(m -> m.enqueue(List.of(a, gone, b), true));
    Batch batch = r.value();
    assertEquals(Optional.empty(), batch.stopped());
    assertEquals(Optional.of(List.of("/org/freedesktop/systemd1/job/7")), batch.marked());
    assertEquals(new Enqueued.Job(a, PATH_JOB + (int) 'a'), batch.jobs().get(0));
    assertInstanceOf(Enqueued.Refused.class, batch.jobs().get(1));
    String refused = ((Enqueued.Refused) batch.jobs().get(1)).error().getMessage();
    assertTrue(refused.contains("NoSuchUnit"), refused);
    assertEquals(new Enqueued.Job(b, PATH_JOB + (int) 'b'), batch.jobs().get(2));
    assertEquals(
        List.of(
            "Get",
            "TryRestartUnit",
            "TryRestartUnit",
            "ReloadOrTryRestartUnit",
            "EnqueueMarkedJobs"),
        peer.calls());
  }

  /** Jobs answered before the deadline are kept, so that they are reported as unfinished. */
  @Test
  void jobsAnsweredBeforeTheDeadlineAreKept() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      if (c.arg(0).equals("a.service")) {
        s.reply(c, "o", "/org/freedesktop/systemd1/job/1");
      }
    }).start();
    JobRequest a = new JobRequest("a.service", JobAction.TRY_RESTART);
    JobRequest hung = new JobRequest("hung.service", JobAction.TRY_RESTART);
    Result<Batch> r = afterConnect(DEADLINE, m -> m.enqueue(List.of(a, hung), true));
    Batch batch = r.value();
    assertEquals(List.of(new Enqueued.Job(a, PATH_JOB + "1")), batch.jobs());
    assertEquals(Kind.TIMEOUT, batch.stopped().orElseThrow().kind());
    assertEquals("restart", batch.stopped().orElseThrow().step());
    assertWithin(DEADLINE, r);
  }

  @Test
  void reexecuteEndsWhenTheManagerDropsTheConnection() throws Exception {
    peer.start();
    Deadline deadline = Deadline.in(PATIENT);
    UserManager first = connect(deadline);
    Result<Object> r = time(() -> {
      first.reexecute();
      return null;
    });
    assertEquals(null, r.error());
    assertLongBeforeTheDeadline(r);
    assertEquals("253.4-fake", connect(deadline).version());
    assertEquals(2, peer.connections());
    assertEquals(List.of("Get", "Reexecute", "Get"), peer.calls());
  }

  @Test
  void aWholeRunThroughTheWorker() throws Exception {
    peer.units.put("app.service", "active");
    peer.units.put("web.service", "active");
    peer.units.put("tpl@a.service", "active");
    peer.units.put("tpl@b.service", "active");
    peer.units.put("tpl@c.service", "inactive");
    peer.start();
    UserTarget user =
        new UserTarget(
            UID, "root",
            Set.of(
                new Mark(Mark.Kind.RESTART, "app.service"),
                new Mark(Mark.Kind.RELOAD, "web.service"),
                new Mark(Mark.Kind.RESTART, "tpl@.service"),
                new Mark(Mark.Kind.RESTART, "gone.service")));
    Plan plan =
        new Plan(List.of(user), List.of(), ManagerAction.REEXECUTE, true, Duration.ofSeconds(5), 1, false);
    List<Outcome> outcomes = new Restarter(new UserWorker(connector, Log.silent())).run(plan, o -> {});
    Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, outcomes.get(0), outcomes.toString());
    assertEquals(
        Set.of(
            new UnitResult("app.service", JobAction.TRY_RESTART, JobEnd.DONE, ""),
            new UnitResult("web.service", JobAction.RELOAD_OR_TRY_RESTART, JobEnd.DONE, ""),
            new UnitResult("tpl@a.service", JobAction.TRY_RESTART, JobEnd.DONE, ""),
            new UnitResult("tpl@b.service", JobAction.TRY_RESTART, JobEnd.DONE, ""),
            new UnitResult("gone.service", JobAction.TRY_RESTART, NoJob.NOT_LOADED, "")),
        Set.copyOf(r.units()));
    assertEquals(1, peer.callsOf("Reexecute"));
    assertEquals(2, peer.connections());
    assertEquals(3, peer.callsOf("TryRestartUnit"));
    assertEquals(1, peer.callsOf("ReloadOrTryRestartUnit"));
  }

  @Test
  void aJobThatFailsOrNeverEndsThroughTheWorker() throws Exception {
    peer.units.put("bad.service", "active");
    peer.units.put("slow.service", "active");
    peer.jobResults.put("bad.service", "failed");
    peer.jobResults.put("slow.service", "none");
    peer.start();
    UserTarget user = new UserTarget(UID, "root", Set.of(new Mark(Mark.Kind.RESTART, "bad.service")));
    Plan plan = new Plan(List.of(user), List.of(), ManagerAction.NONE, false, DEADLINE, 1, false);
    UserWorker worker = new UserWorker(connector, Log.silent());
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, worker.run(plan, user));
    assertEquals("bad.service: failed", f.message());

    UserTarget slow = new UserTarget(UID, "root", Set.of(new Mark(Mark.Kind.RESTART, "slow.service")));
    Result<Outcome> r = time(() -> worker.run(plan, slow));
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, r.value());
    assertEquals(net.userrestart.restart.Step.WAIT_JOBS, t.step());
    assertWithin(DEADLINE, r);
  }

  // ---- the socket ----

  @Test
  void aMissingSocketFailsWithinTheDeadline() {
    Result<UserManager> r = time(() -> connect(Deadline.in(DEADLINE)));
    SystemdException e = r.systemd();
    assertTrue(e.kind() != Kind.REFUSED, e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertWithin(DEADLINE, r);
  }

  @Test
  void aSocketThatAppearsLateIsWaitedFor() throws Exception {
    Thread later = new Thread(() -> {
      Threads.sleep(300);
      try {
        peer.start();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }, "test-late-peer");
    later.start();
    Result<UserManager> r = time(() -> connect(Deadline.in(PATIENT)));
    later.join();
    assertEquals(null, r.error());
  }

  @Test
  void aStaleSocketNobodyListensOnTimesOut() throws Exception {
    Files.createDirectories(socket(UID).getParent());
    ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket(UID))).close();
    assertTrue(Files.exists(socket(UID)));
    SystemdException e = connectFails(Kind.TIMEOUT);
    assertTrue(e.getMessage().contains("no answer"), e.getMessage());
  }

  @Test
  void aPeerRunningAsAnotherUserIsRefused() throws Exception {
    int uid = 4242;
    peer.close();
    peer = new FakePeer(socket(uid)).start();
    for (Path p : List.of(socket(uid).getParent().getParent(), socket(uid).getParent(), socket(uid))) {
      Files.setAttribute(p, "unix:uid", uid);
    }
    Result<UserManager> r = time(() -> connector.connect(uid, Deadline.in(PATIENT)));
    SystemdException e = r.systemd();
    assertEquals(Kind.REFUSED, e.kind());
    assertTrue(e.getMessage().contains("not uid 4242"), e.getMessage());
    assertEquals(List.of(), peer.calls(), "nothing is sent to a peer that is not the user's");
    assertEquals(1, peer.connections(), "a refusal is not retried");
    assertLongBeforeTheDeadline(r);
  }

  @Test
  void anExpiredDeadlineTimesOutAtOnce() throws Exception {
    peer.start();
    Result<UserManager> r = time(() -> connect(Deadline.in(Duration.ZERO)));
    assertEquals(Kind.TIMEOUT, r.systemd().kind());
    assertEquals(0, peer.connections());
  }

  // ---- faults while connecting ----

  @ParameterizedTest
  @EnumSource(value = FakePeer.Sasl.class, names = {"STALL", "REJECT", "GARBAGE"})
  void saslFaultsTimeOutAtTheDeadline(FakePeer.Sasl mode) throws Exception {
    peer.sasl(mode).hangUpAfter(1).start();
    connectFails(Kind.TIMEOUT);
    assertEquals(List.of(), peer.calls());
  }

  @Test
  void aPeerThatHangsUpAfterSaslIsRetriedUntilTheDeadline() throws Exception {
    peer.sasl(FakePeer.Sasl.CLOSE_AT_BEGIN).start();
    for (int i = 0; i < 5; i++) {
      connectFails(Kind.TIMEOUT);
    }
  }

  @ParameterizedTest
  @EnumSource(value = FakePeer.Sasl.class, names = {"STALL", "REJECT", "GARBAGE"})
  void aSaslFaultCannotHoldARunBeyondItsDeadlineAndMargin(FakePeer.Sasl mode) throws Exception {
    peer.sasl(mode).start();
    assertARunEndsInTime();
  }

  @Test
  void aPeerThatNeverAcceptsCannotHoldARunBeyondItsDeadlineAndMargin() throws Exception {
    peer.neverAccept().start();
    assertARunEndsInTime();
  }

  /** The Restarter gives up on a hung worker after its deadline and a 2 s margin, and interrupts it. */
  private void assertARunEndsInTime() {
    UserTarget user = new UserTarget(UID, "root", Set.of(new Mark(Mark.Kind.RESTART, "app.service")));
    Plan plan = new Plan(List.of(user), List.of(), ManagerAction.REEXECUTE, true, DEADLINE, 1, false);
    Result<List<Outcome>> r = time(() -> new Restarter(new UserWorker(connector, Log.silent())).run(plan, o -> {}));
    Outcome o = r.value().get(0);
    assertFalse(o.ok(), o.toString());
    assertFalse(o instanceof Outcome.Refused, o.toString());
    assertTrue(r.millis() < DEADLINE.toMillis() + 2000 + MARGIN_MILLIS, "took " + r.millis() + " ms");
    assertEquals(List.of(), peer.calls());
  }

  @Test
  void aPeerThatNeverAcceptsTimesOutAtTheDeadline() throws Exception {
    peer.neverAccept().start();
    connectFails(Kind.TIMEOUT);
  }

  @Test
  void aStalledHandshakeIsCutAtTheDeadlineNotEarlier() throws Exception {
    peer.sasl(FakePeer.Sasl.STALL).hangUpAfter(1).start();
    Duration deadline = Duration.ofMillis(1500);
    Result<UserManager> r = time(() -> connect(Deadline.in(deadline)));
    assertEquals(Kind.TIMEOUT, r.systemd().kind());
    assertTrue(r.millis() >= deadline.toMillis() - 50, "gave up early, after " + r.millis() + " ms");
    assertWithin(deadline, r);
  }

  @Test
  void anAttemptStartedJustBeforeTheDeadlineIsStillCut() throws Exception {
    peer.sasl(FakePeer.Sasl.STALL).start();
    for (int micros = 100; micros <= 3000; micros += 100) {
      Duration budget = Duration.ofNanos(micros * 1000L);
      Result<UserManager> r = time(() -> connect(Deadline.in(budget)));
      assertEquals(Kind.TIMEOUT, r.systemd().kind());
      assertWithin(budget, r);
    }
  }

  @Test
  void callsNeverAnsweredTimeOut() throws Exception {
    peer.on("Get", (c, s) -> { }).start();
    SystemdException e = connectFails(Kind.TIMEOUT);
    assertTrue(e.getMessage().contains("did not answer a first call"), e.getMessage());
  }

  @Test
  void aDropOnTheFirstCallIsRetriedUntilTheDeadline() throws Exception {
    /* Later attempts are hung up on, so that none completes, or stalls, as the deadline passes. */
    peer.on("Get", (c, s) -> s.close()).hangUpAfter(3).start();
    connectFails(Kind.TIMEOUT);
    assertTrue(peer.connections() > 1, "retried: " + peer.connections());
  }

  @Test
  void anErrorToTheFirstCallIsRetriedUntilTheDeadline() throws Exception {
    peer.on("Get", (c, s) -> s.error(c, "org.freedesktop.DBus.Error.AccessDenied", "go away")).hangUpAfter(3).start();
    connectFails(Kind.TIMEOUT);
    assertTrue(peer.callsOf("Get") > 1, "retried: " + peer.calls());
  }

  /*
   * The peer answers AUTH just as the deadline passes, again and again: every attempt ends as a
   * SystemdException or a manager, and nothing is left open or running.
   */
  @Test
  void aHandshakeEndingAtTheDeadlineNeitherThrowsUncheckedNorLeaks() throws Exception {
    peer.start();
    for (int i = 0; i < 40; i++) {
      long budget = 150;
      peer.okDelay(budget - 6 + (i % 8));
      Result<UserManager> r = time(() -> connect(Deadline.in(Duration.ofMillis(budget))));
      if (r.error() != null) {
        assertInstanceOf(SystemdException.class, r.error(), "attempt " + i + ": " + r.error());
      }
    }
    opened.forEach(UserManager::close);
    opened.clear();
    connector.close();
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 3000), "threads left behind");
  }

  @Test
  void anErrorToTheFirstCallIsReported() throws Exception {
    peer.on("Get", (c, s) -> s.error(c, "org.freedesktop.DBus.Error.AccessDenied", "go away")).start();
    SystemdException e = connectFails(Kind.TIMEOUT);
    assertTrue(e.getMessage().contains("go away"), e.getMessage());
  }

  @Test
  void garbageInsteadOfAReplyIsRetriedUntilTheDeadline() throws Exception {
    byte[] garbage = "l\u0002\u0000\u007fgarbage garbage garbage!".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    peer.on("Get", (c, s) -> s.write(garbage)).hangUpAfter(3).start();
    connectFails(Kind.TIMEOUT);
    assertTrue(peer.connections() > 1, "retried: " + peer.connections());
  }

  @Test
  void aSignalFloodDoesNotKeepTheConnectFromSucceeding() throws Exception {
    peer.on("Get", (c, s) -> {
      for (int i = 0; i < 5000; i++) {
        s.jobRemoved(i, "/org/freedesktop/systemd1/job/" + i, "x.service", "done");
      }
      s.reply(c, "v", new FakePeer.Variant("s", "flooded"));
    }).start();
    Result<UserManager> r = time(() -> connect(Deadline.in(PATIENT)));
    assertEquals("flooded", r.value().version());
  }

  // ---- faults after connecting ----

  @Test
  void aDropDuringACallFailsAtOnce() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> s.close()).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    SystemdException e = r.systemd();
    assertEquals(Kind.FAILED, e.kind(), e.getMessage());
    assertEquals("restart", e.step());
    assertLongBeforeTheDeadline(r);
  }

  @Test
  void aCallAfterTheConnectionDroppedFailsAtOnce() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> s.close()).start();
    UserManager m = connect(Deadline.in(PATIENT));
    time(() -> tryRestart(m, "app.service"));
    Result<String> r = time(() -> tryRestart(m, "other.service"));
    assertEquals(Kind.FAILED, r.systemd().kind());
    assertLongBeforeTheDeadline(r);
    Result<Map<String, UserManager.JobResult>> wait = time(() -> m.awaitJobs(List.of("/job/1")));
    assertEquals(Map.of(), wait.value());
    assertLongBeforeTheDeadline(wait); // a dead connection is not waited on
  }

  @Test
  void anUnansweredCallTimesOutAtTheDeadline() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> { }).start();
    Result<String> r = afterConnect(DEADLINE, m -> tryRestart(m, "app.service"));
    SystemdException e = r.systemd();
    assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
    assertEquals("restart", e.step());
    assertWithin(DEADLINE, r);
  }

  @Test
  void anErrorReplyFails() throws Exception {
    peer.on("TryRestartUnit", (c, s) ->
        s.error(c, "org.freedesktop.systemd1.NoSuchUnit", "Unit " + c.arg(0) + " not found.")).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    SystemdException e = r.systemd();
    assertEquals(Kind.FAILED, e.kind());
    assertEquals("try-restart", e.step());
    assertTrue(e.getMessage().contains("Unit app.service not found."), e.getMessage());
    assertLongBeforeTheDeadline(r);
  }

  @Test
  void anErrorReplyFailsWithItsDBusName() throws Exception {
    peer.on("TryRestartUnit", (c, s) ->
        s.error(c, "org.freedesktop.systemd1.NoSuchUnit", "Unit " + c.arg(0) + " not found.")).start();
    SystemdException e = afterConnect(m -> tryRestart(m, "app.service")).systemd();
    assertTrue(e.getMessage().startsWith("org.freedesktop.systemd1.NoSuchUnit: "), e.getMessage());
  }

  @Test
  void aPeersTextReachesTheReportAsOneLineOfBoundedLength() throws Exception {
    peer.on("TryRestartUnit", (c, s) ->
        s.error(c, "org.example.Evil", "line one\nforged line\u001b[31m" + "x".repeat(10_000))).start();
    SystemdException e = afterConnect(m -> tryRestart(m, "app.service")).systemd();
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertTrue(e.getMessage().contains("line one\\x0aforged line\\x1b[31m"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " characters");
  }

  @Test
  void unitRowsWhoseNameIsNoUnitNameAreLeftOut() throws Exception {
    peer.units.put("app@one.service", "active");
    peer.units.put("app@evil\nforged.service", "active");
    peer.start();
    Result<Map<String, String>> states = afterConnect(m -> m.activeStates(List.of("app@.service")));
    assertEquals(Map.of("app@one.service", "active"), states.value());
  }

  @Test
  void aReplyOfTheWrongTypeFails() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> s.reply(c, "s", "not a path")).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    assertEquals(Kind.FAILED, r.systemd().kind());
  }

  @Test
  void anErrorToReloadFails() throws Exception {
    peer.on("Reload", (c, s) -> s.error(c, "org.freedesktop.DBus.Error.AccessDenied", "no")).start();
    Result<Object> r = afterConnect(m -> {
      m.reload();
      return null;
    });
    assertEquals(Kind.FAILED, r.systemd().kind());
    assertEquals("reload", r.systemd().step());
  }

  @Test
  void reexecuteAnsweredWithAnErrorFails() throws Exception {
    peer.on("Reexecute", (c, s) -> s.error(c, "org.freedesktop.DBus.Error.AccessDenied", "not you")).start();
    Result<Object> r = afterConnect(m -> {
      m.reexecute();
      return null;
    });
    SystemdException e = r.systemd();
    assertEquals(Kind.FAILED, e.kind());
    assertEquals("reexecute", e.step());
    assertTrue(e.getMessage().contains("not you"), e.getMessage());
    assertLongBeforeTheDeadline(r);
  }

  @Test
  void reexecuteAnsweredInsteadOfDoneFails() throws Exception {
    peer.on("Reexecute", (c, s) -> s.reply(c, "")).start();
    Result<Object> r = afterConnect(m -> {
      m.reexecute();
      return null;
    });
    SystemdException e = r.systemd();
    assertEquals(Kind.FAILED, e.kind());
    assertTrue(e.getMessage().contains("replied instead of re-executing"), e.getMessage());
  }

  @Test
  void reexecuteIgnoredTimesOut() throws Exception {
    peer.on("Reexecute", (c, s) -> { }).start();
    Result<Object> r = afterConnect(DEADLINE, m -> {
      m.reexecute();
      return null;
    });
    assertEquals(Kind.TIMEOUT, r.systemd().kind());
    assertWithin(DEADLINE, r);
  }

  @Test
  void aSignalFloodDoesNotHideTheJobOrDelayTheWait() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      String job = "/org/freedesktop/systemd1/job/424242";
      s.reply(c, "o", job);
      // As many as the budget of bytes kept lets through; a flood beyond it ends the connection.
      for (int i = 0; i < 1000; i++) {
        s.jobRemoved(i, "/org/freedesktop/systemd1/job/" + i, "noise.service", "done");
      }
      s.jobRemoved(424242, job, c.arg(0), "done");
    }).start();
    UserManager m = connect(Deadline.in(PATIENT));
    Result<Map<String, UserManager.JobResult>> r = time(() -> m.awaitJobs(List.of(tryRestart(m, "app.service"))));
    assertEquals(
        Map.of("/org/freedesktop/systemd1/job/424242", new UserManager.JobResult("app.service", "done")),
        r.value());
  }

  /*
   * Signals are sorted by member before dbus-java parses them: a member field that runs past the
   * header leaves the decision to dbus-java (which drops the signal), and a JobRemoved whose fields
   * come in another order is still found. Signals not kept are skipped as they come, whatever their
   * length, before the first reply too: only replies and JobRemoved are held, and bounded. (Held
   * whole, the 4 MB one would end the connection: the budget of bytes kept is 256 KiB.)
   */
  @Test
  void theJobIsFoundAmongSignalsWithOddBrokenOrLargeHeaders() throws Exception {
    String job = "/org/freedesktop/systemd1/job/9";
    String big = "x".repeat(4_000_000);
    peer.on("Get", (c, s) -> {
      s.signal(FakePeer.PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged", "s", big);
      s.reply(c, "v", new FakePeer.Variant("s", "253.4-fake"));
    }).on("TryRestartUnit", (c, s) -> {
      s.reply(c, "o", job);
      byte[] broken = FakePeer.Message.encode(
          FakePeer.SIGNAL, 900, List.<Object[]>of(new Object[] {3, "s", "JobRemoved"}),
          "uoss", 9L, job, c.arg(0), "failed");
      // The member's length, just after the field's code and signature.
      broken[20] = broken[21] = broken[22] = (byte) 0xff;
      broken[23] = 0x7f;
      s.write(broken);
      s.signal(FakePeer.PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged", "s", big);
      s.write(FakePeer.Message.encode(
          FakePeer.SIGNAL, 901,
          List.<Object[]>of(
              new Object[] {3, "s", "JobRemoved"},
              new Object[] {2, "s", FakePeer.MANAGER},
              new Object[] {1, "o", FakePeer.PATH}),
          "uoss", 9L, job, c.arg(0), "done"));
    }).start();
    Result<Map<String, UserManager.JobResult>> r =
        afterConnect(m -> m.awaitJobs(List.of(tryRestart(m, "app.service"))));
    assertEquals(Map.of(job, new UserManager.JobResult("app.service", "done")), r.value(), String.valueOf(r.error()));
  }

  /** A reply larger than the read buffer arrives whole; what is shown of it is cut. */
  @Test
  void aLargeReplyArrivesWhole() throws Exception {
    peer.version = "9".repeat(200_000);
    peer.start();
    Result<UserManager> r = time(() -> connect(Deadline.in(PATIENT)));
    assertEquals("9".repeat(256) + "…(+" + (200_000 - 256) + ")", r.value().version());
  }

  /* What a JobRemoved says reaches the report: only a result word as systemd spells them counts. */
  @ParameterizedTest
  @ValueSource(strings = {"Done", "done\n", "done; rm -rf /", "", "abcdefghijklmnopqrstuvwxyzabcdefg"})
  void aJobRemovedWithAnOddResultDoesNotEndTheJob(String result) throws Exception {
    Result<Map<String, UserManager.JobResult>> r = jobRemovedSaying(result, DEADLINE);
    assertEquals(Map.of(), r.value());
    assertWithin(DEADLINE, r);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dependency", "canceled", "abcdefghijklmnopqrstuvwxyzabcdef"})
  void aJobRemovedWithAResultWordEndsTheJob(String result) throws Exception {
    assertEquals(
        Map.of(JOB_7, new UserManager.JobResult("app.service", result)),
        jobRemovedSaying(result, PATIENT).value());
  }

  private static final String JOB_7 = "/org/freedesktop/systemd1/job/7";

  /* A try-restart of app.service whose job ends with a JobRemoved saying {@code result}. */
  private Result<Map<String, UserManager.JobResult>> jobRemovedSaying(String result, Duration budget) throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      s.reply(c, "o", JOB_7);
      s.jobRemoved(7, JOB_7, c.arg(0), result);
    }).start();
    return afterConnect(budget, m -> m.awaitJobs(List.of(tryRestart(m, "app.service"))));
  }

  /* Replies to no call of ours, streamed steadily but below the 64 MiB dropped per connection. */
  @Test
  void aSteadyStreamOfRepliesToNoCallIsCutAtTheDeadline() throws Exception {
    byte[] one =
        FakePeer.Message.encode(
            FakePeer.METHOD_RETURN, 7, List.<Object[]>of(new Object[] {5, "u", 4_000_000_000L}), "");
    byte[] block = new byte[one.length * 128];
    for (int i = 0; i < 128; i++) {
      System.arraycopy(one, 0, block, i * one.length, one.length);
    }
    peer.on("TryRestartUnit", (c, s) -> {
      while (true) {
        s.write(block); // ends with an IOException once the client hangs up
        Threads.sleep(1);
      }
    }).start();
    Result<String> r = afterConnect(DEADLINE, m -> tryRestart(m, "app.service"));
    SystemdException e = r.systemd();
    assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
    assertWithin(DEADLINE, r);
  }

  /* Each JobRemoved is kept until the budget of bytes kept is spent: then the connection ends. */
  @Test
  void aFloodOfOtherJobsEndsTheWaitByTheDeadlineOrTheBudget() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      s.reply(c, "o", "/org/freedesktop/systemd1/job/1");
      for (int i = 2; i < 20_000; i++) {
        s.jobRemoved(i, "/org/freedesktop/systemd1/job/" + i, "noise.service", "done");
      }
    }).start();
    Result<Map<String, UserManager.JobResult>> r = afterConnect(DEADLINE, m -> m.awaitJobs(List.of(tryRestart(m, "app.service"))));
    assertEquals(Map.of(), r.value());
    assertWithin(DEADLINE, r);
  }

  @Test
  void aJobWithoutItsSignalEndsTheWaitAtTheDeadline() throws Exception {
    peer.jobResults.put("app.service", "none");
    peer.start();
    Deadline deadline = Deadline.in(DEADLINE);
    UserManager m = connect(deadline);
    Result<Map<String, UserManager.JobResult>> r = time(() -> m.awaitJobs(List.of(tryRestart(m, "app.service"))));
    assertEquals(Map.of(), r.value());
    assertTrue(deadline.remainingMillis() < 100, "gave up " + deadline.remainingMillis() + " ms early");
    assertWithin(DEADLINE, r);
  }

  /**
   * A length no user manager's reply comes near (2 MiB; beyond D-Bus) ends the connection before
   * anything is allocated: the socket is the user's, the memory root's.
   */
  @ParameterizedTest
  @ValueSource(longs = {0xFFFF_FFFFL, 0x7FFF_FFFFL, 0x20_0000L, -1L})
  void anOversizedReplyFailsAtOnce(long bodyLength) throws Exception {
    byte[] header =
        bodyLength < 0
            ? FakePeer.Message.header(FakePeer.METHOD_RETURN, 77, 0, 0xFFFF_FFF0L)
            : FakePeer.Message.header(FakePeer.METHOD_RETURN, 77, bodyLength, 0);
    peer.on("TryRestartUnit", (c, s) -> s.write(header)).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    SystemdException e = r.systemd();
    assertEquals(Kind.FAILED, e.kind(), e.getMessage());
    assertEquals("restart", e.step());
    assertTrue(e.getMessage().contains("message too large"), e.getMessage());
    assertLongBeforeTheDeadline(r);
  }

  /** The D-Bus specification: a message of a type the reader does not know is ignored. */
  @Test
  void anUnknownMessageTypeIsIgnored() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      s.write(FakePeer.Message.encode(9, 78, List.of(), ""));
      s.reply(c, "o", "/org/freedesktop/systemd1/job/5");
    }).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    assertEquals("/org/freedesktop/systemd1/job/5", r.value());
  }

  @Test
  void aReplyToACallNeverMadeIsHarmless() throws Exception {
    peer.on("TryRestartUnit", (c, s) -> {
      s.reply(new FakePeer.Call(c.serial() + 1000, 0, null, null, "x", "", List.of()), "o", "/bogus");
      s.reply(c, "o", "/org/freedesktop/systemd1/job/5");
    }).start();
    Result<String> r = afterConnect(m -> tryRestart(m, "app.service"));
    assertEquals("/org/freedesktop/systemd1/job/5", r.value());
  }
}
