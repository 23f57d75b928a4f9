// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code systemd-user-restart sandbox} as a user runs it: the demo, a packager's upgrade check, and
 * teardown that leaves nothing behind, also when the command is stopped with SIGTERM.
 */
@Tag("systemd")
class SandboxCommandIT {
  private static final Pattern CGROUP = Pattern.compile("in cgroup (\\S+)");
  private static final Pattern INIT = Pattern.compile("host pid (\\d+)");

  /** What a finished command printed, and what it booted. */
  record Run(int exitCode, String stdout, String stderr) {
    Path cgroup() {
      Matcher m = CGROUP.matcher(stderr);
      assertTrue(m.find(), stderr);
      return Path.of(m.group(1));
    }

    long initPid() {
      Matcher m = INIT.matcher(stderr);
      assertTrue(m.find(), stderr);
      return Long.parseLong(m.group(1));
    }
  }

  private static Run run(String... args) throws Exception {
    ToolSandbox.requireSandbox();
    List<String> argv = new ArrayList<>(List.of(ToolSandbox.TOOL, "sandbox"));
    argv.addAll(ToolSandbox.TREE.sandboxOptions());
    argv.addAll(List.of(args));
    Path out = Files.createTempFile("sur-sandbox", ".out");
    Path err = Files.createTempFile("sur-sandbox", ".err");
    Process p = null;
    try {
      p =
          new ProcessBuilder(argv)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "sandbox command did not finish");
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      stop(p);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * Ends a sandbox command still running: SIGTERM first, so that it tears its sandbox down; a
   * SIGKILL would leave that to the next boot.
   */
  private static void stop(Process p) throws InterruptedException {
    if (p != null && p.isAlive()) {
      p.destroy();
      if (!p.waitFor(1, TimeUnit.MINUTES)) {
        p.destroyForcibly();
      }
    }
  }

  private static void assertTornDown(Path cgroup, long initPid) {
    assertFalse(Files.exists(cgroup), "cgroup left: " + cgroup);
    assertFalse(Files.exists(Path.of(cgroup + "-exec")), "cgroup left: " + cgroup + "-exec");
    assertFalse(ProcessHandle.of(initPid).isPresent(), "init left: " + initPid);
    try {
      assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains("sur-sandbox"), "mount left");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void demoRestartsTheMarkedUnitForEveryUserAndTearsDown() throws Exception {
    Run r = run("--users", "3", "--json");

    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.stdout().contains("\"mode\":\"demo\",\"ok\":true"), r::toString);
    for (int uid = 4001; uid <= 4003; uid++) {
      assertTrue(r.stdout().contains("\"uid\":" + uid + ",\"user\":\"sur-user" + (uid - 4000) + "\",\"unit\":\"sur-demo.service\""), r::toString);
    }
    assertEquals(3, r.stdout().split("\"restarted\":true", -1).length - 1, r::toString);
    assertEquals(3, r.stdout().split("\"restarted\":false", -1).length - 1, r::toString);
    assertTrue(r.stderr().contains("torn down"), r::toString);
    assertTornDown(r.cgroup(), r.initPid());
  }

  @Test
  void packagersUpgradeCheckReportsRestartedAndKeptUnits() throws Exception {
    RpmTools.requireRpm();
    try (RpmTools.Packages rpms = RpmTools.Packages.build()) {
      Run r =
          run(
              "--tool-rpm", rpms.tool().toString(),
              "--install", rpms.test("sur-test-app", 1).toString(), rpms.test("sur-test-other", 1).toString(),
              "--upgrade", rpms.test("sur-test-app", 2).toString(), rpms.test("sur-test-other", 2).toString(),
              "--expect-restart", "sur-test-app.service",
              "--expect-kept", "sur-test-other.service");
      assertEquals(0, r.exitCode(), r::toString);
      assertTrue(r.stdout().contains("All expectations met."), r::toString);
      // The package without the macro still runs its old, replaced script.
      assertTrue(
          Pattern.compile("sur-user1\\s+sur-test-other.service\\s+(\\d+)\\s+\\1\\s+no\\s+/usr/libexec/sur-test-other/run")
              .matcher(r.stdout()).find(),
          r::toString);
      assertTrue(Pattern.compile("sur-user2\\s+sur-test-app.service\\s+\\d+\\s+\\d+\\s+yes\\s+-").matcher(r.stdout()).find(), r::toString);
      assertTornDown(r.cgroup(), r.initPid());

      Run wrong =
          run(
              "--tool-rpm", rpms.tool().toString(),
              "--install", rpms.test("sur-test-other", 1).toString(),
              "--upgrade", rpms.test("sur-test-other", 2).toString(),
              "--expect-restart", "sur-test-other.service");
      assertEquals(1, wrong.exitCode(), wrong::toString);
      assertTrue(wrong.stdout().contains("FAILED: sur-user1: sur-test-other.service was not restarted"), wrong::toString);
      assertTornDown(wrong.cgroup(), wrong.initPid());
    }
  }

  @Test
  void keepThenSigtermTearsDown() throws Exception {
    ToolSandbox.requireSandbox();
    List<String> argv = new ArrayList<>(List.of(ToolSandbox.TOOL, "sandbox"));
    argv.addAll(ToolSandbox.TREE.sandboxOptions());
    argv.addAll(List.of("--users", "1", "--keep"));
    Process p =
        new ProcessBuilder(argv)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    StringBuilder err = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while ((line = r.readLine()) != null && System.nanoTime() < until) {
        err.append(line).append('\n');
        if (line.contains("stop it with")) {
          break;
        }
      }
      assertTrue(err.toString().contains("nsenter --target"), err::toString);
      Run kept = new Run(0, "", err.toString());
      long init = kept.initPid();
      assertTrue(ProcessHandle.of(init).isPresent(), "sandbox not running while kept");
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(1, TimeUnit.MINUTES), "did not stop on SIGTERM");
      assertTornDown(kept.cgroup(), init);
    } finally {
      stop(p);
    }
  }
}
