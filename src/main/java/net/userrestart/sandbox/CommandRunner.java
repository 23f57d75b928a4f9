// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a host command with a clean environment, optional stdin and a hard timeout. */
final class CommandRunner {
  private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);

  private CommandRunner() {}

  /**
   * Runs {@code command}; on timeout kills it and everything it started, then throws. Output left
   * unread by a killed command is dropped.
   */
  static ExecResult run(List<String> command, Map<String, String> env, byte[] stdin, Duration timeout) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    if (stdin == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
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
      killTree(p);
      throw new SandboxException("interrupted while running " + String.join(" ", command), e);
    }
    if (!done) {
      killTree(p);
      throw new SandboxException(
          "timed out after " + timeout.toMillis() + " ms: " + String.join(" ", command));
    }
    return new ExecResult(p.exitValue(), out.text(OUTPUT_GRACE), err.text(OUTPUT_GRACE));
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

  /** Kills the descendants first: nsenter's child lives on in the sandbox if nsenter alone dies. */
  static void killTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
