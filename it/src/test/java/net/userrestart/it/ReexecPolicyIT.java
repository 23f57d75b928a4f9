// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * --reexec=needed on real user managers: what each manager needs after a real rpm upgrade (or a
 * file replaced as rpm replaces it), and that it got that and no more. The packages are upgraded
 * with --notriggers, so that the tool runs here, by hand, with the policy under test; their
 * %postun still marks. Runs on every tree under test, as the other sandbox tests do.
 */
@Tag("systemd")
@TestMethodOrder(MethodOrderer.MethodName.class)
class ReexecPolicyIT {
  static final String APP = "sur-test-app";
  static final String UNIT = APP + ".service";
  static final String LIB = "sur-test-lib";
  static final String GENERATORS = "/usr/lib/systemd/user-generators";

  @RegisterExtension static final RpmTools.BuiltPackages packages = new RpmTools.BuiltPackages();
  static ToolSandbox box;
  /* What the rpm inside takes to install unsigned packages: the tree's rpm, not the host's. */
  static List<String> installOptions;

  @BeforeAll
  static void boot() throws IOException {
    box = ToolSandbox.boot(SandboxSpec.of(2));
    installOptions = RpmTools.installOptions(box);
    rpmOk("-i", "--notriggers", packages.test(APP, 1), packages.test(LIB, 1));
    for (SandboxUser u : box.users()) {
      box.userctl(u, "start", UNIT);
    }
  }

  @AfterAll
  static void teardown() {
    if (box != null) {
      box.close();
    }
  }

  @BeforeEach
  void settled() {
    // Whatever an earlier test changed is loaded: every manager starts from "none needed".
    box.toolOk("--all-users", "--quiet", "--daemon-reload");
    box.root("rm", "-rf", "/run/systemd-user-restart");
    Threads.sleep(300); // past the rule's margin: what a test changes now is newer
  }

  @Test
  void a_anUnrelatedUpgradeNeitherReexecutesNorReloads() {
    Map<SandboxUser, String> app = identities();
    Map<SandboxUser, Manager> gens = managers();
    rpmOk("-U", "--notriggers", packages.test(LIB, 2));
    box.toolOk("mark", UNIT);

    ExecResult run = box.toolOk("--all-users", "--reexec=needed");

    for (SandboxUser u : box.users()) {
      assertEquals(gens.get(u), manager(u), u + ": re-executed or reloaded\n" + run);
      assertFalse(cmdline(u).contains("--deserialize"), u + ": " + cmdline(u));
      assertNotEquals(app.get(u), box.identity(u, UNIT), u + ": marked unit not restarted");
    }
    assertEquals(box.users().size(), count(run, "  manager: none needed"), run::toString);
  }

  @Test
  void b_anUpgradedLoadedUnitIsReloadedThenRestartedIntoTheNewVersion() {
    Map<SandboxUser, String> app = identities();
    Map<SandboxUser, Manager> gens = managers();
    rpmOk("-U", "--notriggers", packages.test(APP, 2)); // its %postun marks it

    ExecResult run = box.toolOk("--all-users", "--reexec=needed");

    for (SandboxUser u : box.users()) {
      assertReloaded(gens.get(u), manager(u), u + ": not reloaded\n" + run);
      assertNotEquals(app.get(u), box.identity(u, UNIT), u + ": not restarted");
      assertEquals(
          "systemd-user-restart test app, version 2",
          box.prop(u, UNIT, "Description"),
          u + ": the unit's old definition runs");
    }
    assertEquals(
        box.users().size(),
        count(run, "  manager: reload: 1 loaded unit changed on disk: " + UNIT),
        run::toString);
  }

  @Test
  void c_aChangedGeneratorReloadsEveryManager() {
    Map<SandboxUser, Manager> gens = managers();
    replace(GENERATORS + "/sur-test-generator", "#!/bin/sh\nexit 0\n", "0755");

    ExecResult run = box.toolOk("--all-users", "--reexec=needed");

    for (SandboxUser u : box.users()) {
      assertReloaded(gens.get(u), manager(u), u + ": not reloaded\n" + run);
    }
    assertEquals(
        box.users().size(), count(run, "  manager: reload: changed on disk: " + GENERATORS), run::toString);
  }

  @Test
  void d_aDropInInOneUsersHomeReloadsThatManagerOnly() {
    SandboxUser first = box.users().get(0);
    Map<SandboxUser, String> app = identities();
    Map<SandboxUser, Manager> gens = managers();
    ExecResult made =
        box.sandbox.execAsUser(
            first,
            ToolSandbox.RUN,
            "sh",
            "-c",
            "mkdir -p ~/.config/systemd/user/" + UNIT + ".d && printf '[Unit]\\nDescription=from the home\\n'"
                + " > ~/.config/systemd/user/" + UNIT + ".d/sur-home.conf");
    assertEquals(0, made.exitCode(), made::toString);
    box.toolOk("mark", UNIT);

    ExecResult run = box.toolOk("--all-users", "--reexec=needed");

    for (SandboxUser u : box.users()) {
      assertNotEquals(app.get(u), box.identity(u, UNIT), u + ": not restarted");
      if (u.equals(first)) {
        assertReloaded(gens.get(u), manager(u), u + ": not reloaded\n" + run);
        assertEquals("from the home", box.prop(u, UNIT, "Description"), u + ": drop-in not loaded");
      } else {
        assertEquals(gens.get(u), manager(u), u + ": touched\n" + run);
      }
    }
  }

  @Test
  void e_systemdsLibraryReplacedReexecutesEveryManager() {
    Map<SandboxUser, Manager> gens = managers();
    String lib = mappedSharedLibrary(box.users().get(0));
    ExecResult swap =
        box.root("sh", "-c", "cp -p \"$1\" \"$1.sur-new\" && mv \"$1.sur-new\" \"$1\"", "sh", lib);
    assertEquals(0, swap.exitCode(), swap::toString);

    ExecResult run = box.toolOk("--all-users", "--reexec=needed");

    for (SandboxUser u : box.users()) {
      Manager now = manager(u);
      assertEquals(gens.get(u).generation().reexecuted(), now.generation(), u + ": not re-executed once\n" + run);
      assertNotEquals(gens.get(u).loadedAt(), now.loadedAt(), u + ": units not loaded again");
    }
    assertEquals(
        box.users().size(), count(run, "  manager: re-exec: manager maps replaced " + lib), run::toString);
    // Re-executed, the managers run the new file: the next run needs nothing.
    ExecResult again = box.toolOk("--all-users", "--reexec=needed", "--dry-run");
    assertEquals(box.users().size(), count(again, "  manager: none needed"), again::toString);
  }

  /**
   * A user's manager: its PID and re-execs (from the journal: the words for a reload differ
   * between systemd versions), and when it last loaded its units, which a reload and a re-exec
   * move and nothing else does.
   */
  record Manager(ToolSandbox.Generation generation, String loadedAt) {}

  private static Manager manager(SandboxUser u) {
    ToolSandbox.Generation g = box.managerGeneration(u);
    return new Manager(new ToolSandbox.Generation(g.pid(), g.reexecs(), 0), box.unitsLoadedAt(u));
  }

  private static Map<SandboxUser, Manager> managers() {
    Map<SandboxUser, Manager> all = new HashMap<>();
    for (SandboxUser u : box.users()) {
      all.put(u, manager(u));
    }
    return all;
  }

  /* Reloaded: same process, no re-exec, units loaded again. */
  private static void assertReloaded(Manager before, Manager after, String message) {
    assertEquals(before.generation(), after.generation(), message);
    assertNotEquals(before.loadedAt(), after.loadedAt(), message);
  }

  /* The libsystemd-shared the manager maps (its place differs between distributions). */
  private static String mappedSharedLibrary(SandboxUser u) {
    ExecResult maps = box.root("cat", "/proc/" + box.managerPid(u) + "/maps");
    assertEquals(0, maps.exitCode(), maps::toString);
    for (String line : maps.stdout().lines().toList()) {
      int slash = line.indexOf('/');
      if (slash > 0 && line.contains("/libsystemd-shared-") && line.contains(" r-xp ")) {
        return line.substring(slash).strip();
      }
    }
    throw new AssertionError("the manager maps no libsystemd-shared:\n" + maps.stdout());
  }

  /* As rpm replaces a file: written beside, then renamed over. */
  private static void replace(String path, String content, String mode) {
    ExecResult r =
        box.sandbox.exec(
            ToolSandbox.RUN,
            content.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "sh",
            "-c",
            "mkdir -p \"${1%/*}\" && cat > \"$1.sur-new\" && chmod \"$2\" \"$1.sur-new\" && mv \"$1.sur-new\" \"$1\"",
            "sh",
            path,
            mode);
    assertEquals(0, r.exitCode(), r::toString);
  }

  private static String cmdline(SandboxUser u) {
    return box.root("sh", "-c", "tr '\\0' ' ' < /proc/" + box.managerPid(u) + "/cmdline").stdout();
  }

  private static Map<SandboxUser, String> identities() {
    Map<SandboxUser, String> ids = new HashMap<>();
    for (SandboxUser u : box.users()) {
      ids.put(u, box.identity(u, UNIT));
    }
    return ids;
  }

  private static long count(ExecResult run, String line) {
    return run.stdout().lines().filter(line::equals).count();
  }

  private static void rpmOk(Object... args) {
    List<String> argv = new ArrayList<>(List.of("rpm", "--dbpath", Trial.RPM_DB));
    argv.add(String.valueOf(args[0]));
    argv.addAll(installOptions);
    for (int i = 1; i < args.length; i++) {
      argv.add(String.valueOf(args[i]));
    }
    ExecResult r = box.root(argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + ":\n" + r);
  }
}
