// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import static net.userrestart.stale.FakeProc.unitCgroup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcScannerTest {
  static final String DELETED = " (deleted)";
  static final String SYSTEMD = "/usr/lib/systemd/systemd";
  static final String FOO = "/usr/bin/foo";
  static final String LIBFOO = "/usr/lib64/libfoo.so.1";

  @TempDir Path dir;
  FakeProc proc;
  /** The two users' managers: UID 1000 runs as PID 100, 1001 as PID 101. */
  final Map<Integer, Long> managers = Map.of(1000, 100L, 1001, 101L);

  @BeforeEach
  void managers() {
    proc = new FakeProc(dir);
    proc.process(100, unitCgroup(1000, "init.scope"), 1, 10, SYSTEMD).plain(SYSTEMD);
    proc.process(101, unitCgroup(1001, "init.scope"), 1, 11, SYSTEMD).plain(SYSTEMD);
  }

  Scan scan() throws IOException {
    return scan(Limits.DEFAULT, managers);
  }

  Scan scan(Limits limits, Map<Integer, Long> managers) throws IOException {
    return new ProcScanner(dir, limits).scan(managers);
  }

  /** "UID UNIT REMEDY MAINPID PROCESSES: files" per unit found, for one assertEquals. */
  static List<String> brief(Scan scan) {
    return scan.units().stream()
        .map(f -> f.uid() + " " + f.unit() + " " + f.remedy() + " " + f.mainPid() + " " + f.processes()
            + ": " + String.join(" | ", f.files().stream().sorted().toList()) + (f.fileCount() > f.files().size() ? " +" + (f.fileCount() - f.files().size()) : ""))
        .collect(Collectors.toList());
  }

  @Test
  void nothingReplacedNothingListed() throws IOException {
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO).plain(FOO);
    Scan scan = scan();
    assertEquals(List.of(), brief(scan));
    assertEquals(3, scan.processes());
    assertEquals(0, scan.vanished());
  }

  @Test
  void unitsAreTheirCgroupsAndOnlyTheManagersAskedFor() throws IOException {
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO)
        .maps("r--p " + FOO, "r-xp " + FOO, "r--p " + LIBFOO + DELETED, "r-xp " + LIBFOO + DELETED);
    proc.process(201, unitCgroup(1000, "app.slice/foo.service"), 200, 21, FOO).plain(FOO);
    proc.process(202, unitCgroup(1000, "app.slice/bar.service"), 100, 22, FOO).plain(FOO);
    // The same replaced library elsewhere: a login session, a system service, a user not asked.
    String stale = "r-xp " + LIBFOO + DELETED;
    proc.process(300, "0::/user.slice/user-1000.slice/session-1.scope\n", 1, 30, FOO).maps(stale);
    proc.process(301, "0::/system.slice/foo.service\n", 1, 31, FOO).maps(stale);
    proc.process(302, unitCgroup(1002, "app.slice/foo.service"), 1, 32, FOO).maps(stale);
    proc.process(303, "0::/\n", 2, 33, FOO).maps(stale); // a kernel thread has no maps; no matter
    proc.process(304, unitCgroup(1001, "app.slice/baz.service"), 101, 34, FOO).maps(stale);

    assertEquals(
        List.of(
            "1000 foo.service RESTART 200 1: " + LIBFOO,
            "1001 baz.service RESTART 304 1: " + LIBFOO),
        brief(scan()));
  }

  @Test
  void theManagerItselfNeedsAReexec() throws IOException {
    proc.process(100, unitCgroup(1000, "init.scope"), 1, 10, SYSTEMD + DELETED)
        .maps("r-xp " + SYSTEMD + DELETED, "r-xp /usr/lib/systemd/libsystemd-shared-255.so" + DELETED);
    // Another process in init.scope is not the manager, and not a unit that can be restarted.
    proc.process(150, unitCgroup(1000, "init.scope"), 100, 15, FOO).maps("r-xp " + LIBFOO + DELETED);
    // A user's own cgroup named like the manager is only that: a unit of the user.
    proc.process(151, unitCgroup(1000, "app.slice/user@1000.service"), 100, 16, FOO)
        .maps("r-xp " + LIBFOO + DELETED);

    assertEquals(
        List.of(
            "1000 user@1000.service REEXEC 100 1: /usr/lib/systemd/libsystemd-shared-255.so | " + SYSTEMD,
            "1000 user@1000.service RESTART 151 1: " + LIBFOO),
        brief(scan()));
  }

  @Test
  void theManagerIsThePidThatPid1Gives() throws IOException {
    proc.process(100, unitCgroup(1000, "init.scope"), 1, 10, SYSTEMD).maps("r-xp " + SYSTEMD + DELETED);
    // PID 1 named another PID (or none): then 100 is not the manager, and not listed.
    assertEquals(List.of(), brief(scan(Limits.DEFAULT, Map.of(1000, 555L))));
    assertEquals(List.of(), brief(scan(Limits.DEFAULT, Map.of(1000, 0L))));
    // The manager's PID in another user's cgroup is not that user's manager.
    assertEquals(List.of(), brief(scan(Limits.DEFAULT, Map.of(1001, 100L))));
  }

  @Test
  void slicesScopesAndDelegatedSubgroups() throws IOException {
    String stale = "r-xp " + LIBFOO + DELETED;
    proc.process(200, unitCgroup(1000, "app.slice/app-gnome.slice/app-gnome-term-42.scope"), 77, 20, FOO)
        .maps(stale);
    proc.process(201, unitCgroup(1000, "app.slice/deleg.service/payload/inner"), 100, 21, FOO).maps(stale);
    proc.process(202, unitCgroup(1000, "session.slice/_cpu.service"), 100, 22, FOO).maps(stale);
    proc.process(203, unitCgroup(1000, "background.slice/x.timer.d"), 100, 23, FOO).maps(stale);
    proc.process(204, unitCgroup(1000, "app.slice/evil name.service"), 100, 24, FOO).maps(stale);
    proc.process(205, unitCgroup(1000, "app.slice"), 100, 25, FOO).maps(stale);
    proc.process(206, "0::/user.slice/user-1000.slice/user@1000.service\n", 100, 26, FOO).maps(stale);
    // Newlines in a cgroup's name, which the kernel prints as they are: not attributed.
    proc.process(207, unitCgroup(1000, "app.slice/a.service\nb.service"), 100, 27, FOO).maps(stale);
    proc.process(210, unitCgroup(1000, "app.slice/a.service\n0::/user.slice/user-1000.slice/user@1000.service/b.service"), 100, 27, FOO).maps(stale);
    // A legacy hierarchy: systemd's tree is the name=systemd one.
    proc.process(208, "12:pids:/x\n1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/old.service\n", 100, 28, FOO)
        .maps(stale);
    // A unified systemd in a container on a hybrid host: the named hierarchy says "/".
    String v1 = "9:name=systemd:/\n8:pids:/\n1:cpu:/\n";
    proc.process(211, v1 + unitCgroup(1000, "app.slice/uni.service"), 100, 30, FOO).maps(stale);
    // Hybrid: both say the same; or they disagree, and neither is trusted.
    String named = "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/";
    proc.process(212, named + "hyb.service\n" + unitCgroup(1000, "app.slice/hyb.service"), 100, 31, FOO).maps(stale);
    proc.process(213, named + "one.service\n" + unitCgroup(1000, "app.slice/two.service"), 100, 32, FOO).maps(stale);
    // Outside our cgroup namespace, paths start with "/..": not attributable.
    proc.process(209, "0::/../../user.slice/user-1000.slice/user@1000.service/app.slice/far.service\n", 100, 29, FOO)
        .maps(stale);

    assertEquals(
        List.of(
            "1000 app-gnome-term-42.scope RESTART 200 1: " + LIBFOO,
            "1000 cpu.service RESTART 202 1: " + LIBFOO,
            "1000 deleg.service RESTART 201 1: " + LIBFOO,
            "1000 hyb.service RESTART 212 1: " + LIBFOO,
            "1000 old.service RESTART 208 1: " + LIBFOO,
            "1000 uni.service RESTART 211 1: " + LIBFOO),
        brief(scan()));
  }

  @Test
  void onlyReplacedCodeCounts() throws IOException {
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO)
        .maps(
            "r--p /usr/share/foo/data.bin" + DELETED, // data, not code
            "rw-s /memfd:wayland-shm" + DELETED,
            "r-xp /memfd:jit" + DELETED,
            "rw-s /dev/zero" + DELETED,
            "r-xp /dev/shm/ffi-x" + DELETED,
            "rw-s /SYSV00000000" + DELETED,
            "r-xp /tmp/ffiAbc123" + DELETED,
            "r-xp /home/u/.cache/jit" + DELETED,
            "r-xp /run/user/1000/x" + DELETED,
            "r-xp /drm mm object" + DELETED,
            "rw-p [heap]",
            "r-xp [vdso]",
            "r-xp anon_inode:[perf_event]" + DELETED,
            "r-xp (deleted)",
            "r-xp " + LIBFOO, // in use but not replaced
            "r-xp /opt/app/lib/libapp.so" + DELETED);
    assertEquals(List.of("1000 foo.service RESTART 200 1: /opt/app/lib/libapp.so"), brief(scan()));
  }

  @Test
  void aReplacedExecutableShowsInExeAlone() throws IOException {
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO + DELETED);
    assertEquals(List.of("1000 foo.service RESTART 200 1: " + FOO), brief(scan()));
  }

  @Test
  void aNewlineInAPathIsOnePath() throws IOException {
    String odd = "/usr/lib64/lib\nodd.so";
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, odd + DELETED)
        .maps("r-xp " + odd.replace("\n", "\\012") + DELETED);
    List<Found> found = scan().units();
    assertEquals(1, found.size());
    assertEquals(List.of(odd), found.get(0).files());
  }

  @Test
  void oddMapsLinesAreSkippedAndTheRestIsRead() throws IOException {
    byte[] invalid = {(byte) 0xff, (byte) 0xfe, 0x1b, '[', '3', '1', 'm'};
    String bad = new String(invalid, StandardCharsets.ISO_8859_1);
    StringBuilder maps = new StringBuilder();
    maps.append("garbage\n\n (deleted)\nx (deleted)\n7f-7f r-xp (deleted)\n");
    maps.append("7f-7f r-xp 0 fd:01 1").append(" (deleted)\n"); // no path
    maps.append("7f00-7f01 r-xp 00000000 fd:01 12 ").append("/usr/lib64/").append(bad).append(".so (deleted)\n");
    maps.append("7f00-7f01 r-xp 00000000 fd:01 12 /").append("x".repeat(40_000)).append(" (deleted)\n");
    maps.append("7f00-7f01 r-xp 00000000 fd:01 13 /usr/lib64/after-long.so (deleted)\n");
    maps.append("7f00-7f01 r-xp 00000000 fd:01 14 /usr/lib64/no-newline.so (deleted)");
    Path file = dir.resolve("200");
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO);
    Files.write(file.resolve("maps"), maps.toString().getBytes(StandardCharsets.ISO_8859_1));

    List<Found> found = scan().units();
    assertEquals(1, found.size());
    List<String> files = found.get(0).files();
    assertEquals(3, files.size(), files::toString);
    assertTrue(files.get(0).startsWith("/usr/lib64/\ufffd\ufffd\u001b[31m"), files.get(0));
    assertEquals(List.of("/usr/lib64/after-long.so", "/usr/lib64/no-newline.so"), files.subList(1, 3));
  }

  @Test
  void mapsAreReadUpToTheBound() throws IOException {
    StringBuilder maps = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      maps.append("7f00-7f01 r-xp 00000000 fd:01 12 /usr/lib64/lib").append(i).append(".so (deleted)\n");
    }
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO).mapsText(maps.toString());
    Limits small = new Limits(8192, 4096, 10_000, 3, 50, 10, 10);
    Scan scan = scan(small, managers);
    assertEquals(1, scan.truncated());
    Found f = scan.units().get(0);
    assertEquals(List.of("/usr/lib64/lib0.so", "/usr/lib64/lib1.so", "/usr/lib64/lib2.so"), f.files());
    assertEquals(50, f.fileCount(), "counted up to the bound");
  }

  @Test
  void staleUnitsPerUserAreBounded() throws IOException {
    for (int i = 0; i < 5; i++) {
      proc.process(200 + i, unitCgroup(1000, "app.slice/u" + i + ".service"), 100, 20, FOO + DELETED);
    }
    Scan scan = scan(new Limits(8192, 4096, 1 << 20, 3, 50, 10, 2), managers);
    assertEquals(List.of("u0.service", "u1.service"), scan.units().stream().map(Found::unit).toList());
    assertEquals(3, scan.omitted());
  }

  @Test
  void processesThatExitOrCannotBeReadAreLeftOut() throws IOException {
    FakeProc.Process gone = proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO + DELETED);
    Files.delete(gone.dir().resolve("maps")); // exited between reading cgroup and maps
    proc.process(201, unitCgroup(1000, "app.slice/bar.service"), 100, 21, FOO + DELETED).exit();
    Path huge = dir.resolve("202");
    proc.process(202, unitCgroup(1000, "app.slice/x.service"), 100, 22, FOO + DELETED);
    Files.writeString(huge.resolve("cgroup"), unitCgroup(1000, "app.slice/" + "y".repeat(9000) + ".service"));
    Files.createDirectories(dir.resolve("self"));
    Files.createDirectories(dir.resolve("99999999999999999999"));

    Scan scan = scan();
    assertEquals(List.of(), brief(scan));
    assertEquals(1, scan.vanished());
  }

  /*
   * A PID reused while it is read: its cgroup says one unit, and by the time its maps are read it
   * is another process in another unit. The maps file is a FIFO, so the test decides what happens
   * between the scanner's reads.
   */
  @Test
  void aProcessThatMovesWhileReadIsNotAttributedToEitherUnit() throws Exception {
    FakeProc.Process p = proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO);
    Path maps = p.dir().resolve("maps");
    Files.delete(maps);
    assertEquals(0, new ProcessBuilder("mkfifo", maps.toString()).start().waitFor());
    Thread reuse =
        new Thread(
            () -> {
              try (var out = Files.newOutputStream(maps)) { // opens once the scanner reads it
                Files.writeString(p.dir().resolve("cgroup"), unitCgroup(1000, "app.slice/bar.service"));
                out.write(("7f00-7f01 r-xp 00000000 fd:01 5 " + LIBFOO + DELETED + "\n").getBytes());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    reuse.start();
    Scan scan = scan();
    reuse.join(10_000);
    assertEquals(List.of(), brief(scan));
    assertEquals(1, scan.vanished());
  }

  @Test
  void theMainPidIsTheOldestChildOfTheManager() throws IOException {
    String unit = "app.slice/foo.service";
    proc.process(200, unitCgroup(1000, unit), 100, 50, FOO).plain(FOO);
    proc.process(201, unitCgroup(1000, unit), 200, 40, FOO).maps("r-xp " + LIBFOO + DELETED); // older, not a child
    proc.process(202, unitCgroup(1000, unit), 100, 60, FOO + DELETED); // a later child (ExecReload=)
    // A scope's processes are children of whoever started them: the oldest.
    String scope = "app.slice/run-x.scope";
    proc.process(300, unitCgroup(1000, scope), 77, 90, FOO + DELETED);
    proc.process(301, unitCgroup(1000, scope), 77, 80, FOO).plain(FOO);

    assertEquals(
        List.of(
            "1000 foo.service RESTART 200 2: " + FOO + " | " + LIBFOO,
            "1000 run-x.scope RESTART 301 1: " + FOO),
        brief(scan()));
  }
}
