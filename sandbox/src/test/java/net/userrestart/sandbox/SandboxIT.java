// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Boots real systemd sandboxes; a sandbox that cannot start fails these tests. */
@Tag("systemd")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SandboxIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final String DEMO = "sur-demo.service";
  private static final Pattern BOOTING = Pattern.compile("booting .* in cgroup (/\\S+)");
  private static final String DEMO_UNIT = Trial.sleeper("Demo unit of the sandbox test");

  @BeforeAll
  static void skipWhenAsked() {
    assumeFalse(
        "true".equals(System.getProperty("sandbox.skip")),
        "sandbox tests skipped: -Dsandbox.skip=true");
  }

  private static Path projectDir() {
    return Path.of(System.getProperty("basedir", "")).toAbsolutePath().normalize();
  }

  private static SandboxSpec spec(int users) {
    return SandboxSpec.of(users).withUserUnit(DEMO, DEMO_UNIT).withBindReadOnly(projectDir());
  }

  private static void log(String line) {
    System.err.println(line);
  }

  @Test
  void bootsSystemdWithLingeringUsersAndLeavesNothingBehind() throws Exception {
    Set<String> mountsBefore = mounts();
    String hostInit = Files.readString(Path.of("/proc/1/comm"));
    String hostInitCgroup = Files.readString(Path.of("/proc/1/cgroup"));
    Path marker = Files.createTempFile(Path.of("/tmp"), "sur-sandbox-it", ".marker");
    try {
      Files.writeString(marker, "host");
      bootCheckAndClose(marker, mountsBefore, hostInit, hostInitCgroup);
    } finally {
      Files.deleteIfExists(marker);
    }
  }

  private void bootCheckAndClose(
      Path marker, Set<String> mountsBefore, String hostInit, String hostInitCgroup)
      throws Exception {
    String insideOnly = "/tmp/sur-sandbox-it-inside-" + ProcessHandle.current().pid();
    String etcOnly = "/etc/sur-sandbox-it-" + ProcessHandle.current().pid();
    long initPid;
    Path cgroup;
    Sandbox sandbox = Sandbox.boot(spec(2), SandboxIT::log);
    try {
      initPid = sandbox.initPid();
      cgroup = sandbox.hostCgroup();
      assertTrue(Files.isDirectory(cgroup), "sandbox cgroup exists while it runs");
      assertEquals(
          "systemd", sandbox.exec(T, "cat", "/proc/1/comm").orThrow("cat").stdout().strip());
      assertEquals("systemd", ProcessHandle.of(initPid).map(h -> HostProcesses.comm(h.pid())).orElse(""));
      assertEquals(
          List.of(new SandboxUser("sur-user1", 4001), new SandboxUser("sur-user2", 4002)),
          sandbox.users());

      for (SandboxUser u : sandbox.users()) {
        ExecResult active =
            sandbox.exec(T, "systemctl", "is-active", "user@" + u.uid() + ".service");
        assertEquals("active", active.stdout().strip(), u.name());
        long mainPid = Long.parseLong(sandbox.userUnitProperty(u, DEMO, "MainPID"));
        assertTrue(mainPid > 0, DEMO + " MainPID of " + u.name() + " is " + mainPid);
        String stat =
            sandbox.exec(T, "stat", "-c", "%F %u %a", u.privateSocket()).orThrow("stat").stdout();
        assertEquals("socket " + u.uid() + " 700", stat.strip(), u.privateSocket());
        assertEquals(
            Integer.toString(u.uid()),
            sandbox.execAsUser(u, T, "id", "-u").orThrow("id").stdout().strip());
        assertEquals(
            "active",
            sandbox.execAsUser(u, T, "systemctl", "--user", "is-active", DEMO).stdout().strip());
      }

      // The project directory is there read-only, at the same path.
      Path pom = projectDir().resolve("pom.xml");
      assertTrue(
          sandbox.exec(T, "test", "-f", pom.toString()).ok(), "project bound at " + projectDir());
      assertFalse(sandbox.exec(T, "touch", pom.toString()).ok(), "bound project is read-only");

      // /tmp inside is a fresh tmpfs; writes to /tmp and /etc stay inside.
      assertFalse(
          sandbox.exec(T, "test", "-e", marker.toString()).ok(), "host /tmp is not visible inside");
      sandbox.writeFile(insideOnly, "inside\n");
      sandbox.writeFile(etcOnly, "inside\n");
      assertEquals("inside", sandbox.exec(T, "cat", etcOnly).orThrow("cat").stdout().strip());
      assertEquals(
          "inside", Files.readString(sandbox.hostPath(etcOnly)).strip(), "seen from the host");
      assertFalse(Files.exists(Path.of(insideOnly)), "sandbox /tmp writes stay inside");
      assertFalse(Files.exists(Path.of(etcOnly)), "sandbox /etc writes stay in the overlay");

      // A command that overruns its timeout is killed, inside too.
      SandboxException timeout =
          assertThrows(
              SandboxException.class, () -> sandbox.exec(Duration.ofMillis(500), "sleep", "4711"));
      assertTrue(timeout.getMessage().contains("timed out"), timeout.getMessage());
      assertFalse(
          sandbox.exec(T, "pgrep", "-f", "sleep 4711").ok(), "timed-out command was killed");
      // A daemon a command starts lives on after exec() returned, which waits a bounded time for
      // the output pipes it holds.
      ExecResult daemon = sandbox.exec(T, "sh", "-c", "sleep 4712 >/dev/null 2>&1 & echo started");
      assertEquals("started", daemon.orThrow("sh").stdout().strip());
      daemon = sandbox.exec(T, "sh", "-c", "sleep 4713 & echo started");
      assertEquals("started", daemon.orThrow("sh").stdout().strip());
      assertEquals(
          2,
          sandbox.exec(T, "pgrep", "-f", "sleep 471[23]").orThrow("pgrep").stdout().lines().count(),
          "daemons started by exec live on until close()");

      // The host's init was neither replaced nor moved.
      assertEquals(hostInit, Files.readString(Path.of("/proc/1/comm")));
      assertEquals(hostInitCgroup, Files.readString(Path.of("/proc/1/cgroup")));
      assertTrue(sandbox.enterCommand().contains("--target " + initPid), sandbox.enterCommand());
    } finally {
      sandbox.close();
    }
    sandbox.close(); // idempotent

    assertFalse(
        ProcessHandle.of(initPid).map(ProcessHandle::isAlive).orElse(false), "init is gone");
    assertFalse(Files.exists(cgroup), "sandbox cgroup is removed");
    assertFalse(Files.exists(Path.of(cgroup + "-exec")), "exec cgroup is removed");
    assertEquals(mountsBefore, mounts(), "no mount was left on the host");
    assertEquals("host", Files.readString(marker), "host /tmp is untouched");
    assertEquals(hostInit, Files.readString(Path.of("/proc/1/comm")));
    assertThrows(SandboxException.class, () -> sandbox.exec(T, "true"), "exec after close");
  }

  /**
   * systemd's start-up, a scriptlet's sysctl write, module load or mknod: none reaches the host.
   * Every write tried here writes the value already there, so even a regression changes nothing.
   */
  @Test
  void leavesTheHostsKernelSettingsAsTheyWere() throws Exception {
    Map<String, String> before = HostSysctls.snapshot();
    for (String key : List.of("fs/file-max", "fs/nr_open", "kernel/pid_max")) {
      assertTrue(before.containsKey(key), key + " is in the snapshot");
    }
    try (Sandbox sandbox = Sandbox.boot(spec(1), SandboxIT::log)) {
      SandboxUser u = sandbox.users().get(0);
      String manager = sandbox.exec(T, "systemctl", "show", "-p", "MainPID", "--value", u.managerUnit()).stdout();
      String service = sandbox.userUnitProperty(u, DEMO, "MainPID");
      Map<String, String> bounds = new TreeMap<>();
      bounds.put("systemd", capBnd(sandbox, "/proc/1/status"));
      bounds.put("user manager", capBnd(sandbox, "/proc/" + manager.strip() + "/status"));
      bounds.put("user service", capBnd(sandbox, "/proc/" + service + "/status"));
      bounds.put("command", capBnd(sandbox, "/proc/self/status"));
      bounds.put("system service", systemService(sandbox, "grep CapBnd /proc/self/status").stdout());
      for (Map.Entry<String, String> b : bounds.entrySet()) {
        long mask = Long.parseUnsignedLong(b.getValue().replace("CapBnd:", "").strip(), 16);
        for (Confinement.Capability c : Confinement.dropped()) {
          assertEquals(0, mask & (1L << c.bit()), b.getKey() + " may use CAP_" + c + ": " + b.getValue());
        }
      }

      for (String key : List.of("fs/file-max", "fs/nr_open", "kernel/pid_max")) {
        String file = "/proc/sys/" + key;
        ExecResult w = sandbox.exec(T, "sh", "-c", "v=$(cat \"$1\") && echo \"$v\" >\"$1\"", "sh", file);
        assertFalse(w.ok(), "wrote " + file + ": " + w);
        assertTrue(w.stderr().contains("Read-only file system"), w::toString);
        ExecResult s = systemService(sandbox, "sysctl -w " + key.replace('/', '.') + "=\"$(cat " + file + ")\"");
        assertFalse(s.ok(), "a system service wrote " + file + ": " + s);
      }
      ExecResult sysrq = sandbox.exec(T, "sh", "-c", "[ ! -e /proc/sysrq-trigger ] || echo h >/proc/sysrq-trigger");
      assertTrue(sysrq.stderr().isEmpty() || sysrq.stderr().contains("Read-only file system"), sysrq::toString);

      String mknod = "mknod /tmp/sur-disk b 8 0";
      ExecResult node = sandbox.exec(T, "sh", "-c", mknod);
      assertTrue(node.stderr().contains("Operation not permitted"), "mknod: " + node);
      ExecResult serviceNode = systemService(sandbox, mknod);
      assertFalse(serviceNode.ok(), "a system service made a disk node: " + serviceNode);
      ExecResult module = sandbox.exec(T, "python3", "-c", LOAD_MODULE);
      assertTrue(module.ok(), "python3 inside: " + module);
      assertTrue(List.of("EPERM", "ENOSYS", "unknown-arch").contains(module.stdout().strip()), "finit_module: " + module);
      ExecResult modprobe = sandbox.exec(T, "sh", "-c", "! command -v modprobe || ! modprobe -q dummy");
      assertTrue(modprobe.ok(), "modprobe loaded a module: " + modprobe);
    }
    Map<String, String> after = HostSysctls.snapshot();
    Map<String, String> changed = new TreeMap<>();
    after.forEach((k, v) -> { if (!v.equals(before.get(k))) changed.put(k, before.get(k) + " -> " + v); });
    assertEquals(Map.of(), changed, "host sysctls changed while a sandbox ran");
    assertEquals(before.keySet(), after.keySet(), "host sysctls appeared or went");
  }

  /**
   * finit_module(2) of /dev/null, which no kernel loads: EPERM without CAP_SYS_MODULE, ENOSYS on a
   * kernel without modules, another error (EINVAL, ENOEXEC) when the capability is there.
   */
  private static final String LOAD_MODULE =
      """
      import ctypes, errno, os
      nr = {"x86_64": 313, "aarch64": 273}.get(os.uname().machine)
      libc = ctypes.CDLL(None, use_errno=True)
      fd = os.open("/dev/null", os.O_RDONLY)
      r = libc.syscall(nr, fd, b"", 0) if nr else -1
      print(errno.errorcode.get(ctypes.get_errno(), "?") if nr and r != 0 else "unknown-arch" if not nr else "LOADED")
      """;

  private static String capBnd(Sandbox sandbox, String statusFile) {
    return sandbox.exec(T, "grep", "CapBnd", statusFile).orThrow("grep CapBnd " + statusFile).stdout();
  }

  /** Runs a shell command as a service of the sandbox's systemd, and waits for it. */
  private static ExecResult systemService(Sandbox sandbox, String command) {
    return sandbox.exec(T, "systemd-run", "--wait", "--pipe", "--quiet", "--", "sh", "-c", command);
  }

  @Test
  void bootsTwiceInARowFreshEachTime() throws Exception {
    Set<String> mountsBefore = mounts();
    Set<Long> inits = new HashSet<>();
    Set<Path> cgroups = new HashSet<>();
    for (int round = 0; round < 2; round++) {
      try (Sandbox sandbox = Sandbox.boot(spec(1), SandboxIT::log)) {
        inits.add(sandbox.initPid());
        cgroups.add(sandbox.hostCgroup());
        SandboxUser u = sandbox.users().get(0);
        // Nothing of the previous round: the marker is written only now.
        assertFalse(sandbox.exec(T, "test", "-e", "/etc/sur-sandbox-round").ok(), "fresh overlay");
        sandbox.writeFile("/etc/sur-sandbox-round", "round " + round);
        assertTrue(Long.parseLong(sandbox.userUnitProperty(u, DEMO, "MainPID")) > 0);
      }
    }
    assertEquals(2, inits.size(), "two different inits");
    assertEquals(2, cgroups.size(), "two different cgroups");
    for (Path cgroup : cgroups) {
      assertFalse(Files.exists(cgroup), cgroup + " is removed");
    }
    assertEquals(mountsBefore, mounts(), "no mount was left on the host");
  }

  @Test
  void scalesToTwentyUsers() throws Exception {
    long start = System.nanoTime();
    try (Sandbox sandbox = Sandbox.boot(spec(20), SandboxIT::log)) {
      log("sandbox test: 20 users up in " + (System.nanoTime() - start) / 1_000_000 + " ms");
      assertEquals(20, sandbox.users().size());
      assertEquals(new SandboxUser("sur-user20", 4020), sandbox.users().get(19));
      String sockets =
          sandbox
              .exec(T, "sh", "-c", "stat -c '%F %u' /run/user/*/systemd/private")
              .orThrow("stat")
              .stdout();
      assertEquals(20, sockets.lines().filter(l -> l.startsWith("socket 40")).count(), sockets);
      for (SandboxUser u : sandbox.users()) {
        assertTrue(
            Long.parseLong(sandbox.userUnitProperty(u, DEMO, "MainPID")) > 0,
            u.name() + " runs " + DEMO);
      }
    }
  }

  @Test
  void failedUnitFailsBootClearlyAndTearsDown() throws Exception {
    Set<String> mountsBefore = mounts();
    SandboxSpec broken =
        SandboxSpec.of(1)
            .withUserUnit("sur-broken.service", "[Service]\nExecStart=/bin/false\n")
            .withBootTimeout(Duration.ofSeconds(60));
    // The cgroup's name is only told through progress; other sandboxes may run on the machine.
    List<Path> cgroups = new CopyOnWriteArrayList<>();
    SandboxException e =
        assertThrows(
            SandboxException.class,
            () ->
                Sandbox.boot(
                    broken,
                    line -> {
                      log(line);
                      Matcher m = BOOTING.matcher(line);
                      if (m.find()) {
                        cgroups.add(Path.of(m.group(1)));
                      }
                    }));
    log("sandbox test: boot failed as expected: " + e.getMessage());
    assertTrue(e.getMessage().contains("sur-user1:sur-broken.service=failed"), e.getMessage());
    assertEquals(1, cgroups.size(), "one sandbox booted: " + cgroups);
    assertFalse(Files.exists(cgroups.get(0)), cgroups.get(0) + " is removed");
    assertEquals(mountsBefore, mounts(), "no mount was left on the host");
  }

  @Test
  void sandboxDiesWithItsKilledJvm() throws Exception {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process jvm =
        new ProcessBuilder(java.toString(), "-cp", classPath, Holder.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long initPid;
    Path cgroup;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
      String line = r.readLine();
      assertTrue(line != null && line.startsWith("up "), "child JVM booted a sandbox: " + line);
      String[] f = line.split(" ");
      initPid = Long.parseLong(f[1]);
      cgroup = Path.of(f[2]);
    } finally {
      jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs
    }
    assertTrue(jvm.waitFor(30, TimeUnit.SECONDS), "child JVM exits");
    ProcessHandle init = ProcessHandle.of(initPid).orElse(null);
    if (init != null) {
      init.onExit().get(30, TimeUnit.SECONDS);
    }
    HostCgroup stale = HostCgroup.at(cgroup);
    assertTrue(stale.awaitEmpty(Duration.ofSeconds(30)), "no process left in " + cgroup);
    // The next boot removes the stale, now empty cgroups. A minimum age of 1 s spares the cgroups
    // of sandboxes that others boot on this machine right now.
    Duration minAge = Duration.ofSeconds(1);
    Path execCgroup = Path.of(cgroup + HostCgroup.EXEC_SUFFIX);
    while (System.currentTimeMillis() - Files.getLastModifiedTime(execCgroup).toMillis()
        <= minAge.toMillis() + 200) {
      Thread.sleep(100);
    }
    HostCgroup.removeStale(HostCgroup.unifiedMount(), minAge, SandboxIT::log);
    assertFalse(Files.exists(cgroup), cgroup + " removed as stale");
    assertFalse(Files.exists(execCgroup), execCgroup + " removed as stale");
  }

  private static Set<String> mounts() throws IOException {
    return new HashSet<>(Files.readAllLines(Path.of("/proc/self/mountinfo")));
  }

  /** Boots a sandbox in a JVM of its own and waits to be killed; prints "up INIT_PID CGROUP". */
  static final class Holder {
    public static void main(String[] args) throws InterruptedException {
      Sandbox sandbox = Sandbox.boot(SandboxSpec.of(1), System.err::println);
      System.out.println("up " + sandbox.initPid() + " " + sandbox.hostCgroup());
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
