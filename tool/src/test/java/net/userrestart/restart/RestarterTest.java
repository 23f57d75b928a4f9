// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.testutil.FakeConnector;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestarterTest {
  FakeConnector connector;
  List<String> threadsBefore;
  final List<CountDownLatch> gates = new ArrayList<>();

  @BeforeEach
  void setUp() {
    connector = new FakeConnector();
    threadsBefore = Threads.live();
  }

  @AfterEach
  void noThreadLeft() {
    gates.forEach(CountDownLatch::countDown);
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 3000), "threads left behind");
  }

  static UserTarget user(int uid) {
    return new UserTarget(uid, "user" + uid, Set.of(new Mark(Mark.Kind.RESTART, "app.service")));
  }

  static Plan plan(List<UserTarget> users, List<UserTarget> absent, int jobs, Duration timeout) {
    return new Plan(users, absent, ManagerAction.NONE, false, timeout, jobs, false);
  }

  static List<UserTarget> users(int... uids) {
    return IntStream.of(uids).mapToObj(RestarterTest::user).toList();
  }

  /** Runs the plan; {@code finished} collects the outcomes as the workers report them. */
  List<Outcome> run(Plan plan, List<Outcome> finished) {
    List<Outcome> reported = Collections.synchronizedList(finished);
    return new Restarter(new UserWorker(connector, Log.silent())).run(plan, reported::add);
  }

  void hang(int uid) {
    CountDownLatch gate = new CountDownLatch(1);
    gates.add(gate);
    connector.user(uid).connectGate = gate;
  }

  static List<Integer> uids(List<Outcome> outcomes) {
    return outcomes.stream().map(o -> o.user().uid()).toList();
  }

  @Test
  void resultsComeBackInPlanOrderWhateverOrderTheyFinishIn() {
    // User 4 finishes first; each report lets the next lower UID finish.
    for (int uid = 1; uid <= 4; uid++) {
      connector.user(uid).states.put("app.service", "active");
      if (uid < 4) {
        hang(uid);
      }
    }
    List<Outcome> finished = Collections.synchronizedList(new ArrayList<>());
    List<Outcome> outcomes =
        new Restarter(new UserWorker(connector, Log.silent()))
            .run(
                plan(users(1, 2, 3, 4), List.of(), 4, Duration.ofSeconds(5)),
                o -> {
                  finished.add(o);
                  int next = o.user().uid() - 1;
                  if (next >= 1) {
                    connector.user(next).connectGate.countDown();
                  }
                });
    assertEquals(List.of(1, 2, 3, 4), uids(outcomes));
    outcomes.forEach(o -> assertInstanceOf(Outcome.Restarted.class, o, o.toString()));
    // Each outcome was reported as soon as it was known.
    assertEquals(List.of(4, 3, 2, 1), uids(finished));
  }

  @Test
  void absentUsersAreSkippedAndComeFirst() {
    List<Outcome> finished = new ArrayList<>();
    List<Outcome> outcomes =
        run(plan(users(1000), users(3000, 2000), 2, Duration.ofSeconds(5)), finished);
    assertEquals(List.of(3000, 2000, 1000), uids(outcomes));
    Outcome.Skipped s = assertInstanceOf(Outcome.Skipped.class, outcomes.get(0));
    assertEquals("no active user manager", s.reason());
    assertTrue(s.ok());
    assertEquals(List.of(1000), uids(finished));
  }

  @Test
  void anEmptyPlanStartsNothing() {
    List<Outcome> outcomes = run(plan(List.of(), users(5), 2, Duration.ofSeconds(5)), new ArrayList<>());
    assertEquals(List.of(5), uids(outcomes));
    assertEquals(0, connector.user(5).connects());
  }

  @Test
  void concurrencyIsBoundedByJobs() {
    for (int uid = 1; uid <= 8; uid++) {
      connector.user(uid).connectDelay = Duration.ofMillis(100);
    }
    List<Outcome> outcomes =
        run(plan(users(1, 2, 3, 4, 5, 6, 7, 8), List.of(), 3, Duration.ofSeconds(5)), new ArrayList<>());
    assertEquals(8, outcomes.size());
    outcomes.forEach(o -> assertInstanceOf(Outcome.Restarted.class, o, o.toString()));
    assertTrue(connector.maxConcurrent() <= 3, "max concurrent " + connector.maxConcurrent());
    assertTrue(connector.maxConcurrent() >= 2, "users are worked on at once: " + connector.maxConcurrent());
  }

  @Test
  void oneJobWorksOnOneUserAtATime() {
    for (int uid = 1; uid <= 4; uid++) {
      connector.user(uid).connectDelay = Duration.ofMillis(30);
    }
    run(plan(users(1, 2, 3, 4), List.of(), 1, Duration.ofSeconds(5)), new ArrayList<>());
    assertEquals(1, connector.maxConcurrent());
  }

  @Test
  void aHangingWorkerIsGivenUpOnAfterItsDeadlineAndTheMargin() {
    hang(1);
    connector.user(2).states.put("app.service", "active");
    long start = System.nanoTime();
    List<Outcome> outcomes = run(plan(users(1, 2), List.of(), 2, Duration.ofSeconds(1)), new ArrayList<>());
    long took = (System.nanoTime() - start) / 1_000_000;
    assertTrue(took < 1000 + 2000 + 3000, "took " + took + " ms");
    Outcome.TimedOut t = assertInstanceOf(Outcome.TimedOut.class, outcomes.get(0));
    assertEquals(Step.RUN, t.step());
    assertInstanceOf(Outcome.Restarted.class, outcomes.get(1));
    long until = System.nanoTime() + 3_000_000_000L;
    while (!connector.user(1).calls().contains("interrupted") && System.nanoTime() < until) {
      Threads.sleep(10);
    }
    assertTrue(connector.user(1).calls().contains("interrupted"), "the hanging worker was interrupted");
  }

  @Test
  void aHangingWorkerDoesNotStarveTheUsersQueuedBehindIt() {
    hang(1);
    connector.user(2).states.put("app.service", "active");
    long start = System.nanoTime();
    List<Outcome> outcomes = run(plan(users(1, 2), List.of(), 1, Duration.ofSeconds(1)), new ArrayList<>());
    long took = (System.nanoTime() - start) / 1_000_000;
    assertInstanceOf(Outcome.TimedOut.class, outcomes.get(0));
    assertInstanceOf(Outcome.Restarted.class, outcomes.get(1), outcomes.get(1).toString());
    assertTrue(took < 1000 + 2000 + 3000, "took " + took + " ms");
  }

  @Test
  void anErrorInAWorkerIsAFailureOfThatUserOnly() {
    UserWorker worker =
        new UserWorker(
            (uid, deadline) -> {
              if (uid == 1) {
                throw new AssertionError("bug in the worker");
              }
              return connector.connect(uid, deadline);
            },
            Log.silent());
    List<Outcome> outcomes =
        new Restarter(worker).run(plan(users(1, 2), List.of(), 2, Duration.ofSeconds(5)), o -> {});
    Outcome.Failed f = assertInstanceOf(Outcome.Failed.class, outcomes.get(0));
    assertEquals(Step.RUN, f.step());
    assertTrue(f.message().contains("bug in the worker"), f.message());
    assertInstanceOf(Outcome.Restarted.class, outcomes.get(1));
  }

  @Test
  void anOutOfMemoryErrorOrAStackOverflowInAWorkerFailsThatUserOnly() {
    connector.user(1).connectCrash = new OutOfMemoryError("Java heap space");
    connector.user(2).connectCrash = new StackOverflowError();
    connector.user(3).states.put("app.service", "active");
    List<Outcome> finished = new ArrayList<>();
    List<Outcome> outcomes = run(plan(users(1, 2, 3), List.of(), 3, Duration.ofSeconds(5)), finished);
    Outcome.Failed oom = assertInstanceOf(Outcome.Failed.class, outcomes.get(0));
    assertEquals(Step.RUN, oom.step());
    assertTrue(oom.message().contains("OutOfMemoryError: Java heap space"), oom.message());
    Outcome.Failed overflow = assertInstanceOf(Outcome.Failed.class, outcomes.get(1));
    assertTrue(overflow.message().contains("StackOverflowError"), overflow.message());
    assertInstanceOf(Outcome.Restarted.class, outcomes.get(2));
    assertEquals(3, finished.size(), "every outcome was reported as it came");
  }

  @Test
  void anErrorInTheFinishedCallbackLeavesTheOtherUsersToFinish() {
    for (int uid = 1; uid <= 3; uid++) {
      connector.user(uid).states.put("app.service", "active");
    }
    List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
    List<Outcome> outcomes =
        new Restarter(new UserWorker(connector, Log.silent()))
            .run(
                plan(users(1, 2, 3), List.of(), 1, Duration.ofSeconds(5)),
                o -> {
                  seen.add(o.user().uid());
                  if (o.user().uid() == 1) {
                    throw new OutOfMemoryError("in the callback");
                  }
                  if (o.user().uid() == 2) {
                    throw new IllegalStateException("in the callback");
                  }
                });
    assertEquals(List.of(1, 2, 3), uids(outcomes));
    outcomes.forEach(o -> assertInstanceOf(Outcome.Restarted.class, o, o.toString()));
    assertEquals(List.of(1, 2, 3), seen);
  }
}
