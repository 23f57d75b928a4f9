// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Starts the init process on a thread of its own that lives as long as the process. */
final class InitKeeper {
  private InitKeeper() {}

  /**
   * PR_SET_PDEATHSIG fires when the thread that forked the process ends, not the JVM: the
   * caller's thread may be a short-lived one, so a dedicated thread forks and then waits.
   */
  static Process start(List<String> cmd, Map<String, String> env, String name) {
    CompletableFuture<Process> started = new CompletableFuture<>();
    Thread keeper =
        new Thread(
            () -> {
              ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
              pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
              pb.environment().clear();
              pb.environment().putAll(env);
              Process p;
              try {
                p = pb.start();
              } catch (IOException e) {
                started.completeExceptionally(e);
                return;
              }
              started.complete(p);
              while (true) {
                try {
                  p.waitFor();
                  return;
                } catch (InterruptedException e) {
                  // Keep living: ending this thread would kill the sandbox.
                }
              }
            },
            "sandbox-init-" + name);
    keeper.setDaemon(true);
    keeper.start();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          // Uninterruptibly: giving up here would leave a started process without an owner.
          return started.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      throw new SandboxException(
          "cannot start unshare: " + e.getCause().getMessage(), e.getCause());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
