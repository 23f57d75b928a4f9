// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host command in a cgroup of its own, with a clean environment, optional stdin and a hard
 * timeout. The cgroup catches everything the command starts, also what nsenter forks into the
 * sandbox and what outlives its parent, so that killing it on timeout leaves nothing behind.
 */
final class CommandRunner {
  private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  private CommandRunner() {}

  /**
   * Runs {@code command} in {@code jail}, a fresh empty cgroup, removed afterwards unless the
   * command left a process running. On timeout kills everything in it and throws.
   */
  static ExecResult run(
      List<String> command,
      Map<String, String> env,
      byte[] stdin,
      Duration timeout,
      HostCgroup jail) {
    List<String> wrapped =
        new ArrayList<>(List.of("/bin/sh", "-c", "echo $$ >\"$0/cgroup.procs\" && exec \"$@\""));
    wrapped.add(jail.path().toString());
    wrapped.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(wrapped);
    pb.environment().clear();
    pb.environment().putAll(env);
    if (stdin == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    try {
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new SandboxException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
      }
      StreamCollector out = new StreamCollector(p.getInputStream(), "sandbox-exec-out-" + p.pid());
      StreamCollector err = new StreamCollector(p.getErrorStream(), "sandbox-exec-err-" + p.pid());
      if (stdin != null) {
        feed(p, stdin);
      }
      boolean done;
      try {
        done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill(p, jail);
        throw new SandboxException("interrupted while running " + describe(command), e);
      }
      if (!done) {
        kill(p, jail);
        throw new SandboxException(
            "timed out after " + timeout.toMillis() + " ms: " + describe(command));
      }
      // A daemon the command started may keep the pipes open: the grace bounds the wait for EOF.
      return new ExecResult(p.exitValue(), out.text(OUTPUT_GRACE), err.text(OUTPUT_GRACE));
    } finally {
      release(jail);
    }
  }

  /** The command line for a message, inline scripts shortened to their first line. */
  static String describe(List<String> command) {
    StringBuilder b = new StringBuilder();
    for (String arg : command) {
      String shown = arg.lines().findFirst().orElse("");
      if (shown.length() > 60 || shown.length() < arg.length()) {
        shown = shown.substring(0, Math.min(60, shown.length())) + "...";
      }
      b.append(b.length() == 0 ? "" : " ").append(shown);
    }
    return b.toString();
  }

  /** Writes stdin on its own thread so that a command that does not read cannot block us. */
  private static void feed(Process p, byte[] stdin) {
    Thread t =
        new Thread(
            () -> {
              try (OutputStream os = p.getOutputStream()) {
                os.write(stdin);
              } catch (IOException e) {
                // The command exited without reading all of it; its exit code tells.
              }
            },
            "sandbox-exec-in-" + p.pid());
    t.setDaemon(true);
    t.start();
  }

  /** cgroup.kill reaches processes forked while it runs, unlike signalling a list of PIDs. */
  private static void kill(Process p, HostCgroup jail) {
    jail.kill();
    p.destroyForcibly();
    try {
      p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    jail.awaitEmpty(KILL_WAIT);
  }

  /**
   * Removes the cgroup if the command left nothing running in it. Daemons it started on purpose
   * live on until the sandbox is closed, whose teardown kills and removes every exec cgroup.
   */
  private static void release(HostCgroup jail) {
    try {
      if (!jail.populated()) {
        jail.remove(KILL_WAIT);
      }
    } catch (IOException | SandboxException e) {
      // Left for teardown, which reports what it cannot remove.
    }
  }
}
