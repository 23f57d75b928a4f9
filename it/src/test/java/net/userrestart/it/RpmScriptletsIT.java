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
 * trees, with a stub tool and no systemd. Needs root (chroot), rpm and rpmbuild. On the host tree it
 * runs on the host; on a Debian tree inside a sandbox of that tree, with the tree's rpm, whose
 * triggers are the subject.
 */
@Tag("systemd")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RpmScriptletsIT {
  private static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");

  @Test
  void scriptletAndTriggerChecksAllPass() {
    ToolSandbox.requireSandbox();
    RpmTools.requireRpm();

    RpmTools.HostResult r = run();

    assertEquals(0, r.exitCode(), () -> "test-rpm-scriptlets.sh on " + ToolSandbox.TREE + " failed:\n" + r.output());
    List<String> lines = r.output().strip().lines().toList();
    Matcher m = SUMMARY.matcher(lines.isEmpty() ? "" : lines.get(lines.size() - 1));
    assertTrue(m.matches(), () -> "no summary line:\n" + r.output());
    assertEquals("0", m.group(2), r::output);
    assertTrue(Integer.parseInt(m.group(1)) > 0, () -> "no check ran:\n" + r.output());
    System.err.println("RpmScriptletsIT on " + ToolSandbox.TREE + ": " + m.group());
  }

  private static RpmTools.HostResult run() {
    String script = "it/src/test/rpm/test-rpm-scriptlets.sh";
    if (ToolSandbox.TREE.onHost()) {
      return RpmTools.host(Duration.ofMinutes(8), script);
    }
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(0))) {
      ExecResult r =
          box.sandbox.exec(
              Duration.ofMinutes(8), "sh", "-c", "cd \"$1\" && LC_ALL=C " + script + " 2>&1", "sh",
              ToolSandbox.PROJECT.toString());
      return new RpmTools.HostResult(r.exitCode(), r.stdout() + r.stderr());
    }
  }
}
