// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A user database that hangs (an sssd or LDAP outage), in the sandbox: one user is missing from
 * /etc/passwd, so that every lookup of it goes through NSS to systemd's userdb, where a service
 * accepts and never answers. The triggers' command line must still end within its deadline,
 * serve the other user, and keep the missing user's marks.
 */
@Tag("systemd")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NssIT {
  static final String MARKED = "sur-demo.service";

  /* A userdb service (varlink) that accepts every connection and never answers. */
  static final String HANG =
      "import os, socket\n"
          + "os.makedirs('/run/systemd/userdb', exist_ok=True)\n"
          + "s = socket.socket(socket.AF_UNIX)\n"
          + "s.bind('/run/systemd/userdb/io.example.Hang')\n"
          + "s.listen(64)\n"
          + "held = []\n"
          + "while True:\n"
          + "    held.append(s.accept())\n";

  @Test
  void aHungUserDatabaseCostsTheDeadlineOfItsUserOnly() {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(2).withUserUnit(MARKED, Trial.sleeper("marked")))) {
      // Only where user lookups reach userdb: the Debian trees are made without libnss-systemd.
      Assumptions.assumeTrue(
          box.root("grep", "-Eq", "^passwd:.*systemd", "/etc/nsswitch.conf").ok(),
          "no nss-systemd in " + ToolSandbox.TREE + ": user lookups never reach userdb");
      SandboxUser ok = box.users().get(0);
      SandboxUser missing = box.users().get(1);
      String before = box.identity(ok, MARKED);
      box.root("systemd-run", "--unit=sur-userdb-hang", "/usr/bin/python3", "-c", HANG).orThrow("the hung userdb");
      box.root("sh", "-c", "until [ -S /run/systemd/userdb/io.example.Hang ]; do sleep 0.1; done").orThrow("userdb socket");
      box.root("sed", "-i", "/^" + missing.name() + ":/d", "/etc/passwd").orThrow("removing the user");
      // The lookup hangs: getent gives up only at the userdb client's own timeout, if ever.
      ExecResult hung = box.root("timeout", "3", "getent", "passwd", Integer.toString(missing.uid()));
      assertEquals(124, hung.exitCode(), () -> "the user database does not hang: " + hung);
      box.toolOk("mark", MARKED);

      long start = System.nanoTime();
      ExecResult run = box.tool("--all-users", "--quiet", "--timeout", "5");
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      System.err.printf("NssIT: run with a hung user database took %d ms%n", tookMillis);

      assertEquals(1, run.exitCode(), run::toString);
      assertTrue(tookMillis < 15_000, "took " + tookMillis + " ms with a 5 s deadline: " + run);
      assertTrue(run.stdout().contains(Integer.toString(missing.uid())), run::toString);
      assertTrue(run.stdout().contains("timed-out"), run::toString);
      // The hung database holds every group lookup too, the test's own setpriv included.
      box.root("systemctl", "stop", "sur-userdb-hang.service").orThrow("stopping the hung userdb");
      box.root("rm", "-f", "/run/systemd/userdb/io.example.Hang").orThrow("removing its socket");
      assertNotEquals(before, box.identity(ok, MARKED), ok + ": marked unit not restarted");
      ExecResult left = box.root("find", "/run/systemd-user-restart/user", "-type", "f");
      assertEquals(
          "/run/systemd-user-restart/user/" + missing.uid() + "/restart/" + MARKED,
          left.stdout().strip(),
          "the missing user's mark is not kept for it");
    }
  }
}
