// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxException;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import org.junit.jupiter.api.Assumptions;

/** A booted sandbox with this checkout visible inside, and the built tool to run there. */
final class ToolSandbox implements AutoCloseable {
  static final Path PROJECT = Path.of("").toAbsolutePath();
  static final String TOOL = PROJECT.resolve("bin/systemd-user-restart").toString();
  static final Duration RUN = Duration.ofSeconds(120);

  final Sandbox sandbox;

  private ToolSandbox(Sandbox sandbox) {
    this.sandbox = sandbox;
  }

  /** Boots, or fails loudly; skips only when told to with -Dsandbox.skip=true. */
  static ToolSandbox boot(SandboxSpec spec) throws SandboxException {
    Assumptions.assumeFalse(
        Boolean.getBoolean("sandbox.skip"), "sandbox tests skipped (-Dsandbox.skip=true)");
    assertTrue(
        Files.exists(PROJECT.resolve("target/systemd-user-restart.jar")),
        "run 'mvn package' (or verify) first: the tool's jar is missing");
    return new ToolSandbox(
        Sandbox.boot(spec.withBindReadOnly(PROJECT), line -> System.err.println("sandbox: " + line)));
  }

  /** A unit that runs until stopped, so that a restart shows as a new MainPID. */
  static String sleeper(String description) {
    return "[Unit]\nDescription=" + description + "\n[Service]\nExecStart=/bin/sleep infinity\n"
        + "[Install]\nWantedBy=default.target\n";
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

  /** The PID of user {@code u}'s manager, as PID 1 knows it. */
  long managerPid(SandboxUser u) {
    ExecResult r = root("systemctl", "show", "-p", "MainPID", "--value", "user@" + u.uid() + ".service");
    return Long.parseLong(r.stdout().strip());
  }

  /**
   * What changes when a manager re-executes (in place, same PID, with --deserialize on its command
   * line, generators run again) or reloads (units loaded again): equal values mean neither.
   */
  String managerGeneration(SandboxUser u) {
    long pid = managerPid(u);
    String cmdline = root("sh", "-c", "tr '\\0' ' ' < /proc/" + pid + "/cmdline").stdout().strip();
    String generators = userManagerProperty(u, "GeneratorsStartTimestampMonotonic");
    String loaded = userManagerProperty(u, "UnitsLoadTimestampMonotonic");
    return pid + "|" + cmdline + "|" + generators + "|" + loaded;
  }

  String userManagerProperty(SandboxUser u, String property) {
    ExecResult r =
        sandbox.execAsUser(u, RUN, "systemctl", "--user", "show", "-p", property, "--value");
    assertEquals(0, r.exitCode(), r::toString);
    return r.stdout().strip();
  }

  @Override
  public void close() {
    sandbox.close();
  }
}
