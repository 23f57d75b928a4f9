// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import net.userrestart.log.Log;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Request;

/**
 * A restart of every user's manager begun before picocli has parsed the command line, for the one
 * command line whose meaning is certain without it: {@code --all-users}, perhaps with {@code
 * --quiet}, which is what the rpm file triggers run (see {@link Preview}). Started as soon as the
 * JVM is up, it waits on its own thread for PID 1's answer and works on the managers while the main
 * thread parses, so that their re-execs overlap the JVM's start-up, when the CPUs are half idle.
 * The restart command then takes its outcomes instead of starting its own.
 *
 * <p>It does what the restart command would, in the same order, through the same code: PID 1, the
 * mark store's lock and claim, then the users. What fails before a user manager is reached (PID 1,
 * the store) is rethrown to the restart command, which reports it as usual.
 */
final class EarlyRestart {
  private final FutureTask<List<Outcome>> task;

  private EarlyRestart(FutureTask<List<Outcome>> task) {
    this.task = task;
  }

  /** Starts the restart that {@code --all-users} asks for, logging to {@code log}. */
  static EarlyRestart start(Context context, Log log) {
    Request request = RestartCommand.allUsers(context);
    // A class, not a lambda: linking one costs about a millisecond, before anything can start.
    FutureTask<List<Outcome>> task =
        new FutureTask<>(
            new Callable<>() {
              @Override
              public List<Outcome> call() {
                Steps.Managers managers = Steps.managers(context.host(), request.timeout());
                return RestartCommand.restart(context, request, managers, log);
              }
            });
    Thread t = new Thread(task, "early-restart");
    t.setDaemon(true);
    t.start();
    return new EarlyRestart(task);
  }

  /** Waits for the outcomes; what ended the restart before any user is thrown again here. */
  List<Outcome> outcomes() {
    try {
      return task.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExitException(ExitCodes.INTERNAL, "interrupted while restarting");
    }
  }
}
