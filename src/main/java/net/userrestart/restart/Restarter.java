// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

  /** Runs every user of the plan; {@code finished} sees each outcome as soon as it is known. */
  public List<Outcome> run(Plan plan, Consumer<Outcome> finished) {
    List<Outcome> outcomes = new ArrayList<>();
    for (UserTarget absent : plan.absent()) {
      outcomes.add(new Outcome.Skipped(absent, "no active user manager"));
    }
    if (plan.users().isEmpty()) {
      return outcomes;
    }
    int threads = Math.max(1, Math.min(plan.jobs(), plan.users().size()));
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "user-worker");
              t.setDaemon(true);
              return t;
            });
    try {
      Map<UserTarget, Future<Outcome>> running = new LinkedHashMap<>();
      for (UserTarget user : plan.users()) {
        running.put(
            user,
            pool.submit(
                () -> {
                  Outcome o = worker.run(plan, user);
                  finished.accept(o);
                  return o;
                }));
      }
      /* Waiting in plan order is fine: each worker is bounded by its own deadline, so the wait for
       * all is bounded by the slowest, and queued workers start their deadline when they start. */
      long waves = (plan.users().size() + threads - 1) / threads;
      long budget = plan.timeout().plus(MARGIN).toMillis() * waves;
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budget);
      running.forEach((user, future) -> outcomes.add(await(user, future, until)));
    } finally {
      pool.shutdownNow();
    }
    return outcomes;
  }

  private static Outcome await(UserTarget user, Future<Outcome> future, long until) {
    try {
      return future.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      return new Outcome.TimedOut(user, "run", "gave up waiting for this user", List.of(), Duration.ZERO);
    } catch (ExecutionException e) {
      return new Outcome.Failed(user, "run", "internal error: " + e.getCause(), List.of(), Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome.Failed(user, "run", "interrupted", List.of(), Duration.ZERO);
    }
  }
}
