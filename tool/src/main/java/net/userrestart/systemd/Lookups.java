// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs user database lookups where a hung directory cannot hold the caller. Behind NSS, a name or
 * a principal may come from sssd, LDAP or systemd-userdbd, which can hang for minutes; the JDK's
 * calls into it cannot be interrupted. Each lookup runs on a daemon thread and is waited for
 * until a time; one that has not come back by then is left behind, and the JVM does not wait for
 * it when it exits.
 */
final class Lookups {
  /* Idle threads end soon: a run's lookups come in two bursts (connect and reconnect). */
  private static final long KEEP_ALIVE_MILLIS = 1000;

  private final ExecutorService threads =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          KEEP_ALIVE_MILLIS,
          TimeUnit.MILLISECONDS,
          new SynchronousQueue<>(),
          task -> {
            Thread t = new Thread(task, "user-lookup");
            t.setDaemon(true);
            return t;
          });

  /**
   * What {@code lookup} returns, or empty when it returned null or has not returned by {@code
   * untilNanos} (or this thread is interrupted). What it throws is thrown, as the cause of an ExecutionException.
   */
  <T> Optional<T> until(long untilNanos, Callable<T> lookup) throws ExecutionException {
    Future<T> result = threads.submit(lookup);
    try {
      return Optional.ofNullable(
          result.get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      result.cancel(true);
      return Optional.empty();
    } catch (InterruptedException e) {
      result.cancel(true);
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
