// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static net.userrestart.testutil.MiniJson.array;
import static net.userrestart.testutil.MiniJson.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import net.userrestart.testutil.MiniJson;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * {@code systemd-user-restart stale} after real rpm upgrades in a sandbox with two users: a
 * service whose program the upgrade replaced and a service that dlopen()ed a library the upgrade
 * replaced are listed, with the packages that own the files now; a service of a package not
 * upgraded is not; and user managers whose systemd was replaced are listed until re-executed.
 */
@Tag("systemd")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StaleIT {
  static final String STALE = "sur-test-stale";
  static final String LIB = "sur-test-lib";
  static final String DLOPEN = "sur-test-dlopen";
  static final String OTHER = "sur-test-other";
  static final String PROGRAM = "/usr/libexec/sur-test-stale/sleeper";
  static final String LIBRARY = "/usr/lib/sur-test-lib/libsurtest.so";
  static final String SYSTEMD = "/usr/lib/systemd/systemd";

  @RegisterExtension static final RpmTools.BuiltPackages packages = new RpmTools.BuiltPackages();

  @Test
  void upgradedFilesInUseAreListedPerUserWithTheirPackages() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      assertEquals(List.of(), units(stale(box)), "nothing is stale before the upgrade");

      // No marking macro in these packages: the trigger re-executes the managers, restarts nothing.
      rpmOk(box, install(box, "-U", packages.test(STALE, 2), packages.test(LIB, 2)));

      Map<String, Object> report = stale(box);
      List<String> expected = new ArrayList<>();
      for (SandboxUser u : box.users()) {
        expected.add(u.uid() + " " + DLOPEN + ".service restart no " + box.prop(u, DLOPEN + ".service", "MainPID")
            + " " + LIBRARY + "=[" + LIB + "-2-1.noarch]");
        expected.add(u.uid() + " " + STALE + ".service restart no " + box.prop(u, STALE + ".service", "MainPID")
            + " " + PROGRAM + "=[" + STALE + "-2-1.noarch]");
      }
      assertEquals(
          expected,
          units(report),
          () -> "report: " + report + "\nrpm: " + box.root("rpm", "--eval", "%_dbpath") + box.root("rpm", "-qf", PROGRAM));
      assertEquals(4L, report.get("staleUnits"));
      assertEquals(2L, report.get("staleUsers"));

      // Marked for one user: that user's unit says so; --user shows that user alone.
      SandboxUser first = box.users().get(0);
      box.toolOk("mark", "--user", first.name(), STALE + ".service");
      List<String> mine = units(stale(box, "--user", first.name()));
      assertEquals(2, mine.size(), mine::toString);
      assertTrue(mine.get(1).startsWith(first.uid() + " " + STALE + ".service restart restart "), mine::toString);
      assertTrue(mine.get(0).startsWith(first.uid() + " " + DLOPEN + ".service restart no "), mine::toString);

      ExecResult human = box.toolOk("stale");
      assertTrue(
          human.stdout().contains("4 user services of 2 users still run replaced files."), human::toString);
      assertTrue(human.stdout().contains(PROGRAM + " (" + STALE + "-2-1.noarch)"), human::toString);
    }
  }

  static String summary(int units, int users) {
    return units + " user services of " + users + " users still run replaced files; see `systemd-user-restart stale`";
  }

  /*
   * No configuration: the triggers restart nothing that is not marked, and the end of each
   * transaction says how many user services still run replaced files, also when the transaction
   * changed no user unit file (a library alone). --stale then restarts exactly those.
   */
  @Test
  void eachTransactionTellsOfStaleServicesAndStaleRestartsThem() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      Map<SandboxUser, String> stale = identities(box, STALE);
      Map<SandboxUser, String> dlopen = identities(box, DLOPEN);
      Map<SandboxUser, String> other = identities(box, OTHER);

      ExecResult lib = rpmOk(box, install(box, "-U", packages.test(LIB, 2)));
      assertEquals(1, count(lib.stderr(), summary(2, 2)), lib::toString);
      ExecResult app = rpmOk(box, install(box, "-U", packages.test(STALE, 2)));
      assertEquals(1, count(app.stderr(), summary(4, 2)), app::toString);
      assertEquals(dlopen, identities(box, DLOPEN), "nothing restarted without --stale");
      assertEquals(stale, identities(box, STALE), "nothing restarted without --stale");

      ExecResult r = box.toolOk("--all-users", "--stale", "--json");
      for (Object o : array(object(MiniJson.parse(r.stdout())).get("users"))) {
        List<String> done = new ArrayList<>();
        for (Object unit : array(object(o).get("units"))) {
          Map<String, Object> u = object(unit);
          if (String.valueOf(u.get("unit")).startsWith("sur-")) {
            done.add(u.get("unit") + " " + u.get("action") + " " + u.get("result") + " " + u.get("reason"));
          }
        }
        assertEquals(
            List.of(DLOPEN + ".service try-restart done stale", STALE + ".service try-restart done stale"),
            done, r::toString);
      }
      assertEquals(List.of(), units(stale(box)), "nothing is stale after --stale");
      assertAllChanged(stale, identities(box, STALE), STALE);
      assertAllChanged(dlopen, identities(box, DLOPEN), DLOPEN);
      assertEquals(other, identities(box, OTHER), "the unit of the package not upgraded is left alone");
    }
  }

  /* RestartStale=yes: the triggers' runs restart the stale units themselves, and say nothing. */
  @Test
  void restartStaleYesMakesTheTriggersRestartThem() throws IOException {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      installAndStart(box);
      box.sandbox.writeFile("/etc/systemd-user-restart.conf", "# local choice\nRestartStale=yes\n");
      Map<SandboxUser, String> stale = identities(box, STALE);
      Map<SandboxUser, String> dlopen = identities(box, DLOPEN);
      Map<SandboxUser, String> other = identities(box, OTHER);

      ExecResult lib = rpmOk(box, install(box, "-U", packages.test(LIB, 2)));
      assertEquals(0, count(lib.stderr(), "replaced files; see `systemd-user-restart stale`"), lib::toString);
      assertAllChanged(dlopen, identities(box, DLOPEN), DLOPEN + " after the library's upgrade");
      assertEquals(stale, identities(box, STALE), STALE + " runs no replaced file yet");

      ExecResult app = rpmOk(box, install(box, "-U", packages.test(STALE, 2)));
      assertEquals(0, count(app.stderr(), "replaced files; see `systemd-user-restart stale`"), app::toString);
      assertAllChanged(stale, identities(box, STALE), STALE + " after its upgrade");
      assertEquals(other, identities(box, OTHER), "the unit of the package not upgraded is left alone");
      assertEquals(List.of(), units(stale(box)), "nothing is stale");
    }
  }

  @Test
  void aManagerRunningReplacedSystemdNeedsAReexec() {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2))) {
      box.root("sh", "-c", "cp -p " + SYSTEMD + " " + SYSTEMD + ".new && mv -f " + SYSTEMD + ".new " + SYSTEMD)
          .orThrow("replacing " + SYSTEMD);
      Map<String, Object> before = stale(box);
      List<String> expected = new ArrayList<>();
      for (SandboxUser u : box.users()) {
        expected.add(u.uid() + " user@" + u.uid() + ".service reexec null " + box.managerPid(u) + " " + SYSTEMD + "=[]");
      }
      assertEquals(expected, units(before).stream().map(StaleIT::systemdOnly).toList(), () -> "report: " + before);
      assertEquals(2L, before.get("managersToReexec"));
      assertEquals(0L, before.get("staleUnits"));
      ExecResult human = box.toolOk("stale");
      assertTrue(human.stdout().contains("user managers need a re-exec"), human::toString);

      box.toolOk("--all-users");

      assertEquals(List.of(), units(stale(box)), "the managers run the new systemd");
    }
  }

  // --- Helpers --------------------------------------------------------------------------------

  /** A unit line cut after the systemd binary's entry: the managers map more replaced files. */
  private static String systemdOnly(String line) {
    int at = line.indexOf(SYSTEMD + "=");
    int end = line.indexOf(' ', at);
    return (end < 0 ? line : line.substring(0, end)).replaceAll("=\\[[^]]*]$", "=[]");
  }

  /** The tool's JSON report. */
  private static Map<String, Object> stale(ToolSandbox box, String... args) {
    List<String> argv = new ArrayList<>(List.of("stale", "--json"));
    argv.addAll(List.of(args));
    ExecResult r = box.toolOk(argv.toArray(String[]::new));
    return object(MiniJson.parse(r.stdout()));
  }

  /** "UID UNIT ACTION MARKED MAINPID PATH=[PACKAGES]..." per listed unit, in the report's order. */
  private static List<String> units(Map<String, Object> report) {
    List<String> lines = new ArrayList<>();
    for (Object o : array(report.get("units"))) {
      Map<String, Object> u = object(o);
      StringBuilder line =
          new StringBuilder(u.get("uid") + " " + u.get("unit") + " " + u.get("action") + " " + u.get("marked") + " "
              + u.get("mainPid"));
      for (Object f : array(u.get("files"))) {
        Map<String, Object> file = object(f);
        line.append(' ').append(file.get("path")).append('=').append(file.get("packages"));
      }
      lines.add(line.toString().replace(", ", ","));
    }
    return lines;
  }

  /** Waits until every user's dlopen service has loaded the library (its start job is done sooner). */
  private static void awaitLoaded(ToolSandbox box) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (SandboxUser u : box.users()) {
      String flag = u.runtimeDir() + "/" + DLOPEN + ".loaded";
      while (!box.root("test", "-e", flag).ok()) {
        if (System.nanoTime() > deadline) {
          fail(u + ": " + DLOPEN + " did not load the library; " + box.prop(u, DLOPEN + ".service", "ActiveState"));
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
    }
  }

  private static String[] install(ToolSandbox box, String mode, Path... rpms) {
    List<String> args = new ArrayList<>(List.of("rpm", "--dbpath", Trial.RPM_DB, mode));
    args.addAll(RpmTools.installOptions(box));
    for (Path p : rpms) {
      args.add(p.toString());
    }
    return args.toArray(String[]::new);
  }

  private static ExecResult rpmOk(ToolSandbox box, String... argv) {
    ExecResult r = box.root(argv);
    assertEquals(0, r.exitCode(), () -> String.join(" ", argv) + ":\n" + r);
    return r;
  }

  /** The tool and version 1 of the test packages installed, their services started for every user. */
  private static void installAndStart(ToolSandbox box) throws IOException {
    // The tool asks rpm without --dbpath: make the sandbox's default the database used here
    // (Fedora's default; Debian's rpm would use root's home).
    box.sandbox.writeFile("/etc/rpm/macros.sur-test-dbpath", "%_dbpath " + Trial.RPM_DB + "\n");
    rpmOk(box, install(box, "-i", packages.tool()));
    rpmOk(box, install(box, "-i", packages.test(STALE, 1), packages.test(LIB, 1), packages.test(DLOPEN, 1),
        packages.test(OTHER, 1)));
    for (SandboxUser u : box.users()) {
      box.userctl(u, "start", STALE + ".service", DLOPEN + ".service", OTHER + ".service");
    }
    awaitLoaded(box);
  }

  /** Each user's {@code unit}'s MainPID and InvocationID. */
  private static Map<SandboxUser, String> identities(ToolSandbox box, String unit) {
    Map<SandboxUser, String> ids = new java.util.LinkedHashMap<>();
    for (SandboxUser u : box.users()) {
      ids.put(u, box.identity(u, unit + ".service"));
    }
    return ids;
  }

  /** How many lines of {@code text} are the summary line {@code summary}. */
  private static long count(String text, String summary) {
    return text.lines().filter(l -> l.endsWith(summary)).count();
  }

  private static void assertAllChanged(Map<SandboxUser, String> before, Map<SandboxUser, String> after, String what) {
    before.forEach((u, id) -> assertTrue(!id.equals(after.get(u)), () -> what + " of " + u + ": " + id));
  }
}
