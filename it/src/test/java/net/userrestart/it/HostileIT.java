// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A user owns /run/user/UID and can put anything at the socket's path. Root must refuse all of it,
 * send PID 1 nothing, stay within the deadline, and carry on with the other users.
 */
@Tag("systemd")
class HostileIT {
  static final String UNIT = "sur-demo.service";
  static ToolSandbox box;
  static SandboxUser victim;
  static SandboxUser other;
  static SandboxUser bystander;
  static SandboxUser fourth;

  @BeforeAll
  static void boot() throws Exception {
    box = ToolSandbox.boot(SandboxSpec.of(4).withUserUnit(UNIT, Trial.sleeper("demo")));
    victim = box.users().get(0);
    other = box.users().get(1);
    bystander = box.users().get(2);
    fourth = box.users().get(3);
  }

  @AfterAll
  static void teardown() {
    if (box != null) {
      box.close();
    }
  }

  @BeforeEach
  void freshMarks() {
    box.root("rm", "-rf", "/run/systemd-user-restart");
  }

  private static String dir(SandboxUser u) {
    return "/run/user/" + u.uid() + "/systemd";
  }

  /** Runs a shell command as the hostile user. */
  private static void asVictim(String script) {
    ExecResult r = box.sandbox.execAsUser(victim, ToolSandbox.RUN, "sh", "-c", script);
    assertEquals(0, r.exitCode(), r::toString);
  }

  private static String pid1Generation() {
    // Generators run again on a re-exec; units are loaded again on a reload too.
    return box.root(
            "systemctl", "show", "-p", "GeneratorsStartTimestampMonotonic", "-p", "UnitsLoadTimestampMonotonic")
        .stdout()
        .strip();
  }

  /**
   * Marks the unit, runs --all-users, and checks: the victim is refused (or timed out) with nothing
   * sent to PID 1 or the victim's own manager, the others are restarted.
   */
  private static ExecResult runAgainstHostilePath(String outcome) {
    String pid1 = pid1Generation();
    String otherUnit = box.identity(other, UNIT);
    String bystanderUnit = box.identity(bystander, UNIT);
    box.toolOk("mark", UNIT);

    ExecResult run = box.tool("--all-users", "--json", "--timeout", "3");

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(
        run.stdout().contains("\"uid\":" + victim.uid() + ",\"user\":\"" + victim.name() + "\",\"outcome\":\"" + outcome + "\""),
        run::toString);
    assertEquals(pid1, pid1Generation(), "PID 1 was re-executed or reloaded");
    assertNotEquals(otherUnit, box.identity(other, UNIT), "the other users must still be served");
    assertNotEquals(bystanderUnit, box.identity(bystander, UNIT));
    assertTrue(
        box.root("test", "-e", "/run/systemd-user-restart/user/" + victim.uid() + "/restart/" + UNIT).ok(),
        "the refused user's mark must stay pending");
    return run;
  }

  private static void restoreAfter(Runnable swap, String outcome) {
    String victimUnit = box.identity(victim, UNIT);
    swap.run();
    try {
      runAgainstHostilePath(outcome);
    } finally {
      asVictim("cd " + dir(victim) + " && rm -rf private && mv private.real private");
    }
    assertEquals(victimUnit, box.identity(victim, UNIT), "the victim's unit was restarted");
  }

  @Test
  void symlinkToPid1Socket() {
    restoreAfter(
        () -> asVictim("cd " + dir(victim) + " && mv private private.real && ln -s /run/systemd/private private"),
        "refused");
  }

  @Test
  void symlinkToAnotherUsersSocket() {
    restoreAfter(
        () -> asVictim("cd " + dir(victim) + " && mv private private.real && ln -s " + dir(other) + "/private private"),
        "refused");
  }

  @Test
  void regularFileInsteadOfSocket() {
    restoreAfter(
        () -> asVictim("cd " + dir(victim) + " && mv private private.real && echo hello > private"),
        "refused");
  }

  @Test
  void directoryIsASymlink() {
    String victimUnit = box.identity(victim, UNIT);
    String base = "/run/user/" + victim.uid();
    asVictim("cd " + base + " && mv systemd systemd.real && ln -s " + dir(other) + " systemd");
    try {
      runAgainstHostilePath("refused");
    } finally {
      asVictim("cd " + base + " && rm systemd && mv systemd.real systemd");
    }
    assertEquals(victimUnit, box.identity(victim, UNIT));
  }

  @Test
  void serverThatNeverAnswersIsBoundedByTheDeadline() {
    // The user's own listener: accepts and never says a word, not even in the SASL handshake.
    String server =
        "import socket,time\n"
            + "s=socket.socket(socket.AF_UNIX)\ns.bind('private')\ns.listen(64)\ns.settimeout(0.5)\n"
            + "held=[]\nend=time.time()+90\n"
            + "while time.time()<end:\n"
            + "  try:\n    held.append(s.accept()[0])\n  except socket.timeout:\n    pass\n";
    box.sandbox.writeFile("/tmp/stall.py", server);
    ExecResult started =
        box.sandbox.execAsUser(
            victim,
            ToolSandbox.RUN,
            "sh",
            "-c",
            "cd " + dir(victim) + " && mv private private.real && "
                + "{ setsid python3 /tmp/stall.py </dev/null >/dev/null 2>&1 & echo $!; } && "
                + "for i in $(seq 50); do [ -S private ] && break; sleep 0.1; done");
    assertEquals(0, started.exitCode(), started::toString);
    String pid = started.stdout().strip();
    try {
      ExecResult run = runAgainstHostilePath("timed-out");
      // Ended by its own deadline at connect, not given up on from outside.
      assertTrue(
          Pattern.compile("\"uid\":" + victim.uid() + ",[^}]*\"step\":\"connect\"").matcher(run.stdout()).find(),
          run::toString);
      Matcher took =
          Pattern.compile("\"uid\":" + victim.uid() + ",.*?\"durationMs\":(\\d+)").matcher(run.stdout());
      assertTrue(took.find(), run::toString);
      assertTrue(Long.parseLong(took.group(1)) < 3000 + 2000, "deadline not kept: " + took.group(1) + " ms");
    } finally {
      box.root("kill", pid);
      asVictim("cd " + dir(victim) + " && for i in $(seq 50); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.1; done; rm -f private && mv private.real private");
    }
  }

  /** Starts user {@code u}'s own D-Bus server on their manager's socket; its PID. */
  private static String serveOwnManager(SandboxUser u, String mode) {
    ExecResult started =
        box.sandbox.execAsUser(
            u,
            ToolSandbox.RUN,
            "sh",
            "-c",
            "cd " + dir(u) + " && mv private private.real && "
                + "{ setsid python3 /tmp/hostile-manager.py " + mode + " </dev/null >/dev/null 2>&1 & echo $!; } && "
                + "for i in $(seq 50); do [ -S private ] && break; sleep 0.1; done && [ -S private ]");
    assertEquals(0, started.exitCode(), started::toString);
    return started.stdout().strip();
  }

  private static void stopOwnManager(SandboxUser u, String pid) {
    box.root("kill", pid);
    ExecResult r =
        box.sandbox.execAsUser(
            u,
            ToolSandbox.RUN,
            "sh",
            "-c",
            "cd " + dir(u) + " && for i in $(seq 50); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.1; done; "
                + "rm -f private && mv private.real private");
    assertEquals(0, r.exitCode(), r::toString);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = HostileIT.class.getResourceAsStream(name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Issue 15: users who serve their own D-Bus server on their manager's socket, one amplifying
   * (long texts full of controls, the most marked jobs, none ending), one flooding (JobRemoved
   * signals with 48 KiB paths, a reply of 43,000 job paths), one busy (replies to serials never
   * used, without pause). In the same run the other user's real manager is re-executed and its
   * marked unit restarted; what root prints about each hostile user stays small and clean, their
   * marks stay pending, and the run ends.
   */
  @Test
  void usersServingTheirOwnManagerFailAloneBoundedAndClean() throws IOException {
    box.sandbox.writeFile("/tmp/hostile-manager.py", resource("hostile-manager.py"));
    Map<SandboxUser, String> modes = new LinkedHashMap<>();
    modes.put(victim, "amplify");
    modes.put(other, "flood");
    modes.put(fourth, "busy");
    Map<SandboxUser, String> units = new LinkedHashMap<>();
    modes.keySet().forEach(u -> units.put(u, box.identity(u, UNIT)));
    String bystanderUnit = box.identity(bystander, UNIT);
    ToolSandbox.Generation bystanderManager = box.managerGeneration(bystander);
    Map<SandboxUser, String> servers = new LinkedHashMap<>();
    ExecResult run;
    try {
      modes.forEach((u, mode) -> servers.put(u, serveOwnManager(u, mode)));
      box.toolOk("mark", UNIT);
      run = box.tool("--all-users", "--timeout", "5");
    } finally {
      servers.forEach(HostileIT::stopOwnManager);
    }
    String summary = "exit " + run.exitCode() + ", " + run.stdout().length() + " + " + run.stderr().length() + " characters";
    assertEquals(1, run.exitCode(), summary + "\n" + head(run.stderr()));
    assertClean(run.stdout());
    assertClean(run.stderr());
    for (SandboxUser u : modes.keySet()) {
      String block = reportOf(u, run.stdout());
      assertTrue(block.startsWith(label(u) + ": "), modes.get(u) + ": " + head(block));
      assertFalse(block.startsWith(label(u) + ": daemon-reexec done"), head(block));
      long bytes = block.getBytes(StandardCharsets.UTF_8).length;
      assertTrue(bytes <= 64 * 1024, modes.get(u) + ": " + bytes + " bytes of report");
      assertTrue(
          box.root("test", "-e", "/run/systemd-user-restart/user/" + u.uid() + "/restart/" + UNIT).ok(),
          modes.get(u) + ": the hostile user's mark must stay pending");
      assertEquals(units.get(u), box.identity(u, UNIT), "the hostile user's real manager was reached");
    }
    assertTrue(run.stdout().length() < 4 * 64 * 1024, summary);
    assertTrue(run.stderr().length() < 64 * 1024, summary);
    assertTrue(reportOf(bystander, run.stdout()).startsWith(label(bystander) + ": daemon-reexec done"), head(run.stdout()));
    assertNotEquals(bystanderUnit, box.identity(bystander, UNIT), "the other user must still be served");
    assertEquals(bystanderManager.reexecuted(), box.managerGeneration(bystander));
  }

  /** The lines of the human report about user {@code u}: its line and its units' lines. */
  private static String reportOf(SandboxUser u, String stdout) {
    StringBuilder b = new StringBuilder();
    boolean in = false;
    for (String line : stdout.lines().toList()) {
      if (!line.startsWith("  ")) {
        in = line.startsWith(label(u) + ":");
      }
      if (in) {
        b.append(line).append('\n');
      }
    }
    return b.toString();
  }

  private static void assertClean(String text) {
    for (String line : text.lines().toList()) {
      for (char c : line.toCharArray()) {
        assertFalse(
            c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029',
            "control character " + (int) c + " in: " + head(line));
      }
    }
  }

  /** How the report names a user. */
  private static String label(SandboxUser u) {
    return "user " + u.name() + " (" + u.uid() + ")";
  }

  private static String head(String text) {
    return text.substring(0, Math.min(text.length(), 2000));
  }

  @Test
  void twoRunsAtOnceDoNotBothAct() {
    long pid = box.managerPid(victim);
    box.toolOk("mark", UNIT);
    box.root("kill", "-STOP", Long.toString(pid));
    String background = "";
    try {
      background =
          box.root(
                  "sh", "-c",
                  "{ " + ToolSandbox.TOOL + " --all-users --timeout 10 >/dev/null 2>&1 & echo $!; }; "
                      + "for i in $(seq 600); do [ -s /run/systemd-user-restart/lock ] && break; sleep 0.05; done")
              .stdout()
              .strip();
      ExecResult second = box.tool("--all-users");
      assertEquals(4, second.exitCode(), second::toString);
      assertTrue(second.stderr().contains("holds"), second::toString);
      assertEquals(1, second.stderr().strip().lines().count(), "one line: " + second.stderr());
    } finally {
      // The first run must end before the next test, or that test finds the store locked.
      box.root("kill", "-CONT", Long.toString(pid));
      if (!background.isEmpty()) {
        box.root("sh", "-c", "while kill -0 " + background + " 2>/dev/null; do sleep 0.1; done");
      }
    }
    // Only the first run acted: it finished the work once the manager went on, the second took
    // no mark from it.
    assertEquals(
        "",
        box.root("find", "/run/systemd-user-restart", "-type", "f", "!", "-name", "lock").stdout().strip(),
        "marks left");
  }

  @Test
  void environmentWithoutSystemdIsANoOp() {
    box.toolOk("mark", UNIT);
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
    String unit = box.identity(victim, UNIT);
    ExecResult offline = box.root("env", "SYSTEMD_OFFLINE=1", ToolSandbox.TOOL, "--all-users");
    assertEquals(0, offline.exitCode(), offline::toString);
    assertEquals(1, offline.stderr().strip().lines().count(), offline::toString);
    assertEquals("", offline.stdout());
    box.root("mv", "/etc/machine-id", "/etc/machine-id.away");
    try {
      ExecResult r = box.tool("--all-users");
      assertEquals(0, r.exitCode(), r::toString);
      assertTrue(r.stderr().contains("machine ID"), r::toString);
    } finally {
      box.root("mv", "/etc/machine-id.away", "/etc/machine-id");
    }
    // Nothing moved, and the mark waits for a run on a system that has systemd.
    assertEquals(gens, box.generations());
    assertEquals(unit, box.identity(victim, UNIT));
    assertTrue(box.root("test", "-e", "/run/systemd-user-restart/restart/" + UNIT).ok(), "mark lost");
    box.toolOk("--all-users");
  }

  @Test
  void nonRootGetsOneClearLine() {
    ExecResult r = box.sandbox.execAsUser(victim, ToolSandbox.RUN, ToolSandbox.TOOL, "--all-users");
    assertEquals(3, r.exitCode(), r::toString);
    assertEquals(1, r.stderr().strip().lines().count(), r::toString);
    assertTrue(r.stderr().contains("root"), r::toString);
  }

  @Test
  void invalidUnitNamesNeverReachDBus() {
    for (String bad : List.of("../x.service", "", "x".repeat(300) + ".service", "foo.txt", "a\u0001.service")) {
      ExecResult r = box.tool("--all-users", "--dry-run", bad);
      assertEquals(2, r.exitCode(), r::toString);
      // The error naming the input, then where to look.
      List<String> lines = r.stderr().strip().lines().toList();
      assertEquals(2, lines.size(), r::toString);
      assertTrue(lines.get(1).startsWith("Try '"), r::toString);
    }
    box.sandbox.writeFile("/run/systemd-user-restart/restart/bad name.service", "");
    box.toolOk("mark", "foo\\x2dbar.service", "app@instance.service");
    ExecResult r = box.toolOk("--all-users");
    assertTrue(r.stderr().contains("ignoring invalid mark"), r::toString);
    assertTrue(box.root("test", "-e", "/run/systemd-user-restart/restart/bad name.service").ok(), "invalid mark must be left alone");
  }
}
