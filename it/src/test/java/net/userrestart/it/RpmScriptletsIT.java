// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * it/src/test/rpm/test-rpm-scriptlets.sh: the macros and the file triggers in throwaway rpm --root
 * trees, with a stub tool and no systemd of their own. It runs inside a sandbox, so with the rpm
 * and rpmbuild of the OS the sandbox boots; the script knows what each rpm version does
 * differently and checks that.
 */
@Tag("systemd")
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class RpmScriptletsIT {
  private static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");
  private static final Pattern RPM_VERSION = Pattern.compile("(?m)^rpm \\S+$");
  /** Both shells, each a fresh root: a few minutes on a busy 2-core machine. */
  private static final Duration RUN = Duration.ofMinutes(10);

  @Test
  void scriptletAndTriggerChecksAllPass() {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(0))) {
      ExecResult r =
          box.sandbox.exec(
              RUN, ToolSandbox.PROJECT.resolve("it/src/test/rpm/test-rpm-scriptlets.sh").toString());

      String output = r.stdout() + "\n" + r.stderr();
      assertEquals(0, r.exitCode(), () -> "test-rpm-scriptlets.sh failed:\n" + output);
      List<String> lines = r.stdout().strip().lines().toList();
      Matcher m = SUMMARY.matcher(lines.isEmpty() ? "" : lines.get(lines.size() - 1));
      assertTrue(m.matches(), () -> "no summary line:\n" + output);
      assertEquals("0", m.group(2), () -> output);
      assertTrue(Integer.parseInt(m.group(1)) > 0, () -> "no check ran:\n" + output);
      Matcher v = RPM_VERSION.matcher(r.stdout());
      System.err.println("RpmScriptletsIT: " + (v.find() ? v.group() + ": " : "") + m.group());
    }
  }
}
