// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.userrestart.log.Shown;

/**
 * Runs a plan: user managers concurrently, at most {@code plan.jobs()} at once, each within its own
 * deadline. Results come back in plan order, whatever order they finished in.
 *
 * <p>Whatever ends a worker, an {@link Error} included (a stack overflow in a parser, the heap
 * exhausted), fails that user only: the others run on and the run reports them all.
 */
public final class Restarter {
  /* Slack on top of a worker's own deadline before it is given up on from outside. */
  private static final Duration MARGIN = Duration.ofSeconds(2);

  private final UserWorker worker;

  public Restarter(UserWorker worker) {
    this.worker = worker;
  }

  /** A worker's thread and when it started. */
  private record Running(Thread thread, long started) {}

  /**
   * A finished worker's outcome, or what ended its thread (null when even that could not be
   * kept); users go by their place in the plan.
   */
  private record Finished(int index, Outcome outcome, Throwable failure) {}

  /** Runs every user of the plan; {@code finished} sees each outcome as soon as it is known. */
  public List<Outcome> run(Plan plan, Consumer<Outcome> finished) {
    List<Outcome> outcomes = new ArrayList<>();
    for (UserTarget absent : plan.absent()) {
      outcomes.add(new Outcome.Skipped(absent, "no active user manager"));
    }
    List<UserTarget> users = plan.users();
    Outcome[] done = new Outcome[users.size()];
    Deque<Integer> queue = new ArrayDeque<>();
    for (int i = 0; i < users.size(); i++) {
      queue.add(i);
    }
    Map<Integer, Running> running = new LinkedHashMap<>();
    // Room for every user from the start: a worker hands its result over without allocating.
    BlockingQueue<Finished> results = new ArrayBlockingQueue<>(Math.max(1, users.size()));
    int jobs = Math.max(1, plan.jobs());
    long limit = plan.timeout().plus(MARGIN).toNanos();
    try {
      while (!queue.isEmpty() || !running.isEmpty()) {
        while (running.size() < jobs && !queue.isEmpty()) {
          int index = queue.poll();
          running.put(index, start(plan, index, users.get(index), results));
        }
        Finished f = results.poll(nextCutOff(running, limit), TimeUnit.NANOSECONDS);
        if (f != null && running.remove(f.index()) != null) {
          done[f.index()] = outcome(users.get(f.index()), f);
          report(finished, done[f.index()]);
        }
        giveUpOnHung(users, running, limit, done, finished);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.values().forEach(r -> r.thread().interrupt());
    }
    for (int i = 0; i < done.length; i++) {
      outcomes.add(
          done[i] != null
              ? done[i]
              : new Outcome.Failed(users.get(i), Step.RUN, "interrupted", List.of(), Duration.ZERO));
    }
    return outcomes;
  }

  private Running start(Plan plan, int index, UserTarget user, BlockingQueue<Finished> results) {
    // Made before the thread starts: what the worker hands over should even its own ending fail.
    Finished crashed = new Finished(index, null, null);
    Thread t = new Thread(() -> results.add(work(plan, index, user, crashed)), "user-worker-" + user.uid());
    t.setDaemon(true);
    // The ending is reported as that user's outcome; the default handler would print a stack.
    t.setUncaughtExceptionHandler((thread, e) -> {});
    t.start();
    return new Running(t, System.nanoTime());
  }

  private Finished work(Plan plan, int index, UserTarget user, Finished crashed) {
    try {
      return new Finished(index, worker.run(plan, user), null);
    } catch (RuntimeException | Error e) {
      // A worker never throws by contract; should one, this user fails and the run goes on.
      try {
        return new Finished(index, null, e);
      } catch (Error again) {
        return crashed;
      }
    }
  }

  /*
   * A worker is bounded by its own deadline; one that is not (a bug, a library stuck in a call) is
   * abandoned so that it neither holds a slot nor delays the users behind it.
   */
  private static void giveUpOnHung(
      List<UserTarget> users,
      Map<Integer, Running> running,
      long limit,
      Outcome[] done,
      Consumer<Outcome> finished) {
    long now = System.nanoTime();
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (now - e.getValue().started() >= limit) {
        e.getValue().thread().interrupt();
        it.remove();
        Outcome o =
            new Outcome.TimedOut(
                users.get(e.getKey()),
                Step.RUN,
                "gave up waiting for this user",
                List.of(),
                Duration.ofNanos(now - e.getValue().started()));
        done[e.getKey()] = o;
        report(finished, o);
      }
    }
  }

  /* What a finished worker's user reports: its outcome, or an internal error of that user. */
  private static Outcome outcome(UserTarget user, Finished f) {
    if (f.outcome() != null) {
      return f.outcome();
    }
    String what = f.failure() == null ? "the worker ended abnormally" : String.valueOf(f.failure());
    return new Outcome.Failed(
        user, Step.RUN, "internal error: " + Shown.of(what), List.of(), Duration.ZERO);
  }

  /*
   * Hands an outcome to the caller's callback (a log line, the user's marks settled). Should that
   * fail, even with an Error, the outcome stands in the report and the marks the callback did not
   * settle stay pending: the other users go on.
   */
  private static void report(Consumer<Outcome> finished, Outcome o) {
    try {
      finished.accept(o);
    } catch (RuntimeException | Error e) {
      // Nothing to add: the report shows the outcome, and unsettled marks are redone next run.
    }
  }

  private static long nextCutOff(Map<Integer, Running> running, long limit) {
    long now = System.nanoTime();
    long next = limit;
    for (Running r : running.values()) {
      next = Math.min(next, r.started() + limit - now);
    }
    return Math.max(1, next);
  }
}
