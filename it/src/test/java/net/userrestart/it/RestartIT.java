// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The tool against real systemd user managers in a sandbox: what systemd reports afterwards. */
@Tag("systemd")
@TestMethodOrder(MethodOrderer.MethodName.class)
class RestartIT {
  static final String MARKED = "sur-demo.service";
  static final String KEPT = "sur-kept.service";
  static final String TEMPLATE = "sur-tmpl@.service";
  static final String RELOADABLE = "sur-reloadable.service";
  static ToolSandbox box;

  @BeforeAll
  static void boot() throws Exception {
    box =
        ToolSandbox.boot(
            SandboxSpec.of(3)
                .withUserUnit(MARKED, Trial.sleeper("marked demo"))
                .withUserUnit(KEPT, Trial.sleeper("never marked"))
                .withUserUnit(TEMPLATE, Trial.sleeper("template %i"))
                .withUserUnit(
                    RELOADABLE,
                    "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep infinity\n"
                        + "ExecReload=/bin/sh -c 'echo reloaded >> %t/sur-reloads'\n"
                        + "[Install]\nWantedBy=default.target\n"));
  }

  @AfterAll
  static void teardown() {
    if (box != null) {
      box.close();
    }
  }

  @BeforeEach
  void noMarksLeft() {
    box.root("rm", "-rf", "/run/systemd-user-restart");
  }

  private Map<SandboxUser, String> identities(String unit) {
    Map<SandboxUser, String> ids = new HashMap<>();
    for (SandboxUser u : box.users()) {
      ids.put(u, box.identity(u, unit));
    }
    return ids;
  }

  @Test
  void a_allUsersReexecutesAndRestartsOnlyMarkedUnits() {
    Map<SandboxUser, String> marked = identities(MARKED);
    Map<SandboxUser, String> kept = identities(KEPT);
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
    box.toolOk("mark", MARKED);

    ExecResult run = box.toolOk("--all-users", "--json");

    assertTrue(run.stdout().contains("\"ok\":true"), run::toString);
    for (SandboxUser u : box.users()) {
      assertNotEquals(marked.get(u), box.identity(u, MARKED), u + ": marked unit not restarted");
      assertEquals("active", box.prop(u, MARKED, "ActiveState"));
      assertEquals(kept.get(u), box.identity(u, KEPT), u + ": unmarked unit was touched");
      assertEquals(gens.get(u).reexecuted(), box.managerGeneration(u), u + ": not re-executed once, in place");
    }
    assertEquals("", box.root("ls", "-A", "/run/systemd-user-restart/restart").stdout().strip(), "marks not consumed");
  }

  @Test
  void b_dryRunChangesNothing() {
    box.toolOk("mark", MARKED);
    Map<SandboxUser, String> marked = identities(MARKED);
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();

    ExecResult run = box.toolOk("--all-users", "--dry-run");

    assertTrue(run.stdout().contains("Would daemon-reexec"), run::toString);
    assertTrue(run.stdout().contains(MARKED), run::toString);
    assertEquals(marked, identities(MARKED));
    assertEquals(gens, box.generations());
    assertTrue(box.root("test", "-e", "/run/systemd-user-restart/restart/" + MARKED).ok(), "dry run consumed the mark");
  }

  @Test
  void c_oneUserOnly() {
    SandboxUser first = box.users().get(0);
    Map<SandboxUser, String> marked = identities(MARKED);
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
    box.toolOk("mark", MARKED);

    box.toolOk("--user", first.name());

    for (SandboxUser u : box.users()) {
      if (u.equals(first)) {
        assertNotEquals(marked.get(u), box.identity(u, MARKED));
        assertEquals(gens.get(u).reexecuted(), box.managerGeneration(u));
      } else {
        assertEquals(marked.get(u), box.identity(u, MARKED), u + " was touched");
        assertEquals(gens.get(u), box.managerGeneration(u), u + " was re-executed");
      }
    }
    // The others keep the mark, as their own, for the next run.
    ExecResult pending = box.toolOk("list", "--json");
    for (SandboxUser u : box.users().subList(1, box.users().size())) {
      assertTrue(pending.stdout().contains("\"" + u.uid() + "\":{\"restart\":[\"" + MARKED + "\"]"), pending::toString);
    }
    box.toolOk("--all-users");
    for (SandboxUser u : box.users().subList(1, box.users().size())) {
      assertNotEquals(marked.get(u), box.identity(u, MARKED));
    }
  }

  @Test
  void d_systemdMarkersAndCommandLineUnitsAndTemplates() {
    SandboxUser u = box.users().get(1);
    box.userctl(u, "start", "sur-tmpl@one.service", "sur-tmpl@two.service");
    String one = box.identity(u, "sur-tmpl@one.service");
    String two = box.identity(u, "sur-tmpl@two.service");
    String kept = box.identity(u, KEPT);
    String demo = box.identity(u, MARKED);
    String reloadable = box.identity(u, RELOADABLE);
    Map<SandboxUser, String> othersMarked = identities(MARKED);
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
    box.userctl(u, "set-property", KEPT, "Markers=+needs-restart");
    box.toolOk("mark", TEMPLATE);

    box.toolOk("--user", Integer.toString(u.uid()), "--no-reexec", MARKED);

    assertEquals(gens, box.generations(), "--no-reexec re-executed or reloaded a manager");
    assertEquals(reloadable, box.identity(u, RELOADABLE), "an unmarked unit was touched");
    for (SandboxUser other : box.users()) {
      if (!other.equals(u)) {
        assertEquals(othersMarked.get(other), box.identity(other, MARKED), other + " was touched");
      }
    }
    assertNotEquals(one, box.identity(u, "sur-tmpl@one.service"), "template instance one");
    assertNotEquals(two, box.identity(u, "sur-tmpl@two.service"), "template instance two");
    assertNotEquals(kept, box.identity(u, KEPT), "unit marked with Markers= not restarted");
    assertNotEquals(demo, box.identity(u, MARKED), "unit named on the command line");
    box.userctl(u, "stop", "sur-tmpl@one.service", "sur-tmpl@two.service");
  }

  /* A unit installed that no manager has loaded: asking about it must not load it. */
  @Test
  void d_unitNoManagerLoadedIsReportedNotLoadedAndStaysSo() {
    String idle = "sur-idle.service";
    box.sandbox.writeFile("/etc/systemd/user/" + idle, Trial.sleeper("installed, never started"));
    try {
      box.users().forEach(u -> assertEquals("", loadedUnits(u, idle), u + ": loaded before the run"));
      box.toolOk("mark", idle);

      ExecResult run = box.toolOk("--all-users", "--no-reexec", "--json");

      String reported = "\"unit\":\"" + idle + "\",\"action\":\"try-restart\",\"result\":\"not-loaded\"";
      assertEquals(box.users().size(), run.stdout().split(reported, -1).length - 1, run::toString);
      box.users().forEach(u -> assertEquals("", loadedUnits(u, idle), u + ": loaded by the run"));
      assertFalse(box.root("test", "-e", "/run/systemd-user-restart/restart/" + idle).ok(), "mark not settled");
    } finally {
      box.root("rm", "-f", "/etc/systemd/user/" + idle);
    }
  }

  /* The loaded units named unit, as list-units prints them: it lists, and loads nothing. */
  private static String loadedUnits(SandboxUser u, String unit) {
    ExecResult r =
        box.sandbox.execAsUser(
            u, ToolSandbox.RUN, "systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", unit);
    assertEquals(0, r.exitCode(), r::toString);
    return r.stdout().strip();
  }

  @Test
  void e_manyRunsInARowNeverHangOrMissAReply() {
    int runs = 15;
    long resent = 0;
    for (int i = 0; i < runs; i++) {
      Map<SandboxUser, String> marked = identities(MARKED);
      box.toolOk("mark", MARKED);
      ExecResult run = box.toolOk("--all-users", "--json", "--timeout", "20", "-vv");
      assertTrue(run.stdout().contains("\"ok\":true"), run::toString);
      // Every manager answered the first call of both connections.
      long answered =
          run.stderr()
              .lines()
              .filter(l -> l.contains(": connected, systemd ") || l.contains(": re-executed, systemd "))
              .count();
      assertEquals(2L * box.users().size(), answered, run::toString);
      resent += run.stderr().lines().filter(l -> l.contains("sent again")).count();
      for (SandboxUser u : box.users()) {
        assertNotEquals(marked.get(u), box.identity(u, MARKED), "run " + i + ", " + u);
      }
    }
    /* A first call sent in the same read as SASL's BEGIN is left unread by the manager and must
     * be sent again (most connections did, before BEGIN went with AUTH). A manager slow to answer
     * on a loaded machine is sent it again too, now and then: that is no failure. */
    long connections = 2L * runs * box.users().size();
    assertTrue(resent < connections / 4, resent + " of " + connections + " first calls sent again");
  }

  /**
   * What the rpm file triggers run takes Main's fast path, past picocli; {@code -a} goes through
   * picocli: the same work, once per manager, on the real managers, run after run.
   */
  @Test
  void e_theTriggersCommandLineDoesTheSameWorkOnTheFastPath() {
    for (int i = 0; i < 5; i++) {
      Map<SandboxUser, String> marked = identities(MARKED);
      Map<SandboxUser, String> kept = identities(KEPT);
      Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
      box.toolOk("mark", MARKED);
      ExecResult run = i % 2 == 0 ? box.toolOk("--all-users", "--quiet") : box.toolOk("-a");
      if (i % 2 == 0) {
        assertEquals("", run.stdout() + run.stderr(), run::toString);
      } else {
        int n = box.users().size();
        assertTrue(run.stdout().contains(n + " user managers, " + n + " ok, 0 failed."), run::toString);
      }
      for (SandboxUser u : box.users()) {
        assertNotEquals(marked.get(u), box.identity(u, MARKED), "run " + i + ", " + u);
        assertEquals(kept.get(u), box.identity(u, KEPT), "run " + i + ", " + u + ": unmarked unit was touched");
        assertEquals(gens.get(u).reexecuted(), box.managerGeneration(u), "run " + i + ", " + u + ": not re-executed once");
      }
      assertEquals("", box.root("ls", "-A", "/run/systemd-user-restart/restart").stdout().strip(), "marks not consumed");
    }
  }

  @Test
  void f_failedUserKeepsItsMarksForTheNextRun() {
    SandboxUser stopped = box.users().get(2);
    long pid = box.managerPid(stopped);
    Map<SandboxUser, String> marked = identities(MARKED);
    box.toolOk("mark", MARKED);
    box.root("kill", "-STOP", Long.toString(pid));
    ExecResult run;
    try {
      run = box.tool("--all-users", "--timeout", "2", "--json");
    } finally {
      box.root("kill", "-CONT", Long.toString(pid));
    }
    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.stdout().contains("\"uid\":" + stopped.uid() + ",\"user\":\"" + stopped.name() + "\",\"outcome\":\"timed-out\""), run::toString);
    for (SandboxUser u : List.of(box.users().get(0), box.users().get(1))) {
      assertNotEquals(marked.get(u), box.identity(u, MARKED));
    }
    assertTrue(
        box.root("test", "-e", "/run/systemd-user-restart/user/" + stopped.uid() + "/restart/" + MARKED).ok(),
        "the failed user's mark is not pending");
    assertEquals(marked.get(stopped), box.identity(stopped, MARKED));

    Map<SandboxUser, String> before = identities(MARKED);
    ExecResult retry = box.toolOk("--all-users", "--json");
    assertTrue(retry.stdout().contains("\"ok\":true"), retry::toString);
    assertNotEquals(before.get(stopped), box.identity(stopped, MARKED), "retry did not restart");
    for (SandboxUser u : List.of(box.users().get(0), box.users().get(1))) {
      assertEquals(before.get(u), box.identity(u, MARKED), "retry restarted a user that had succeeded");
    }
  }

  @Test
  void g_reloadMarksAndDaemonReload() {
    SandboxUser u = box.users().get(0);
    String reloadable = box.identity(u, RELOADABLE);
    String demo = box.identity(u, MARKED);
    ToolSandbox.Generation gen = box.managerGeneration(u);
    box.toolOk("mark", "--reload", RELOADABLE);
    box.toolOk("mark", MARKED);

    ExecResult run = box.toolOk("--user", u.name(), "--daemon-reload");

    assertTrue(run.stdout().contains("daemon-reload done"), run::toString);
    assertEquals(gen.reloaded(), box.managerGeneration(u), "not one daemon-reload, or a re-exec");
    assertEquals(reloadable, box.identity(u, RELOADABLE), "a unit marked for reload was restarted");
    assertEquals(
        "reloaded",
        box.root("cat", "/run/user/" + u.uid() + "/sur-reloads").stdout().strip(),
        "ExecReload did not run");
    assertNotEquals(demo, box.identity(u, MARKED), "a unit marked for restart was not restarted");
  }

  /**
   * PID 1's private socket masked (as on a system whose PID 1 refuses it): the user managers are
   * listed over the system bus instead, with their PIDs, and the run restarts every user.
   */
  @Test
  void h_pid1IsAskedOverTheSystemBusWhenItsPrivateSocketCannotBeUsed() {
    Map<SandboxUser, ToolSandbox.Generation> gens = box.generations();
    Map<SandboxUser, String> marked = identities(MARKED);
    box.toolOk("mark", MARKED);
    ExecResult mask = box.root("mount", "--bind", "/dev/null", "/run/systemd/private");
    assertEquals(0, mask.exitCode(), mask::toString);
    try {
      assertFalse(box.root("test", "-S", "/run/systemd/private").ok(), "PID 1's socket not masked");

      ExecResult list = box.toolOk("list");
      ExecResult run = box.toolOk("--all-users", "--json");

      for (SandboxUser u : box.users()) {
        assertTrue(list.stdout().contains(" " + box.managerPid(u) + " "), list::toString);
      }
      assertTrue(run.stdout().contains("\"ok\":true"), run::toString);
      for (SandboxUser u : box.users()) {
        assertNotEquals(marked.get(u), box.identity(u, MARKED), u + ": marked unit not restarted");
        assertEquals(gens.get(u).reexecuted(), box.managerGeneration(u), u + ": not re-executed");
      }
    } finally {
      box.root("umount", "/run/systemd/private");
    }
  }

  /** On a Debian tree the JVM on its PATH, which the launcher runs the tool with, is the tree's. */
  @Test
  void i_theToolRunsOnTheTreesOwnJvm() {
    int feature = ToolSandbox.TREE.javaFeature();
    Assumptions.assumeTrue(feature > 0, "no Java version named for " + ToolSandbox.TREE);
    ExecResult r = box.root("java", "-XshowSettings:properties", "-version");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.stderr().contains("java.specification.version = " + feature + "\n"), r::toString);
  }
}
