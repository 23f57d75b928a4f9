// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxException;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.TreeUnderTest;
import org.junit.jupiter.api.Assumptions;

/** A booted sandbox with this checkout visible inside, and the built tool to run there. */
final class ToolSandbox implements AutoCloseable {
  /** The checkout, whose bin/ and target/ hold the built tool; set by the build. */
  static final Path PROJECT =
      Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
  static final String TOOL = PROJECT.resolve("bin/systemd-user-restart").toString();
  static final Duration RUN = Duration.ofSeconds(120);
  private static final Pattern REEXECUTING = Pattern.compile("Reexecuting\\.+");
  private static final Pattern RELOADING = Pattern.compile("Reloading\\.+");
  /** The OS every sandbox of this run boots: the host's root or a Debian tree. */
  static final TreeUnderTest TREE = TreeUnderTest.current();

  final Sandbox sandbox;

  private ToolSandbox(Sandbox sandbox) {
    this.sandbox = sandbox;
  }

  /**
   * Skips only when told to with -Dsandbox.skip=true; fails loudly when the tool is not built.
   */
  static void requireSandbox() {
    Assumptions.assumeFalse(
        Boolean.getBoolean("sandbox.skip"), "sandbox tests skipped (-Dsandbox.skip=true)");
    assertTrue(
        Files.exists(PROJECT.resolve("target/systemd-user-restart.jar")),
        "run 'mvn package' (or verify) first: the tool's jar is missing");
    TREE.root()
        .ifPresent(
            r ->
                assertTrue(
                    Files.isRegularFile(r.resolve(".sur-tree")),
                    "the tree " + TREE + " is missing: mvn verify makes it (it/src/test/trees/make-tree.sh)"));
  }

  /** Boots, or fails loudly; see {@link #requireSandbox}. */
  static ToolSandbox boot(SandboxSpec spec) throws SandboxException {
    requireSandbox();
    return new ToolSandbox(
        Sandbox.boot(
            TREE.boot(spec).withBindReadOnly(PROJECT), line -> System.err.println("sandbox: " + line)));
  }

  List<SandboxUser> users() {
    return sandbox.users();
  }

  /** Runs the tool inside as root. */
  ExecResult tool(String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(TOOL);
    argv.addAll(List.of(args));
    return sandbox.exec(RUN, argv.toArray(String[]::new));
  }

  /** Runs the tool and requires exit 0. */
  ExecResult toolOk(String... args) {
    ExecResult r = tool(args);
    assertEquals(0, r.exitCode(), () -> "tool " + String.join(" ", args) + " failed:\n" + r);
    return r;
  }

  ExecResult root(String... argv) {
    return sandbox.exec(RUN, argv);
  }

  String prop(SandboxUser u, String unit, String property) {
    return sandbox.userUnitProperty(u, unit, property);
  }

  /** Several properties of a user unit in one call: {@code systemctl --user show -p P... UNIT}. */
  Map<String, String> props(SandboxUser u, String unit, String... properties) {
    List<String> argv = new ArrayList<>(List.of("systemctl", "--user", "show"));
    for (String p : properties) {
      argv.add("-p");
      argv.add(p);
    }
    argv.add("--");
    argv.add(unit);
    ExecResult r = sandbox.execAsUser(u, RUN, argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> "systemctl --user show " + unit + " as " + u.name() + ":\n" + r);
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : r.stdout().lines().toList()) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return values;
  }

  /** MainPID and InvocationID: both change on a restart, neither on anything else. */
  String identity(SandboxUser u, String unit) {
    return prop(u, unit, "MainPID") + "/" + prop(u, unit, "InvocationID");
  }

  void userctl(SandboxUser u, String... args) {
    List<String> argv = new ArrayList<>(List.of("systemctl", "--user"));
    argv.addAll(List.of(args));
    ExecResult r = sandbox.execAsUser(u, RUN, argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> "systemctl --user " + String.join(" ", args) + ":\n" + r);
  }

  /**
   * The PID of user {@code u}'s manager, as PID 1 knows it. Asked over the system bus: a test may
   * mask PID 1's private socket, and systemctl falls back to the bus only before systemd 262.
   */
  long managerPid(SandboxUser u) {
    ExecResult r =
        root(
            "busctl", "get-property", "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1/unit/user_40" + u.uid() + "_2eservice",
            "org.freedesktop.systemd1.Service", "MainPID");
    assertTrue(r.ok() && r.stdout().startsWith("u "), () -> "MainPID of user@" + u.uid() + ".service:\n" + r);
    return Long.parseLong(r.stdout().substring(2).strip());
  }

  /**
   * How often a user's manager has re-executed and reloaded, as it logged it ("Reexecuting.",
   * "Reloading." before systemd 257 and "Reloading..." since), and its PID, which a re-exec keeps.
   * Timestamps would not tell the two apart.
   */
  record Generation(long pid, int reexecs, int reloads) {
    Generation reexecuted() {
      return new Generation(pid, reexecs + 1, reloads);
    }

    Generation reloaded() {
      return new Generation(pid, reexecs, reloads + 1);
    }
  }

  Generation managerGeneration(SandboxUser u) {
    long pid = managerPid(u);
    ExecResult log =
        root("sh", "-c", "journalctl --sync && journalctl _PID=" + pid + " -o cat --no-pager");
    assertEquals(0, log.exitCode(), log::toString);
    List<String> lines = log.stdout().lines().toList();
    return new Generation(
        pid,
        (int) lines.stream().filter(REEXECUTING.asMatchPredicate()).count(),
        (int) lines.stream().filter(RELOADING.asMatchPredicate()).count());
  }

  /**
   * When user {@code u}'s manager last loaded its units (UnitsLoadTimestampMonotonic): a reload
   * and a re-exec move it, nothing else does, in every systemd version (the journal's words for a
   * reload differ between them).
   */
  String unitsLoadedAt(SandboxUser u) {
    ExecResult r =
        sandbox.execAsUser(
            u, RUN, "systemctl", "--user", "show", "-p", "UnitsLoadTimestampMonotonic", "--value");
    assertEquals(0, r.exitCode(), r::toString);
    return r.stdout().strip();
  }

  /** {@link #unitsLoadedAt} of every user. */
  Map<SandboxUser, String> unitsLoadedAt() {
    Map<SandboxUser, String> all = new HashMap<>();
    for (SandboxUser u : users()) {
      all.put(u, unitsLoadedAt(u));
    }
    return all;
  }

  /** {@link #managerGeneration} of every user. */
  Map<SandboxUser, Generation> generations() {
    Map<SandboxUser, Generation> all = new HashMap<>();
    for (SandboxUser u : users()) {
      all.put(u, managerGeneration(u));
    }
    return all;
  }

  @Override
  public void close() {
    sandbox.close();
  }
}
