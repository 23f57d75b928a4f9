// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * The %posttrans macros with real rpm upgrades: sur-test-posttrans 1 marks nothing, 2 marks one
 * unit for restart and one for reload in %posttrans. The first upgrade to 2 must restart and
 * reload them for every user (the %postun macros would need a second upgrade: only the old
 * package's %postun runs); a fresh install of 2 must mark and restart nothing.
 */
@Tag("systemd")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RpmPosttransIT {
  static final String PKG = "sur-test-posttrans";
  static final String RESTARTED = PKG + ".service";
  static final String RELOADED = PKG + "-reload.service";
  /** Marks nothing: must keep running untouched. */
  static final String OTHER = "sur-test-other";
  static final String STORE = "/run/systemd-user-restart";
  /** How long a started or reloaded service may take to write its files. */
  static final Duration SETTLE = Duration.ofSeconds(10);

  @RegisterExtension static final RpmTools.BuiltPackages packages = new RpmTools.BuiltPackages();

  /** A user unit as its manager and its own files show it. */
  record Seen(String mainPid, String invocation, String state, String running, List<String> starts, List<String> reloads) {}

  @Test
  void theFirstUpgradeThatBringsTheMacrosRestartsAndReloadsForEveryUser() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      rpmOk(box, install(box, "-i", packages.tool()));
      rpmOk(box, install(box, "-i", packages.test(PKG, 1), packages.test(OTHER, 1)));
      startAll(box, RESTARTED, RELOADED, OTHER + ".service");
      Map<SandboxUser, Seen> restartedBefore = seen(box, RESTARTED, PKG, 1);
      Map<SandboxUser, Seen> reloadedBefore = seen(box, RELOADED, PKG, 1);
      Map<SandboxUser, Seen> otherBefore = seen(box, OTHER + ".service", OTHER, 1);
      Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();

      assertEquals("", rpmOk(box, install(box, "-U", packages.test(PKG, 2))), "a clean upgrade prints nothing");

      for (SandboxUser u : box.users()) {
        Seen r = seen(box, u, RESTARTED, PKG, 2);
        Seen b = restartedBefore.get(u);
        assertNotEquals(b.mainPid(), r.mainPid(), u + ": " + RESTARTED + " not restarted (MainPID): " + r);
        assertNotEquals(b.invocation(), r.invocation(), u + ": " + RESTARTED + " not restarted (InvocationID): " + r);
        assertEquals("active", r.state(), u + ": " + r);
        assertEquals(List.of(PKG + " version 1", PKG + " version 2"), r.starts(), u + ": " + r);

        Seen l = awaitReload(box, u);
        Seen lb = reloadedBefore.get(u);
        assertEquals(lb.mainPid() + "/" + lb.invocation(), l.mainPid() + "/" + l.invocation(), u + ": " + RELOADED + " restarted, not reloaded");
        assertEquals(List.of(PKG + "-reload version 1 reloaded"), l.reloads(), u + ": " + l);

        assertEquals(otherBefore.get(u), seen(box, u, OTHER + ".service", OTHER, 1), u + ": " + OTHER + " was touched");
        // --reexec=needed: the changed unit files make the manager reload, at least.
        ToolSandbox.Generation g = box.managerGeneration(u);
        assertTrue(
            g.reexecs() + g.reloads() > gens.get(u).reexecs() + gens.get(u).reloads(),
            u + ": manager neither re-executed nor reloaded");
      }
      assertNoMarks(box);
    }
  }

  @Test
  void aFreshInstallOfAReleaseWithTheMacrosMarksAndRestartsNothing() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      rpmOk(box, install(box, "-i", packages.tool()));
      rpmOk(box, install(box, "-i", packages.test(OTHER, 1)));
      startAll(box, OTHER + ".service");
      Map<SandboxUser, Seen> otherBefore = seen(box, OTHER + ".service", OTHER, 1);

      assertEquals("", rpmOk(box, install(box, "-i", packages.test(PKG, 2))), "a clean install prints nothing");

      for (SandboxUser u : box.users()) {
        assertEquals("inactive", box.prop(u, RESTARTED, "ActiveState"), u + ": " + RESTARTED + " was started");
        assertEquals("inactive", box.prop(u, RELOADED, "ActiveState"), u + ": " + RELOADED + " was started");
        assertEquals(otherBefore.get(u), seen(box, u, OTHER + ".service", OTHER, 1), u + ": " + OTHER + " was touched");
      }
      assertNoMarks(box);
    }
  }

  /**
   * An rpm that enforces signatures, as rpm 6 does by default and Fedora from 45: it refuses the
   * unsigned test packages, and the options the sandbox's trials use still install them.
   */
  @Test
  void anRpmThatEnforcesSignaturesTakesTheTrialsPackages() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(0))) {
      box.root("sh", "-c", "mkdir -p /etc/rpm && echo '%_pkgverify_level all' > /etc/rpm/macros.verify")
          .orThrow("enforcing signatures");
      assertEquals("all", box.root("rpm", "--eval", "%{_pkgverify_level}").stdout().strip());
      List<String> unchecked = new ArrayList<>(List.of("rpm", "--dbpath", Trial.RPM_DB, "-i"));
      for (String o : Trial.installOptions(box.root("rpm", "--help").stdout())) {
        if (!o.equals("--nosignature")) {
          unchecked.add(o);
        }
      }
      unchecked.add(packages.test(OTHER, 1).toString());

      ExecResult refused = box.root(unchecked.toArray(String[]::new));
      assertNotEquals(0, refused.exitCode(), () -> "an unsigned package installed:\n" + refused);
      assertTrue(refused.stderr().contains("no signature"), refused::toString);

      rpmOk(box, install(box, "-i", packages.test(OTHER, 1)));
      assertEquals(OTHER + "-1-1.noarch", rpmOk(box, "-q", OTHER));
    }
  }

  // --- In the sandbox -------------------------------------------------------------------------

  /** rpm's -i or -U with the options the sandbox's own rpm needs. */
  private static String[] install(ToolSandbox box, String mode, Path... rpms) {
    List<String> args = new ArrayList<>(List.of(mode));
    args.addAll(Trial.installOptions(box.root("rpm", "--help").stdout()));
    for (Path p : rpms) {
      args.add(p.toString());
    }
    return args.toArray(String[]::new);
  }

  /** rpm inside, on its own database; requires exit 0; its output without Debian's banner. */
  private static String rpmOk(ToolSandbox box, String... args) {
    List<String> argv = new ArrayList<>(List.of("rpm", "--dbpath", Trial.RPM_DB));
    argv.addAll(List.of(args));
    ExecResult r = box.root(argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + ":\n" + r);
    return RpmTools.withoutBanner(r.stdout() + "\n" + r.stderr());
  }

  private static void startAll(ToolSandbox box, String... units) {
    for (SandboxUser u : box.users()) {
      List<String> args = new ArrayList<>(List.of("start", "--"));
      args.addAll(List.of(units));
      box.userctl(u, args.toArray(String[]::new));
    }
  }

  /**
   * {@code unit} in {@code u}'s manager, once its last start wrote "{@code unit} version {@code
   * version}" (a start job is done when the service is forked, before its script wrote).
   */
  private static Seen seen(ToolSandbox box, SandboxUser u, String unit, String pkg, int version) {
    // sur-test-posttrans's services name their files after the unit; the others after the package.
    String name = unit.startsWith(PKG) ? unit.substring(0, unit.length() - ".service".length()) : pkg;
    String expected = name + " version " + version;
    long end = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      Seen s = read(box, u, unit, name);
      boolean settled = s.running().equals(expected) && !s.starts().isEmpty()
          && s.starts().get(s.starts().size() - 1).equals(expected);
      if (settled || System.nanoTime() - end > 0) {
        return s;
      }
      Threads.sleep(50);
    }
  }

  private static Map<SandboxUser, Seen> seen(ToolSandbox box, String unit, String pkg, int version) {
    Map<SandboxUser, Seen> all = new HashMap<>();
    for (SandboxUser u : box.users()) {
      all.put(u, seen(box, u, unit, pkg, version));
    }
    return all;
  }

  /** The reload unit once its process logged a reload, or as it is when none came in time. */
  private static Seen awaitReload(ToolSandbox box, SandboxUser u) {
    long end = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      Seen s = read(box, u, RELOADED, PKG + "-reload");
      if (!s.reloads().isEmpty() || System.nanoTime() - end > 0) {
        return s;
      }
      Threads.sleep(50);
    }
  }

  private static Seen read(ToolSandbox box, SandboxUser u, String unit, String name) {
    Map<String, String> p = box.props(u, unit, "MainPID", "InvocationID", "ActiveState");
    String dir = u.runtimeDir() + "/" + name;
    return new Seen(
        p.get("MainPID"),
        p.get("InvocationID"),
        p.get("ActiveState"),
        cat(box, dir + ".version").strip(),
        cat(box, dir + ".starts").lines().toList(),
        cat(box, dir + ".reloads").lines().toList());
  }

  private static String cat(ToolSandbox box, String path) {
    ExecResult r = box.root("cat", path);
    return r.ok() ? r.stdout() : "";
  }

  /** No mark left in the store, but its lock. */
  private static void assertNoMarks(ToolSandbox box) {
    ExecResult r = box.root("sh", "-c", "cd " + STORE + " 2>/dev/null && find . -type f ! -path ./lock | sort");
    assertEquals("", r.stdout().strip(), () -> "marks left in " + STORE + ":\n" + r);
  }
}
