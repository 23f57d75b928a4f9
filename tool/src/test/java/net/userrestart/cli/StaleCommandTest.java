// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarkStore;
import net.userrestart.stale.PackageOwners;
import net.userrestart.systemd.SystemdException;
import net.userrestart.testutil.FakeConnector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StaleCommandTest {
  @TempDir Path store;
  @TempDir Path proc;
  MainTest.FakeHost host;
  String out;
  String err;

  @BeforeEach
  void setUp() throws IOException {
    host = new MainTest.FakeHost(new FakeConnector());
    host.users.put("dev", 1000);
    host.users.put("ops", 1001);
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    // The fake PID 1 gives 100 + UID as each manager's PID.
    process(1100, 1000, "init.scope", 1, "/usr/lib/systemd/systemd");
    process(1200, 1000, "app.slice/foo.service", 1100, "/usr/bin/foo (deleted)");
    process(1201, 1001, "app.slice/foo.service", 1101, "/usr/bin/foo (deleted)");
  }

  void process(long pid, int uid, String below, long ppid, String exe) throws IOException {
    Path dir = proc.resolve(Long.toString(pid));
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("cgroup"), "0::/user.slice/user-" + uid + ".slice/user@" + uid + ".service/" + below + "\n");
    Files.writeString(dir.resolve("stat"), pid + " (x) S " + ppid + " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " + pid + " 0\n");
    Files.writeString(dir.resolve("maps"), "");
    Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe));
  }

  int run(String... args) {
    PackageOwners rpm = paths -> Optional.of(Map.of("/usr/bin/foo", List.of("foo-2-1.x86_64")));
    Context context = new Context(host, new MarkStore(store), Map.of());
    ErrorHandler errors = new ErrorHandler(Map.of());
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code =
        new CommandLine(new StaleCommand(context, proc, rpm))
            .setOut(new PrintWriter(o))
            .setErr(new PrintWriter(e))
            .setExecutionExceptionHandler(errors)
            .setParameterExceptionHandler(errors)
            .execute(args);
    out = o.toString();
    err = e.toString();
    return code;
  }

  @Test
  void listsEveryUsersStaleUnits() throws Exception {
    new MarkStore(store).mark(new Mark(Mark.Kind.RESTART, "foo.service"), java.util.OptionalInt.of(1001));
    assertEquals(0, run());
    List<String> lines = out.lines().toList();
    assertEquals(5, lines.size(), out);
    assertTrue(lines.get(1).matches("dev \\(1000\\) +foo\\.service +1200  no +/usr/bin/foo \\(foo-2-1.x86_64\\)"), out);
    assertTrue(lines.get(2).matches("ops \\(1001\\) +foo\\.service +1201  restart +/usr/bin/foo \\(foo-2-1.x86_64\\)"), out);
    assertEquals("2 user services of 2 users still run replaced files.", lines.get(4));
    assertEquals("", err);
  }

  @Test
  void onlyTheUsersGiven() {
    assertEquals(0, run("--user", "ops", "--json"));
    assertTrue(out.contains("\"staleUnits\":1,") && out.contains("\"user\":\"ops\""), out);
    assertTrue(!out.contains("\"user\":\"dev\""), out);
  }

  @Test
  void aUserWithoutAManagerIsNamed() {
    host.users.put("guest", 1002);
    assertEquals(0, run("-u", "guest"));
    assertTrue(err.contains("guest (1002) has no active user manager"), err);
    assertEquals("No user service runs replaced files (0 user managers looked at).\n", out);
  }

  @Test
  void exitCodes() {
    assertEquals(ExitCodes.USAGE, run("--user", "nobody-here"));
    assertEquals(ExitCodes.USAGE, run("--bogus"));
    host.root = false;
    assertEquals(ExitCodes.NOT_PERMITTED, run());
    host.root = true;
    host.pid1Error = new SystemdException(SystemdException.Kind.TIMEOUT, "list-users", "no answer");
    assertEquals(ExitCodes.UNAVAILABLE, run());
    assertTrue(err.contains("cannot ask PID 1 for the user managers"), err);
    host.offline = Optional.of("the system is not booted with systemd");
    assertEquals(ExitCodes.OK, run());
    assertEquals("", out);
  }

  @Test
  void anUnreadableMarkStoreIsAWarning() throws IOException {
    Files.writeString(store.resolve("user"), "not a folder", StandardCharsets.UTF_8);
    assertEquals(0, run());
    assertTrue(out.contains("foo.service"), out);
    assertTrue(err.contains("cannot read the mark store, marks not shown"), err);
    assertTrue(out.lines().anyMatch(l -> l.matches("dev \\(1000\\) +foo\\.service +1200  \\? .*")), out);
  }

  @Test
  void registeredInTheCommandTree() {
    StringWriter o = new StringWriter();
    MainTest.FakeHost idle = new MainTest.FakeHost(new FakeConnector());
    int code =
        Main.run(new Context(idle, new MarkStore(store), Map.of()), new PrintWriter(o), new PrintWriter(new StringWriter()),
            "stale", "--help");
    assertEquals(0, code);
    assertTrue(o.toString().contains("Usage: systemd-user-restart stale"), o.toString());
  }
}
