// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool's RPM as a packager's user gets it: real rpm transactions in a sandbox whose systemd
 * runs a manager per user, with the test packages of it/src/test/rpm. The file triggers must
 * re-execute or reload the user managers that need it and restart exactly the units that %postun marked. Also a chroot
 * on the host, without systemd, where the macros and triggers must do nothing.
 */
@Tag("systemd")
@TestMethodOrder(MethodOrderer.MethodName.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RpmIT {
  /** Marks itself for restart in %postun. */
  static final String APP = "sur-test-app";
  /** Marks nothing: an upgrade must leave its running process alone. */
  static final String OTHER = "sur-test-other";
  /** Like APP, its program in /usr/bin. */
  static final String BIN = "sur-test-bin";
  /** A sandbox booted inside a sandbox, with rpm transactions in it. */
  static final Duration NESTED = Duration.ofMinutes(4);
  static final String STORE = "/run/systemd-user-restart";
  static final String STAMP = "/run/systemd-user-restart.rpm-transaction";
  /** How long a restarted service may take to write its version once its start job is done. */
  static final Duration SETTLE = Duration.ofSeconds(10);

  @RegisterExtension static final RpmTools.BuiltPackages packages = new RpmTools.BuiltPackages();

  /** What one user's manager runs as a test package's unit. */
  record Seen(String identity, String state, String description, String running, List<String> starts) {}

  @Test
  void a_upgradeRestartsTheMarkedUnitOfEveryUserAndNothingElse() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      Map<SandboxUser, Seen> app = seen(box, APP, 1);
      Map<SandboxUser, Seen> other = seen(box, OTHER, 1);
      Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
      Map<SandboxUser, String> loaded = box.unitsLoadedAt();

      assertEquals("", rpmOk(box, install(box, "-U", packages.test(APP, 2))), "a clean upgrade prints nothing");

      assertEquals(APP + "-2-1.noarch", rpmOk(box, "-q", APP));
      for (SandboxUser u : box.users()) {
        Seen now = seen(box, u, APP, 2);
        assertRestarted(app.get(u), now, u);
        assertEquals("active", now.state(), u + ": " + now);
        assertEquals(APP + " version 2", now.running(), u + ": not running version 2");
        assertEquals("systemd-user-restart test app, version 2", now.description(), u + ": " + now);
        assertEquals(
            List.of(APP + " version 1", APP + " version 2"), now.starts(), u + ": started " + now.starts());
        assertEquals(other.get(u), seen(box, u, OTHER, 1), u + ": " + OTHER + " was touched");
        // --reexec=needed: systemd was not upgraded, a loaded unit was: reloaded, not re-executed.
        assertEquals(gens.get(u).reexecs(), box.managerGeneration(u).reexecs(), u + ": re-executed");
        assertNotEquals(loaded.get(u), box.unitsLoadedAt(u), u + ": manager not reloaded");
      }
      assertNoMarks(box);
      // The installed tool: launcher, man page and bash completion, all usable.
      String files = rpmOk(box, "-ql", "systemd-user-restart");
      assertTrue(files.contains("/usr/share/man/man8/systemd-user-restart.8"), files);
      assertTrue(files.contains("/usr/share/bash-completion/completions/systemd-user-restart"), files);
      // The licences of what it bundles, next to its own (in NAME/ on Fedora, NAME-VERSION/ here).
      for (String licence : List.of("LICENSE", "picocli.txt", "dbus-java.txt", "slf4j.txt")) {
        assertTrue(
            files.lines()
                .anyMatch(f -> f.startsWith("/usr/share/licenses/systemd-user-restart") && f.endsWith("/" + licence)),
            licence + " not in " + files);
      }
      assertTrue(box.root("sh", "-c", "MANWIDTH=80 man systemd-user-restart | grep -q 'EXIT STATUS'").ok(), "man page");
      assertTrue(box.root("bash", "-n", "/usr/share/bash-completion/completions/systemd-user-restart").ok());
      assertEquals(0, box.root("/usr/bin/systemd-user-restart", "list").exitCode());
    }
  }

  @Test
  void b_eraseRestartsNothing() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      Map<SandboxUser, Seen> app = seen(box, APP, 1);
      Map<SandboxUser, Seen> other = seen(box, OTHER, 1);
      Map<SandboxUser, String> loaded = box.unitsLoadedAt();

      assertEquals("", rpmOk(box, "-e", APP), "a clean erase prints nothing");

      assertFalse(rpm(box, "-q", APP).ok(), APP + " still installed");
      for (SandboxUser u : box.users()) {
        // The trigger did run: the manager reloaded (a unit file went) and no longer finds it...
        assertNotEquals(loaded.get(u), box.unitsLoadedAt(u), u + ": manager not reloaded");
        assertEquals("not-found", box.prop(u, APP + ".service", "LoadState"), u::toString);
        // ...but restarted nothing, not even the erased package's own running unit.
        Seen now = seen(box, u, APP, 1);
        assertEquals(app.get(u).identity(), now.identity(), u + ": " + APP + " was restarted");
        assertEquals(List.of(APP + " version 1"), now.starts(), u + ": " + APP + " was started again");
        assertEquals(other.get(u), seen(box, u, OTHER, 1), u + ": " + OTHER + " was touched");
      }
      assertNoMarks(box);
    }
  }

  @Test
  void c_aHungManagerKeepsItsMarkAndTheTransactionStillSucceeds() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      SandboxUser ok = box.users().get(0);
      SandboxUser hung = box.users().get(1);
      Map<SandboxUser, Seen> app = seen(box, APP, 1);
      Map<SandboxUser, Seen> other = seen(box, OTHER, 1);
      String pid = Long.toString(box.managerPid(hung));

      // The trigger passes no --timeout and nothing else sets it: the tool gives up on the stopped
      // manager at its default deadline (15 s), which is most of this test's time.
      long start = System.nanoTime();
      box.root("kill", "-STOP", pid).orThrow("kill -STOP " + pid);
      ExecResult upgrade;
      try {
        upgrade = rpm(box, install(box, "-U", packages.test(APP, 2)));
      } finally {
        box.root("kill", "-CONT", pid).orThrow("kill -CONT " + pid);
      }
      System.err.printf(
          "RpmIT: upgrade with %s's manager stopped took %d ms%n",
          hung.name(), (System.nanoTime() - start) / 1_000_000);

      assertEquals(0, upgrade.exitCode(), () -> "the tool's failure failed the transaction:\n" + upgrade);
      String out = RpmTools.withoutBanner(upgrade.stdout() + "\n" + upgrade.stderr());
      assertTrue(
          out.contains("user " + hung.name() + " (" + hung.uid() + ")"), "the failure is not reported:\n" + out);
      assertFalse(out.contains("user " + ok.name() + " ("), "the user that succeeded is reported:\n" + out);

      Seen okApp = seen(box, ok, APP, 2);
      assertRestarted(app.get(ok), okApp, ok);
      assertEquals(APP + " version 2", okApp.running(), ok + ": not running version 2");
      Seen hungApp = seen(box, hung, APP, 1);
      assertEquals(app.get(hung), hungApp, hung + ": the stopped user's unit changed");
      for (SandboxUser u : box.users()) {
        assertEquals(other.get(u), seen(box, u, OTHER, 1), u + ": " + OTHER + " was touched");
      }
      assertEquals(
          List.of("user/" + hung.uid() + "/restart/" + APP + ".service"),
          pendingMarks(box),
          "the stopped user's mark is not pending for it alone");

      // The next transaction that changes a user unit takes the waiting mark, for that user only.
      assertEquals("", rpmOk(box, install(box, "-U", packages.test(OTHER, 2))), "a clean upgrade prints nothing");

      Seen later = seen(box, hung, APP, 2);
      assertRestarted(hungApp, later, hung);
      assertEquals(APP + " version 2", later.running(), hung + ": not running version 2");
      assertEquals(okApp, seen(box, ok, APP, 2), ok + ": restarted again");
      for (SandboxUser u : box.users()) {
        Seen o = seen(box, u, OTHER, 1);
        // Re-executed: the manager reads the new unit file, but the process is still version 1.
        assertEquals("systemd-user-restart test other, version 2", o.description(), u + ": " + o);
        assertEquals(other.get(u).identity(), o.identity(), u + ": " + OTHER + " was restarted");
        assertEquals(OTHER + " version 1", o.running(), u + ": " + o);
      }
      assertNoMarks(box);
    }
  }

  /**
   * One process, two transactions, as PackageKit, dnf5daemon or a python-rpm script run them:
   * the triggers' parent is the same process both times, yet the second, erase-only transaction
   * reloads the managers again (the erased unit is gone from them).
   */
  @Test
  void e_twoTransactionsInOneProcessEachReload() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      Map<SandboxUser, Seen> app = seen(box, APP, 1);
      Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
      String script = ToolSandbox.PROJECT.resolve("it/src/test/rpm/rpm-transactions.py").toString();

      ExecResult r =
          box.root(
              "/usr/bin/python3", script, "/", Trial.RPM_DB,
              "upgrade", packages.test(APP, 2).toString(), "--", "erase", OTHER);

      assertEquals(0, r.exitCode(), () -> "python-rpm transactions failed:\n" + r);
      assertEquals(APP + "-2-1.noarch", rpmOk(box, "-q", APP));
      assertFalse(rpm(box, "-q", OTHER).ok(), OTHER + " still installed");
      for (SandboxUser u : box.users()) {
        Seen now = seen(box, u, APP, 2);
        assertRestarted(app.get(u), now, u);
        assertEquals(APP + " version 2", now.running(), u + ": not running version 2");
        // Each transaction reloaded the managers (--reexec=needed; systemd was not upgraded): the
        // first loaded the new unit, the second dropped the erased one.
        assertEquals("systemd-user-restart test app, version 2", now.description(), u + ": not reloaded");
        assertEquals("not-found", box.prop(u, OTHER + ".service", "LoadState"), u + ": no reload after the erase");
        assertEquals(gens.get(u).reexecs(), box.managerGeneration(u).reexecs(), u + ": re-executed");
      }
      assertNoMarks(box);
    }
  }

  /**
   * The launcher run as root with a caller's JVM environment (sudo -E, su without -): the JVM
   * option variables and JAVA_HOME are ignored; only the package's java.conf chooses the JVM, while
   * root alone may write it. A run that fails leaves no class-data archive.
   */
  @Test
  void f_launcherIgnoresTheCallersJvmEnvironment() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(1))) {
      assertEquals("", rpmOk(box, install(box, "-i", packages.tool())), "installing the tool prints nothing");
      String cache = "/var/cache/systemd-user-restart";
      String conf = "/etc/systemd-user-restart/java.conf";
      box.root("find", cache, "-maxdepth", "1", "-type", "f", "-delete").orThrow("emptying " + cache);
      box.root("sh", "-c", FAKE_JDK).orThrow("making the fake JDK");
      String hostile =
          "JAVA_HOME=/tmp/fakejdk JAVA_TOOL_OPTIONS=-javaagent:/nonexistent.jar"
              + " JDK_JAVA_OPTIONS=-XX:+NoSuchOption _JAVA_OPTIONS=-XX:+NoSuchOption";

      ExecResult failed = box.root("sh", "-c", hostile + " /usr/bin/systemd-user-restart --all-users --timeout never");
      assertEquals(2, failed.exitCode(), failed::toString);
      assertFalse(box.root("sh", "-c", "test -e " + cache + "/systemd-user-restart.jsa || test -e " + cache + "/systemd-user-restart.aot").ok(),
          "archive kept from a failed run");

      ExecResult ok = box.root("sh", "-c", hostile + " /usr/bin/systemd-user-restart --all-users --quiet");
      assertEquals(0, ok.exitCode(), ok::toString);
      assertFalse(ok.stderr().contains("Picked up"), ok::toString);
      // A class-data archive, or on JDK 25 and later an AOT cache (LauncherIT).
      assertTrue(box.root("sh", "-c", "test -s " + cache + "/systemd-user-restart.jsa || test -s " + cache + "/systemd-user-restart.aot").ok(),
          "no archive from a run that succeeded");
      assertFalse(box.root("test", "-e", "/tmp/fakejdk.log").ok(), "the caller's JAVA_HOME was used");

      box.root("sh", "-c", "echo JAVA_HOME=/tmp/fakejdk > " + conf + " && chmod 644 " + conf).orThrow("java.conf");
      assertEquals(0, box.root("sh", "-c", hostile + " /usr/bin/systemd-user-restart --version").exitCode());
      assertTrue(box.root("test", "-s", "/tmp/fakejdk.log").ok(), "java.conf's JAVA_HOME was not used");

      for (String unsafe : List.of("chmod 666 " + conf, "chmod 644 " + conf + " && chown " + box.users().get(0).uid() + " " + conf)) {
        box.root("sh", "-c", "rm -f /tmp/fakejdk.log && " + unsafe).orThrow(unsafe);
        assertEquals(0, box.root("/usr/bin/systemd-user-restart", "--version").exitCode(), unsafe);
        assertFalse(box.root("test", "-e", "/tmp/fakejdk.log").ok(), "java.conf used after " + unsafe);
      }
    }
  }

  /**
   * A user's manager that is still starting during the transaction (user@UID.service activating:
   * here held in an ExecStartPre) is not worked on, and keeps the transaction's marks for the next
   * run; the other user is served as usual.
   */
  @Test
  void g_aManagerStillStartingKeepsTheMarks() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      SandboxUser ok = box.users().get(0);
      SandboxUser starting = box.users().get(1);
      Map<SandboxUser, Seen> app = seen(box, APP, 1);
      String unit = "user@" + starting.uid() + ".service";
      box.root("systemctl", "stop", unit).orThrow("stopping " + unit);
      box.root(
              "sh", "-c",
              "mkdir -p /run/systemd/system/" + unit + ".d && printf '[Service]\\nExecStartPre=/bin/sleep 300\\n'"
                  + " > /run/systemd/system/" + unit + ".d/slow.conf && systemctl daemon-reload")
          .orThrow("the drop-in");
      box.root("systemctl", "start", "--no-block", unit).orThrow("starting " + unit);
      // The start job runs once PID 1 gets to it.
      long until = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (!activeState(box, unit).equals("activating") && System.nanoTime() - until < 0) {
        Threads.sleep(50);
      }
      assertEquals("activating", activeState(box, unit));

      assertEquals("", rpmOk(box, install(box, "-U", packages.test(APP, 2))), "a clean upgrade prints nothing");

      assertEquals("activating", activeState(box, unit), "the manager is no longer starting: the test proves nothing");
      Seen okApp = seen(box, ok, APP, 2);
      assertRestarted(app.get(ok), okApp, ok);
      assertEquals(
          List.of("user/" + starting.uid() + "/restart/" + APP + ".service"),
          pendingMarks(box),
          "the starting manager's mark is not kept for it");
    }
  }

  private static String activeState(ToolSandbox box, String unit) {
    return box.root("systemctl", "show", "-p", "ActiveState", "--value", unit).stdout().strip();
  }

  /** A JAVA_HOME whose java logs its use, then runs the real one. */
  static final String FAKE_JDK =
      """
      set -eu
      real=$(readlink -f "$(command -v java)")
      mkdir -p /tmp/fakejdk/bin
      printf '#!/bin/sh\necho "$*" >> /tmp/fakejdk.log\nexec %s "$@"\n' "$real" > /tmp/fakejdk/bin/java
      chmod 755 /tmp/fakejdk/bin/java
      """;

  /**
   * An image build or chroot: rpm --root on the host, which has no /run/systemd/system. The
   * scriptlets and triggers run (the root has a shell, and a probe package shows the trigger slots
   * fired) but leave no mark, no stamp and start nothing, here or in the host's /run. It runs the
   * host's rpm, so once, with the host's tree.
   */
  @Test
  void d_chrootWithoutSystemdDoesNothing(@TempDir Path tmp) throws IOException {
    Assumptions.assumeTrue(ToolSandbox.TREE.onHost(), "the host's rpm --root: run with the host tree");
    assertEquals(
        "0", RpmTools.host(Duration.ofSeconds(10), "id", "-u").output().strip(), "rpm --root needs root");
    Path root = tmp.resolve("root");
    RpmTools.HostResult made =
        RpmTools.host(Duration.ofMinutes(1), "sh", "-c", MKROOT, "mkroot", root.toString());
    assertEquals(0, made.exitCode(), () -> "making the root failed:\n" + made.output());
    String hostBefore = hostRunState();

    rootRpmOk(root, "--initdb");
    assertEquals(
        "",
        rootRpmOk(
            root,
            install(
                RpmTools.hostInstallOptions(),
                "-i", packages.tool(), packages.test("sur-trigger-probe", 1), packages.test(APP, 1))),
        "a clean install prints nothing");
    Path probe = root.resolve("var/log/sur-trigger-probe.log");
    Files.writeString(probe, "");
    assertEquals(
        "",
        rootRpmOk(root, install(RpmTools.hostInstallOptions(), "-U", packages.test(APP, 2))),
        "a clean upgrade prints nothing");

    assertEquals(APP + "-2-1.noarch", rootRpmOk(root, "-q", APP));
    assertFiredWithoutMarks(Files.readAllLines(probe));
    for (String p : List.of(STORE, STAMP)) {
      assertFalse(
          Files.exists(root.resolve(p.substring(1)), LinkOption.NOFOLLOW_LINKS), "written in the root: " + p);
    }
    String hostAfter = hostRunState();
    assertEquals(hostBefore, hostAfter, "the host's /run changed");
    if (hostBefore.contains(STORE + " absent")) {
      assertFalse(Files.exists(Path.of(STORE), LinkOption.NOFOLLOW_LINKS), STORE + " created on the host");
    }
  }

  /* In a root without systemd running, the triggers fire as on an upgrade and mark nothing. */
  private static void assertFiredWithoutMarks(List<String> fired) {
    for (String slot : List.of("in-900899-both ", "postun-9999-usr ")) {
      assertTrue(
          fired.stream().anyMatch(l -> l.startsWith(slot)), "trigger " + slot + "did not fire: " + fired);
    }
    for (String line : fired) {
      assertTrue(line.endsWith(" marks="), "a mark was written: " + line);
    }
  }

  /**
   * The same with a Debian tree's rpm, whose triggers fire in other cases: rpm --root inside a
   * sandbox of the tree, into a root without /run/systemd/system while the sandbox's systemd runs.
   */
  @Test
  void d_chrootWithoutSystemdDoesNothingWithTheTreesRpm() throws IOException {
    Assumptions.assumeFalse(ToolSandbox.TREE.onHost(), "the host's rpm --root: the test above");
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(0))) {
      String root = "/var/tmp/sur-chroot";
      String probe = root + "/var/log/sur-trigger-probe.log";
      box.root("sh", "-c", MKROOT, "mkroot", root).orThrow("making the root");
      List<String> options = RpmTools.installOptions(box);
      String before = runState(box);

      chrootRpmOk(box, root, "--initdb");
      assertEquals(
          "",
          chrootRpmOk(
              box, root,
              install(options, "-i", packages.tool(), packages.test("sur-trigger-probe", 1), packages.test(APP, 1))),
          "a clean install prints nothing");
      box.root("sh", "-c", ": >\"$1\"", "sh", probe).orThrow("emptying the probe's log");
      assertEquals(
          "", chrootRpmOk(box, root, install(options, "-U", packages.test(APP, 2))), "a clean upgrade prints nothing");

      assertEquals(APP + "-2-1.noarch", chrootRpmOk(box, root, "-q", APP));
      assertFiredWithoutMarks(
          box.root("cat", probe).orThrow("reading the probe's log").stdout().lines().toList());
      for (String p : List.of(STORE, STAMP)) {
        assertFalse(box.root("sh", "-c", EXISTS, "sh", root + p).ok(), "written in the root: " + p);
      }
      assertEquals(before, runState(box), "the sandbox's /run changed");
    }
  }

  /* Whether $1 exists, as a dangling link too. */
  private static final String EXISTS = "[ -e \"$1\" ] || [ -L \"$1\" ]";

  /**
   * rpm --root inside {@code box}; requires exit 0, returns its output without Debian's banner and
   * without the warning of rpm 4.20 and newer that it makes no private mounts for the scriptlets
   * of a --root.
   */
  private static String chrootRpmOk(ToolSandbox box, String root, String... args) {
    List<String> argv = new ArrayList<>(List.of("rpm", "--root", root, "--dbpath", Trial.RPM_DB));
    argv.addAll(List.of(args));
    ExecResult r = box.root(argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + ":\n" + r);
    return RpmTools.withoutBanner(r.stdout() + "\n" + r.stderr())
        .lines()
        .filter(l -> !l.equals("warning: private mounts in chroot not implemented"))
        .collect(Collectors.joining("\n"));
  }

  /** Whether the sandbox has the paths the tool and the triggers write, and what is in them. */
  private static String runState(ToolSandbox box) {
    return box.root(
            "sh", "-c",
            "for p in \"$@\"; do if " + EXISTS.replace("$1", "$p") + "; then echo \"$p exists\"; "
                + "[ ! -d \"$p\" ] || find \"$p\" | sort; else echo \"$p absent\"; fi; done",
            "sh", STORE, STAMP)
        .orThrow("reading the state of /run")
        .stdout();
  }

  /**
   * The packager's check with the tool and its sandbox installed from their RPMs, the launcher in /usr/bin: a
   * trial package that installs into /usr/bin installs, upgrades and is restarted. The sandbox
   * command runs in a sandbox of its own, as a service of that sandbox's systemd, so that the
   * cgroups it makes are in that sandbox's cgroup namespace.
   */
  @Test
  void e_theInstalledToolsSandboxLetsTrialPackagesInstallIntoUsrBin() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(0))) {
      assertEquals(
          "", rpmOk(box, install(box, "-i", packages.tool(), packages.sandbox())), "installing the tool prints nothing");
      // The tool's own package holds no sandbox, in no file and no class of its jar.
      String toolFiles = rpmOk(box, "-ql", "systemd-user-restart");
      assertFalse(toolFiles.contains("sandbox"), toolFiles);
      ExecResult classes =
          box.root(
              "python3", "-c",
              "import sys, zipfile; print(sorted({n.rsplit('/', 1)[0] for n in zipfile.ZipFile(sys.argv[1]).namelist()}))",
              "/usr/share/systemd-user-restart/systemd-user-restart.jar");
      assertTrue(classes.ok() && classes.stdout().contains("net/userrestart/cli"), classes::toString);
      assertFalse(classes.stdout().contains("net/userrestart/sandbox"), classes::toString);
      ExecResult r =
          box.sandbox.exec(
              NESTED,
              "systemd-run", "--wait", "--pipe", "--quiet", "--",
              "/usr/bin/systemd-user-restart", "sandbox", "--users", "1",
              "--install", packages.test(BIN, 1).toString(),
              "--upgrade", packages.test(BIN, 2).toString(),
              "--expect-restart", BIN + ".service");
      assertEquals(0, r.exitCode(), r::toString);
      assertTrue(r.stdout().contains("All expectations met."), r::toString);
      assertTrue(r.stderr().contains("torn down"), r::toString);
    }
  }

  // --- In the sandbox -------------------------------------------------------------------------

  /** Our RPM, then sur-test-app 1 and sur-test-other 1, with rpm; both units started for every user. */
  private static void installAndStart(ToolSandbox box) throws IOException {
    assertEquals("", rpmOk(box, install(box, "-i", packages.tool())), "installing the tool prints nothing");
    assertEquals(
        "",
        rpmOk(box, install(box, "-i", packages.test(APP, 1), packages.test(OTHER, 1))),
        "installing the test packages prints nothing");
    for (SandboxUser u : box.users()) {
      box.userctl(u, "start", APP + ".service", OTHER + ".service");
    }
    for (SandboxUser u : box.users()) {
      for (String pkg : List.of(APP, OTHER)) {
        Seen s = seen(box, u, pkg, 1);
        assertEquals("active", s.state(), u + ": " + pkg + " " + s);
        assertEquals(pkg + " version 1", s.running(), u + ": " + pkg + " " + s);
      }
    }
  }

  /** rpm's arguments to install or upgrade {@code rpms} with the options of the rpm inside {@code box}. */
  private static String[] install(ToolSandbox box, String mode, Path... rpms) {
    return install(RpmTools.installOptions(box), mode, rpms);
  }

  private static String[] install(List<String> options, String mode, Path... rpms) {
    List<String> args = new ArrayList<>();
    args.add(mode);
    args.addAll(options);
    for (Path p : rpms) {
      args.add(p.toString());
    }
    return args.toArray(String[]::new);
  }

  /** rpm inside the sandbox, on its own root and database. */
  private static ExecResult rpm(ToolSandbox box, String... args) {
    List<String> argv = new ArrayList<>(List.of("rpm", "--dbpath", Trial.RPM_DB));
    argv.addAll(List.of(args));
    return box.root(argv.toArray(String[]::new));
  }

  /** Runs rpm inside, requires exit 0, returns its output without Debian's banner. */
  private static String rpmOk(ToolSandbox box, String... args) {
    ExecResult r = rpm(box, args);
    assertEquals(0, r.exitCode(), () -> "rpm " + String.join(" ", args) + ":\n" + r);
    return RpmTools.withoutBanner(r.stdout() + "\n" + r.stderr());
  }

  /**
   * The unit of {@code pkg} in {@code u}'s manager. A start job is done once the service is
   * forked, before its script wrote its version: waits until the version file and the last line
   * of the starts log name {@code version}, then returns what is there (the asserts tell).
   */
  private static Seen seen(ToolSandbox box, SandboxUser u, String pkg, int version) {
    String expected = pkg + " version " + version;
    long end = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      String running = cat(box, u.runtimeDir() + "/" + pkg + ".version").strip();
      List<String> starts = cat(box, u.runtimeDir() + "/" + pkg + ".starts").lines().toList();
      boolean settled =
          running.equals(expected) && !starts.isEmpty() && starts.get(starts.size() - 1).equals(expected);
      if (settled || System.nanoTime() - end > 0) {
        Map<String, String> p =
            box.props(u, pkg + ".service", "MainPID", "InvocationID", "ActiveState", "Description");
        return new Seen(
            p.get("MainPID") + "/" + p.get("InvocationID"),
            p.get("ActiveState"),
            p.get("Description"),
            running,
            starts);
      }
      Threads.sleep(50);
    }
  }

  private static Map<SandboxUser, Seen> seen(ToolSandbox box, String pkg, int version) {
    Map<SandboxUser, Seen> all = new HashMap<>();
    for (SandboxUser u : box.users()) {
      all.put(u, seen(box, u, pkg, version));
    }
    return all;
  }

  /** A restart: new MainPID and new InvocationID. */
  private static void assertRestarted(Seen before, Seen after, SandboxUser u) {
    String[] b = before.identity().split("/");
    String[] a = after.identity().split("/");
    assertNotEquals(b[0], a[0], u + ": same MainPID, not restarted: " + after);
    assertNotEquals(b[1], a[1], u + ": same InvocationID, not restarted: " + after);
  }

  private static String cat(ToolSandbox box, String path) {
    ExecResult r = box.root("cat", path);
    return r.ok() ? r.stdout() : "";
  }

  /** Files left in the mark store, relative to it, but its lock. */
  private static List<String> pendingMarks(ToolSandbox box) {
    ExecResult r = box.root("sh", "-c", "cd " + STORE + " && find . -type f ! -path ./lock | sort");
    assertEquals(0, r.exitCode(), () -> "no mark store at " + STORE + ":\n" + r);
    return r.stdout().lines().map(l -> l.substring(2)).toList();
  }

  /** Nothing in the store, and the installed tool agrees. */
  private static void assertNoMarks(ToolSandbox box) {
    assertEquals(List.of(), pendingMarks(box), "marks left in " + STORE);
    ExecResult list = box.root("/usr/bin/systemd-user-restart", "list", "--json");
    assertEquals(0, list.exitCode(), list::toString);
    assertTrue(
        list.stdout().contains("\"marks\":{\"restart\":[],\"reload\":[],\"perUser\":{},\"invalid\":[]}"),
        () -> "the tool lists marks:\n" + list);
  }

  // --- On the host ----------------------------------------------------------------------------

  /**
   * A root that can run scriptlets: the host's /bin/sh and mkdir with their libraries, /dev/null,
   * and a /run without systemd/system, as in an image build.
   */
  static final String MKROOT =
      """
      set -eu
      r=$1
      mkdir -p "$r"/usr/bin "$r"/usr/lib "$r"/usr/lib64 "$r"/var/lib/rpm "$r"/var/log \\
          "$r"/var/tmp "$r"/tmp "$r"/etc "$r"/dev "$r"/run
      ln -s usr/bin "$r/bin"; ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
      sh=$(readlink -f /bin/sh)
      for f in "$sh" "$(readlink -f "$(command -v mkdir)")"; do
          cp -L "$f" "$r/usr/bin/${f##*/}"
          for l in $(ldd "$f" | grep -o '/[^ ]*'); do
              mkdir -p "$r${l%/*}"; cp -L "$l" "$r$l"
          done
      done
      [ -e "$r/usr/bin/sh" ] || ln -s "${sh##*/}" "$r/usr/bin/sh"
      mknod -m 666 "$r/dev/null" c 1 3 2>/dev/null || : > "$r/dev/null"
      """;

  /** rpm --root on the host; requires exit 0, returns its output without Debian's banner. */
  private static String rootRpmOk(Path root, String... args) {
    List<String> argv = new ArrayList<>(List.of("rpm", "--root", root.toString(), "--dbpath", Trial.RPM_DB));
    argv.addAll(List.of(args));
    RpmTools.HostResult r = RpmTools.host(Duration.ofMinutes(2), argv.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + ":\n" + r.output());
    return RpmTools.withoutBanner(r.output());
  }

  /** Whether the host has the paths the tool and the triggers write, and what is in them. */
  private static String hostRunState() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (String p : List.of(STORE, STAMP, "/run/systemd/system")) {
      Path f = Path.of(p);
      sb.append(p).append(Files.exists(f, LinkOption.NOFOLLOW_LINKS) ? " exists" : " absent").append('\n');
      if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> s = Files.walk(f)) {
          s.map(Path::toString).sorted().forEach(x -> sb.append("  ").append(x).append('\n'));
        }
      }
    }
    return sb.toString();
  }
}
