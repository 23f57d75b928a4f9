// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.SandboxSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher, installed as the RPM installs it, on each tree's JVM: a failed run leaves no
 * archive, a run that succeeded makes one (its output as clean as without), the runs after it
 * start with it and the JVM can use it, and a changed jar is not run with the old one. On JDK 25
 * and later (sid) the archive is the JVM's AOT cache, before (17, 21) a class-data archive.
 */
@Tag("systemd")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LauncherIT {
  static final String LAUNCHER = "/usr/bin/systemd-user-restart";
  static final String JAR = "/usr/share/systemd-user-restart/systemd-user-restart.jar";
  static final String CACHE = "/var/cache/systemd-user-restart";

  @Test
  void archiveOnlyFromARunThatSucceededAndUsedAfter() {
    try (ToolSandbox box = ToolSandbox.boot(SandboxSpec.of(1))) {
      String feature = box.root("sh", "-c", "sed -n 's/^JAVA_VERSION=\"\\([0-9]*\\).*/\\1/p'"
          + " \"$(dirname \"$(dirname \"$(readlink -f \"$(command -v java)\")\")\")/release\"")
          .orThrow("reading the JVM's release").stdout().strip();
      boolean aot = Integer.parseInt(feature) >= 25;
      String name = aot ? "systemd-user-restart.aot" : "systemd-user-restart.jsa";
      String archive = CACHE + "/" + name;
      // The option that makes the JVM refuse to start unless it can use the archive.
      String required = aot ? "-XX:AOTMode=on -XX:AOTCache=" + archive : "-Xshare:on -XX:SharedArchiveFile=" + archive;
      String given = aot ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=";
      install(box);

      ExecResult failed = box.root(LAUNCHER, "--all-users", "--timeout", "never");
      assertEquals(2, failed.exitCode(), failed::toString);
      assertEquals("", cacheFiles(box), "the cache after a failed run");

      ExecResult ok = box.root(LAUNCHER, "--all-users", "--quiet");
      assertEquals(0, ok.exitCode(), ok::toString);
      assertEquals("", ok.stdout(), "stdout of the run that recorded");
      assertEquals("", ok.stderr(), "stderr of the run that recorded");
      assertEquals(name + "\n" + name + ".jvm\n", cacheFiles(box), "the cache after a run that succeeded on Java " + feature);
      assertEquals(mtime(box, JAR), mtime(box, archive), "the archive carries the jar's mtime");

      String traced = execLine(box.root("sh", "-x", LAUNCHER, "--all-users", "--quiet").orThrow("a run with the cache"));
      assertTrue(traced.contains(" " + given + archive + " "), traced);
      // The JVM must use it, not only be given it.
      ExecResult on = box.root("sh", "-c", "java " + required + " " + flags(traced, given) + " -jar " + JAR + " --version");
      assertEquals(0, on.exitCode(), () -> "the JVM does not take the archive: " + on);
      ExecResult again = box.root(LAUNCHER, "--all-users");
      assertEquals(0, again.exitCode(), again::toString);
      assertFalse(again.stderr().matches("(?s).*(aot|AOT|cds|CDS).*"), again::toString);
      assertFalse(again.stdout().contains("AOT"), again::toString);

      // An upgraded jar (another mtime) is never started with the cache of the previous one.
      box.root("touch", "-d", "2001-01-01", JAR).orThrow("touching the jar");
      String stale = execLine(box.root("sh", "-x", LAUNCHER, "--version").orThrow("--version"));
      assertFalse(stale.contains(given), stale);
      box.root(LAUNCHER, "--all-users", "--quiet").orThrow("the run after the upgrade");
      assertEquals(mtime(box, JAR), mtime(box, archive), "the archive made again for the new jar");
    }
  }

  /* The tool where its RPM puts it: the launcher then keeps its cache in /var/cache. */
  private static void install(ToolSandbox box) {
    Path target = ToolSandbox.PROJECT.resolve("target");
    box.root("sh", "-c", "install -m 0755 " + ToolSandbox.TOOL + " " + LAUNCHER
            + " && mkdir -p /usr/share/systemd-user-restart " + CACHE
            + " && cp -r " + target.resolve("systemd-user-restart.jar") + " " + target.resolve("lib")
            + " /usr/share/systemd-user-restart/")
        .orThrow("installing the tool");
  }

  /* The command the launcher ran, from its trace (sh -x): "+ exec java FLAGS ... -jar JAR ARGS". */
  private static String execLine(ExecResult traced) {
    return traced.stderr().lines().filter(l -> l.startsWith("+ exec ")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no exec in the launcher's trace:\n" + traced));
  }

  /* The JVM flags of the traced exec line, before the archive's. */
  private static String flags(String execLine, String given) {
    return execLine.substring(execLine.indexOf("-XX:"), execLine.indexOf(" " + given));
  }

  private static String cacheFiles(ToolSandbox box) {
    return box.root("sh", "-c", "ls -A " + CACHE + " | sort").orThrow("listing " + CACHE).stdout();
  }

  private static String mtime(ToolSandbox box, String path) {
    return box.root("stat", "-c", "%.9Y", path).orThrow("stat " + path).stdout().strip();
  }
}
