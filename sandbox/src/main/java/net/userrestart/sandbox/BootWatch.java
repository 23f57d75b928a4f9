// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Watches a sandbox boot from the host: runs the probe script inside until systemd, every test
 * user's manager with its private socket and the enabled user units are up, tells a human how far
 * it got, and what systemd was doing when boot failed.
 */
final class BootWatch {
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);
  private static final long POLL_MILLIS = 100;
  private static final long REPORT_MILLIS = 1000;

  private final Sandbox sandbox;
  private final String probeScript;
  private final Runnable initAlive;
  private final Consumer<String> progress;

  /**
   * @param initAlive throws when the sandbox's init is gone, saying why
   */
  BootWatch(Sandbox sandbox, String probeScript, Runnable initAlive, Consumer<String> progress) {
    this.sandbox = sandbox;
    this.probeScript = probeScript;
    this.initAlive = initAlive;
    this.progress = progress;
  }

  /** Returns once everything is up; throws, after telling what systemd was doing, if not. */
  void awaitReady(BootDeadline deadline) {
    SandboxSpec spec = sandbox.spec();
    List<SandboxUser> users = sandbox.users();
    List<String> units = spec.enabledUserUnits();
    List<String> args = new ArrayList<>(List.of("/bin/sh", "-c", probeScript, "probe"));
    args.add(Integer.toString(SandboxSpec.FIRST_UID));
    args.add(Integer.toString(SandboxSpec.FIRST_UID + users.size() - 1));
    args.addAll(units);
    String lastSummary = "";
    long lastReport = 0;
    BootState state = null;
    String probeError = "";
    while (true) {
      initAlive.run();
      if (deadline.expired()) {
        diagnose();
        throw new SandboxException(
            "sandbox did not come up within "
                + spec.bootTimeout().toMillis()
                + " ms: "
                + (state == null
                    ? "no probe completed " + probeError
                    : state.missing(users, units)));
      }
      ExecResult r;
      try {
        r = sandbox.exec(deadline.cap(PROBE_TIMEOUT), args.toArray(String[]::new));
      } catch (SandboxException e) {
        // A probe that overran the deadline: the next round reports what is missing.
        probeError = e.getMessage();
        HostCgroup.sleep(POLL_MILLIS);
        continue;
      }
      state = BootState.parse(r.stdout());
      if (state.ready(users, units)) {
        if (state.system().equals("degraded")) {
          progress.accept("sandbox: system is degraded: " + failedUnits());
        }
        return;
      }
      List<String> failures = state.failures(users, units);
      if (!failures.isEmpty()) {
        diagnose();
        throw new SandboxException("sandbox boot failed: " + String.join(", ", failures));
      }
      String summary = state.summary(users);
      long now = System.nanoTime();
      if (!summary.equals(lastSummary) && now - lastReport > REPORT_MILLIS * 1_000_000) {
        progress.accept("sandbox: " + summary);
        lastSummary = summary;
        lastReport = now;
      }
      HostCgroup.sleep(POLL_MILLIS);
    }
  }

  private String failedUnits() {
    ExecResult r =
        sandbox.exec(STEP_TIMEOUT, "systemctl", "--failed", "--plain", "--no-legend", "--no-pager");
    return r.stdout().strip().replace('\n', ';');
  }

  /** Tells the human what systemd was doing when boot failed; best effort. */
  private void diagnose() {
    for (String[] cmd :
        List.of(
            new String[] {"systemctl", "list-jobs", "--no-pager"},
            new String[] {"systemctl", "--failed", "--no-pager"},
            new String[] {"journalctl", "-b", "--no-pager", "-n", "30"})) {
      try {
        ExecResult r = sandbox.exec(STEP_TIMEOUT, cmd);
        progress.accept("sandbox: $ " + String.join(" ", cmd));
        (r.stdout() + r.stderr()).lines().forEach(l -> progress.accept("sandbox:   " + l));
      } catch (SandboxException e) {
        progress.accept("sandbox: " + e.getMessage());
      }
    }
  }
}
