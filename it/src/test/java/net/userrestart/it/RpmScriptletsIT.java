// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * it/src/test/rpm/test-rpm-scriptlets.sh: the macros and the file triggers in throwaway rpm --root
 * trees on the host, with a stub tool and no systemd. Needs root (chroot), rpm and rpmbuild.
 */
@Tag("systemd")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RpmScriptletsIT {
  private static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");

  @Test
  void scriptletAndTriggerChecksAllPass() {
    ToolSandbox.requireSandbox();
    RpmTools.requireRpm();

    RpmTools.HostResult r = RpmTools.host(Duration.ofMinutes(8), "it/src/test/rpm/test-rpm-scriptlets.sh");

    assertEquals(0, r.exitCode(), () -> "test-rpm-scriptlets.sh failed:\n" + r.output());
    List<String> lines = r.output().strip().lines().toList();
    Matcher m = SUMMARY.matcher(lines.isEmpty() ? "" : lines.get(lines.size() - 1));
    assertTrue(m.matches(), () -> "no summary line:\n" + r.output());
    assertEquals("0", m.group(2), r::output);
    assertTrue(Integer.parseInt(m.group(1)) > 0, () -> "no check ran:\n" + r.output());
    System.err.println("RpmScriptletsIT: " + m.group());
  }
}
