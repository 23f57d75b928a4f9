// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a plan: user managers concurrently, at most {@code plan.jobs()} at once, each within its own
 * deadline. Results come back in plan order, whatever order they finished in.
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

  /** A finished worker's outcome, or what ended its thread; users go by their place in the plan. */
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
    BlockingQueue<Finished> results = new LinkedBlockingQueue<>();
    int jobs = Math.max(1, plan.jobs());
    long limit = plan.timeout().plus(MARGIN).toNanos();
    try {
      while (!queue.isEmpty() || !running.isEmpty()) {
        while (running.size() < jobs && !queue.isEmpty()) {
          int index = queue.poll();
          UserTarget user = users.get(index);
          Runnable work = () -> results.add(work(plan, index, user));
          Thread t = new Thread(work, "user-worker-" + user.uid());
          t.setDaemon(true);
          running.put(index, new Running(t, System.nanoTime()));
          t.start();
        }
        Finished f = results.poll(nextCutOff(running, limit), TimeUnit.NANOSECONDS);
        if (f != null && running.remove(f.index()) != null) {
          Outcome o =
              f.outcome() != null ? f.outcome() : internal(users.get(f.index()), f.failure());
          done[f.index()] = o;
          finished.accept(o);
        }
        /* A worker is bounded by its own deadline; one that is not (a bug, a library stuck in a
         * call) is abandoned so that it neither holds a slot nor delays the users behind it. */
        long now = System.nanoTime();
        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
          var e = it.next();
          if (now - e.getValue().started() >= limit) {
            e.getValue().thread().interrupt();
            it.remove();
            Outcome o = givenUp(users.get(e.getKey()), now - e.getValue().started());
            done[e.getKey()] = o;
            finished.accept(o);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.values().forEach(r -> r.thread().interrupt());
    }
    for (int i = 0; i < done.length; i++) {
      outcomes.add(done[i] != null ? done[i] : interrupted(users.get(i)));
    }
    return outcomes;
  }

  private Finished work(Plan plan, int index, UserTarget user) {
    try {
      return new Finished(index, worker.run(plan, user), null);
    } catch (RuntimeException | Error e) {
      // A worker never throws by contract; should one, this user fails and the run goes on.
      return new Finished(index, null, e);
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

  private static Outcome givenUp(UserTarget user, long nanos) {
    return new Outcome.TimedOut(
        user, Step.RUN, "gave up waiting for this user", List.of(), Duration.ofNanos(nanos));
  }

  private static Outcome interrupted(UserTarget user) {
    return new Outcome.Failed(user, Step.RUN, "interrupted", List.of(), Duration.ZERO);
  }

  private static Outcome internal(UserTarget user, Throwable e) {
    return new Outcome.Failed(user, Step.RUN, "internal error: " + e, List.of(), Duration.ZERO);
  }
}
