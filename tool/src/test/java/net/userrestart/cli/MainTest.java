// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import static net.userrestart.testutil.MiniJson.array;
import static net.userrestart.testutil.MiniJson.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.userrestart.marks.Lock;
import net.userrestart.marks.MarkStore;
import net.userrestart.restart.ManagerAction;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemManager;
import net.userrestart.systemd.SystemdException;
import net.userrestart.stale.FakeProc;
import net.userrestart.systemd.UserManagerConnector;
import net.userrestart.testutil.StoreFiles;
import net.userrestart.testutil.FakeConnector;
import net.userrestart.testutil.LockHolder;
import net.userrestart.testutil.MiniJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The commands, through {@link Main#run}, with a fake host and a mark store in a temporary folder. */
@SuppressWarnings("try") // locks and peers held for their side effect
class MainTest {
  @TempDir Path root;
  /* The /proc the stale scan reads, and the triggers' configuration file (none until written). */
  @TempDir Path sys;
  FakeHost host;
  FakeConnector connector;
  MarkStore store;
  Map<String, String> env;
  String out;
  String err;

  @BeforeEach
  void setUp() {
    connector = new FakeConnector();
    host = new FakeHost(connector);
    host.users.put("dev", 1000);
    host.users.put("ops", 1001);
    host.users.put("guest", 1002);
    store = new MarkStore(root);
    env = Map.of();
  }

  int run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code = Main.run(context(), new PrintWriter(o), new PrintWriter(e), args);
    out = o.toString();
    err = e.toString();
    return code;
  }

  Context context() {
    return new Context(host, store, env, sys.resolve("proc"), sys.resolve("systemd-user-restart.conf"));
  }

  /** A process of {@code unit} of user {@code uid} that maps a replaced library. */
  FakeProc.Process staleProcess(long pid, int uid, String unit) {
    return new FakeProc(sys.resolve("proc"))
        .process(pid, FakeProc.unitCgroup(uid, "app.slice/" + unit), 1, pid, "/usr/bin/app")
        .maps("r-xp /usr/lib64/libapp.so.1 (deleted)");
  }

  List<String> errLines() {
    return err.lines().toList();
  }

  /** A usage error is one line, then where to look: as with picocli's own errors. */
  void assertUsageHint() {
    assertEquals(2, errLines().size(), err);
    assertEquals("Try 'systemd-user-restart --help' for more information.", errLines().get(1));
  }

  void touch(String relative) throws IOException {
    Path file = root.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[0]);
  }

  /** Marks in the store, as relative paths, without the lock file. */
  List<String> marks() throws IOException {
    return StoreFiles.list(root);
  }

  // ---- before anything is done ----

  @Test
  void helpListsTheSubcommands() {
    assertEquals(0, run("-qh"));
    assertTrue(out.contains("Commands:") && out.contains("mark"), out);
  }

  @Test
  void offlineIsOneLineOnStderrAndSuccess() throws Exception {
    touch("restart/app.service");
    host.offline = Optional.of("SYSTEMD_OFFLINE=1 is set");
    assertEquals(0, run("--all-users"));
    assertEquals(List.of("SYSTEMD_OFFLINE=1 is set, nothing to do."), errLines());
    assertEquals("", out);
    assertEquals(List.of("restart/app.service"), marks());
    assertEquals(0, host.pid1Connects);
  }

  @Test
  void offlineListIsSuccessToo() {
    host.offline = Optional.of("the system is not booted with systemd");
    assertEquals(0, run("list"));
    assertEquals(1, errLines().size());
  }

  @Test
  void notRootIsExitThreeWithOneLine() throws Exception {
    touch("restart/app.service");
    host.root = false;
    assertEquals(3, run("--all-users"));
    assertEquals(1, errLines().size(), err);
    assertTrue(err.startsWith("systemd-user-restart: must be run as root"), err);
    assertEquals(List.of("restart/app.service"), marks());
    assertEquals(3, run("list"));
  }

  @Test
  void whichUsersMustBeSaid() {
    assertEquals(2, run());
    assertTrue(errLines().get(0).contains("--all-users"), err);
    assertUsageHint();
    assertEquals(2, run("app.service"));
  }

  @Test
  void allUsersAndUserExcludeEachOther() {
    assertEquals(2, run("--all-users", "--user", "dev"));
  }

  @Test
  void anInvalidUnitIsAUsageErrorNamingIt() throws Exception {
    assertEquals(2, run("--all-users", "../x"));
    assertTrue(errLines().get(0).contains("'../x'"), err);
    assertUsageHint();
    assertEquals(2, run("--all-users", "ok.service", "bad\nname.service"));
    assertTrue(errLines().get(0).contains("bad\\x0aname.service"), err);
    assertUsageHint();
    assertEquals(0, host.pid1Connects);
    assertEquals(List.of(), marks());
  }

  @Test
  void reexecTakesNeededAlwaysOrNever() {
    Context context = new Context(host, store, env);
    Map<String, ManagerAction> expected =
        Map.of(
            "needed", ManagerAction.AS_NEEDED,
            "always", ManagerAction.REEXECUTE,
            "never", ManagerAction.NONE);
    expected.forEach(
        (when, action) -> {
          CommandLine cl = Main.commandLine(context);
          cl.parseArgs("--all-users", "--reexec=" + when);
          RestartCommand parsed = cl.getCommand();
          assertEquals(action, parsed.request().action(), when);
        });
    assertEquals(2, run("--all-users", "--reexec=sometimes"));
    assertEquals(
        "systemd-user-restart: --reexec must be needed, always or never, not 'sometimes'",
        errLines().get(0));
    assertEquals(2, run("--all-users", "--reexec=needed", "--no-reexec"));
    assertTrue(errLines().get(0).contains("mutually exclusive"), err);
  }

  @Test
  void anUnknownUserIsAUsageError() {
    assertEquals(2, run("--user", "nosuchuser"));
    assertTrue(err.contains("no such user: nosuchuser"), err);
    assertEquals(0, host.pid1Connects);
  }

  @Test
  void badOptionValuesAreUsageErrors() {
    assertEquals(2, run("--all-users", "--no-reexec", "--daemon-reload"));
    assertTrue(errLines().get(0).contains("mutually exclusive"), err);
    assertEquals(2, run("--all-users", "--reload"));
    assertEquals(2, run("--all-users", "--timeout", "0"));
    assertTrue(
        errLines().get(0).contains("--timeout must be a time span of more than 0 and at most 24h,"
            + " such as 30, 90s or 2min, not '0'"),
        err);
    assertUsageHint();
    assertEquals(2, run("--all-users", "--timeout", "-1"));
    assertEquals(2, run("--all-users", "--timeout", "NaN"));
    // What Double.parseDouble would take, and no time span.
    for (String bad : List.of("abc", "5d", "1e3", "0x10", "1..5", "s", "5 x", "2min -1s")) {
      assertEquals(2, run("--all-users", "--timeout", bad), bad);
      assertTrue(errLines().get(0).contains("--timeout must be a time span"), err);
    }
    assertEquals(2, run("list", "--timeout", "25h"));
    assertTrue(errLines().get(0).contains("--timeout must be a time span"), err);
    assertEquals(2, run("--all-users", "--jobs", "0"));
    assertEquals(2, run("--all-users", "--jobs", "5000"));
    assertTrue(errLines().get(0).contains("--jobs must be between 1 and 1024, not 5000"), err);
    assertEquals(2, run("--all-users", "--no-such-option"));
    assertEquals(0, host.pid1Connects);
  }

  /* What the man page says of $SYSTEMD_USER_RESTART_TIMEOUT; a bad value is named as itself. */
  @Test
  void theTimeoutComesFromTheOptionElseTheEnvironmentElse15Seconds() {
    assertEquals(0, run("--all-users"));
    assertEquals(Duration.ofSeconds(15), host.pid1Timeout);
    env = Map.of("SYSTEMD_USER_RESTART_TIMEOUT", "2.5");
    assertEquals(0, run("--all-users"));
    assertEquals(Duration.ofMillis(2500), host.pid1Timeout);
    assertEquals(0, run("--all-users", "--timeout", "7"));
    assertEquals(Duration.ofSeconds(7), host.pid1Timeout);
    // Time spans as systemd writes them.
    assertEquals(0, run("--all-users", "--timeout", "1min 30s"));
    assertEquals(Duration.ofSeconds(90), host.pid1Timeout);
    assertEquals(0, run("--all-users", "--timeout", "500ms"));
    assertEquals(Duration.ofMillis(500), host.pid1Timeout);
    assertEquals(0, run("list", "--timeout", "2min"));
    assertEquals(Duration.ofMinutes(2), host.pid1Timeout);
    env = Map.of("SYSTEMD_USER_RESTART_TIMEOUT", "");
    assertEquals(0, run("--all-users"));
    assertEquals(Duration.ofSeconds(15), host.pid1Timeout);
    env = Map.of("SYSTEMD_USER_RESTART_TIMEOUT", "soon");
    assertEquals(2, run("--all-users"));
    assertTrue(
        errLines().get(0).contains("$SYSTEMD_USER_RESTART_TIMEOUT must be a time span"),
        err);
    assertTrue(errLines().get(0).contains("not 'soon'"), err);
    assertFalse(err.contains("--timeout must"), err);
  }

  @Test
  void aBadCommandLineGetsOneLineNamingItAndAHintNotTheUsage() {
    assertEquals(2, run("--all-users", "--timout", "3"));
    assertTrue(errLines().get(0).contains("Unknown option: '--timout'"), err);
    assertTrue(err.contains("--timeout"), err); // the suggestion
    assertTrue(errLines().get(errLines().size() - 1).contains("--help' for more information"), err);
    assertFalse(err.contains("Usage:"), err);
    assertEquals(2, run("mark"));
    assertEquals(2, errLines().size(), err);
    assertTrue(err.contains("'systemd-user-restart mark --help'"), err);
  }

  // What stops a run before a user manager is reached is reported alike through picocli and
  // through the fast path of the rpm triggers' command lines.

  static final List<List<String>> TRIGGER_LINES =
      List.of(
          List.of("--all-users", "--quiet"),
          List.of("--all-users", "--quiet", "--no-reexec"),
          List.of("--all-users", "--quiet", "--reexec=needed"));

  /* Through picocli, then through the fast path. */
  static Stream<Arguments> allUsersLines() {
    return Stream.concat(Stream.of(List.of("--all-users")), TRIGGER_LINES.stream())
        .map(line -> Arguments.of((Object) line.toArray(String[]::new)));
  }

  @ParameterizedTest
  @MethodSource("allUsersLines")
  void pid1UnavailableIsExitSix(String... args) {
    host.pid1Error = new SystemdException(SystemdException.Kind.TIMEOUT, "list-users", "no answer");
    assertEquals(6, run(args));
    assertTrue(err.contains("cannot ask PID 1"), err);
    assertEquals(1, errLines().size(), err);
  }

  @ParameterizedTest
  @MethodSource("allUsersLines")
  void aCorruptStoreIsExitFive(String... args) throws Exception {
    touch("restart");
    host.active.put(1000, "dev");
    assertEquals(5, run(args));
    assertEquals(0, connector.user(1000).connects());
    assertEquals(5, run("--all-users", "--dry-run"));
    assertEquals(5, run("list"));
  }

  @Test
  void anInternalErrorIsExit70WithItsStackTraceOnlyAtDebugLevel() {
    host.pid1Bug = new IllegalStateException("a bug");
    assertEquals(70, run("--all-users"));
    assertEquals(List.of("systemd-user-restart: internal error: java.lang.IllegalStateException: a bug"), errLines());
    assertEquals(70, run("--all-users", "--quiet"));
    assertEquals(1, errLines().size(), err);
    assertEquals(70, run("list", "-vv"));
    assertTrue(errLines().size() > 1 && errLines().get(1).contains("IllegalStateException"), err);
    assertTrue(err.contains("\tat net.userrestart."), err);
    env = Map.of("SYSTEMD_LOG_LEVEL", "debug");
    assertEquals(70, run("--all-users", "--quiet"));
    assertTrue(err.contains("\tat net.userrestart."), err);
  }

  // ---- the rpm triggers' command lines, which skip picocli ----

  @Test
  void theFastPathAsksWhatPicocliWouldMakeOfTheTriggersCommandLines() {
    Context context = context();
    for (List<String> args : TRIGGER_LINES) {
      CommandLine cl = Main.commandLine(context);
      cl.parseArgs(args.toArray(String[]::new));
      RestartCommand parsed = cl.getCommand();
      ManagerAction action =
          args.contains("--no-reexec")
              ? ManagerAction.NONE
              : args.contains("--reexec=needed") ? ManagerAction.AS_NEEDED : ManagerAction.REEXECUTE;
      assertEquals(RestartCommand.allUsers(context, action), parsed.request());
      assertTrue(parsed.output.quiet && !parsed.output.json && parsed.output.verbose.length == 0);
    }
  }

  @Test
  void theTriggersCommandLinesDoTheWork() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("app.service", "active");
    connector.user(1001).states.put("app.service", "active");
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--quiet"));
    assertEquals("", out + err);
    assertEquals(1, host.pid1Connects);
    for (int uid : List.of(1000, 1001)) {
      assertEquals(2, connector.user(uid).connects());
      assertTrue(connector.user(uid).calls().contains("try-restart app.service"), connector.user(uid).calls().toString());
    }
    assertEquals(List.of(), marks());
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--quiet", "--no-reexec"));
    assertEquals("", out + err);
    for (int uid : List.of(1000, 1001)) {
      assertEquals(3, connector.user(uid).connects(), "no re-exec, one connection");
      assertEquals(1, connector.user(uid).calls().stream().filter(c -> c.equals("reexecute")).count());
      assertEquals(2, connector.user(uid).calls().stream().filter(c -> c.equals("try-restart app.service")).count());
    }
    assertEquals(List.of(), marks());
  }

  static final String SUMMARY =
      "2 user services of 2 users still run replaced files; see `systemd-user-restart stale`";

  @Test
  void aTriggersRunTellsOfTheUserServicesThatStillRunReplacedFilesAndRestartsNone() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    for (int uid : List.of(1000, 1001)) {
      connector.user(uid).states.put("app.service", "active");
      connector.user(uid).states.put("pw.service", "active");
    }
    assertEquals(0, run("--all-users", "--quiet"));
    assertEquals("", out + err, "nothing stale, nothing said");
    staleProcess(200, 1000, "pw.service");
    staleProcess(201, 1001, "pw.service");
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--quiet"));
    assertEquals(List.of(SUMMARY), errLines());
    for (int uid : List.of(1000, 1001)) {
      assertTrue(connector.user(uid).calls().contains("try-restart app.service"), connector.user(uid).calls().toString());
      assertFalse(connector.user(uid).calls().contains("try-restart pw.service"), connector.user(uid).calls().toString());
    }
    assertEquals(0, run("--all-users"));
    assertFalse(err.contains("replaced files"), "only the triggers' runs say it: " + err);
    assertEquals(0, run("--all-users", "--quiet", "--no-markers"));
    assertEquals("", err, "only the triggers' runs say it");
    assertEquals(0, run("--quiet", "--no-reexec", "-a"));
    assertEquals(List.of(SUMMARY), errLines(), "the triggers' command line, through picocli");
  }

  @Test
  void restartStaleYesMakesTheTriggersRunRestartThem() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("pw.service", "active");
    connector.user(1001).states.put("pw.service", "active");
    staleProcess(200, 1000, "pw.service");
    staleProcess(201, 1001, "pw.service");
    Files.writeString(sys.resolve("systemd-user-restart.conf"), "# local\nRestartStale=yes\n");
    assertEquals(0, run("--all-users", "--quiet", "--no-reexec"));
    for (int uid : List.of(1000, 1001)) {
      assertEquals(List.of("connect", "list [pw.service]", "try-restart pw.service", "enqueue-marked", "await 1", "close"),
          connector.user(uid).calls());
    }
    // The fake /proc does not change: what a real restart leaves stale is still told.
    assertEquals(List.of(SUMMARY), errLines());

    Files.writeString(sys.resolve("systemd-user-restart.conf"), "RestartStale=true\n");
    assertEquals(0, run("--all-users", "--quiet", "--no-reexec"));
    assertEquals(
        List.of(
            sys.resolve("systemd-user-restart.conf")
                + ":1: RestartStale=true is not yes or no; taken as no",
            SUMMARY),
        errLines());
    assertEquals(1, connector.user(1000).calls().stream().filter(c -> c.equals("try-restart pw.service")).count());
  }

  @Test
  void staleOnTheCommandLineRestartsThemWithTheirReason() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("pw.service", "active");
    connector.user(1000).states.put("app.service", "active");
    staleProcess(200, 1000, "pw.service");
    staleProcess(201, 1000, "app.service");
    staleProcess(202, 1001, "pw.service");
    touch("restart/app.service");
    assertEquals(0, run("--user", "dev", "--stale", "--json"));
    Map<String, Object> user = MiniJson.object(MiniJson.array(MiniJson.object(MiniJson.parse(out)).get("users")).get(0));
    assertEquals(
        List.of("app.service try-restart done both", "pw.service try-restart done stale"),
        MiniJson.array(user.get("units")).stream()
            .map(MiniJson::object)
            .map(u -> u.get("unit") + " " + u.get("action") + " " + u.get("result") + " " + u.get("reason"))
            .toList());
    assertEquals(0, connector.user(1001).connects(), "only the user asked for");
    assertEquals(List.of("user/1001/restart/app.service"), marks(), "the other user's mark waits");

    assertEquals(0, run("--user", "dev", "--stale", "--dry-run"));
    assertTrue(out.contains("pw.service   try-restart            would-restart [stale]"), out);
  }

  @Test
  void theFastPathStopsWhereTheCommandWould() {
    host.active.put(1000, "dev");
    host.root = false;
    assertEquals(3, run("--all-users", "--quiet"));
    assertEquals(1, errLines().size(), err);
    assertTrue(err.startsWith("systemd-user-restart: must be run as root"), err);
    host.root = true;
    host.offline = Optional.of("System has not been booted with systemd");
    assertEquals(0, run("--all-users", "--quiet"));
    assertEquals("", out + err, "--quiet leaves out the notice");
    host.offline = Optional.empty();
    env = Map.of("SYSTEMD_USER_RESTART_TIMEOUT", "soon");
    assertEquals(2, run("--all-users", "--quiet"));
    assertTrue(errLines().get(0).contains("not 'soon'"), err);
    assertUsageHint();
    assertEquals(0, host.pid1Connects);
    assertEquals(0, connector.user(1000).connects());
  }

  // ---- mark ----

  @Test
  void markWritesIntoTheStore() throws Exception {
    assertEquals(0, run("mark", "foo.service", "app@.service", "foo\\x2dbar.service"));
    assertEquals(0, run("mark", "--reload", "web.service"));
    assertEquals(0, run("mark", "--user", "dev", "mine.service"));
    assertEquals(0, run("mark", "--user", "1001", "--reload", "his.service"));
    assertEquals(0, run("mark", "--user", "1001", "--user", "1002", "both.service"));
    assertEquals(
        List.of(
            "reload/web.service",
            "restart/app@.service",
            "restart/foo.service",
            "restart/foo\\x2dbar.service",
            "user/1000/restart/mine.service",
            "user/1001/reload/his.service",
            "user/1001/restart/both.service",
            "user/1002/restart/both.service"),
        marks());
    assertEquals("", out + err);
  }

  @Test
  void markRejectsBadNamesAndUsersAndWritesNothing() throws Exception {
    assertEquals(2, run("mark", "good.service", "../x"));
    assertTrue(err.contains("../x"), err);
    assertEquals(2, run("mark", "--user", "nosuchuser", "good.service"));
    assertEquals(2, run("mark"));
    assertEquals(List.of(), marks());
  }

  @Test
  void markIntoACorruptStoreIsExitFive() throws Exception {
    touch("restart");
    assertEquals(5, run("mark", "a.service"));
  }

  // ---- restart ----

  void twoUsersOneFailing() throws IOException {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("app.service", "active");
    connector.user(1000).states.put("web.service", "active");
    connector.user(1001).connectError =
        new SystemdException(SystemdException.Kind.FAILED, "connect", "the user manager closed the connection");
    touch("restart/app.service");
    touch("reload/web.service");
  }

  @Test
  void aFailingUserKeepsItsMarksAndTheOthersAreConsumed() throws Exception {
    twoUsersOneFailing();
    assertEquals(1, run("--all-users"));
    assertEquals(List.of("user/1001/reload/web.service", "user/1001/restart/app.service"), marks());
    assertTrue(out.contains("user dev (1000): daemon-reexec done"), out);
    assertTrue(out.contains("user ops (1001): failed at connect"), out);
    assertTrue(out.contains("2 user managers, 1 ok, 1 failed."), out);
    assertTrue(err.contains("marks stay pending"), err);
    List<String> calls = connector.user(1000).calls();
    assertEquals(List.of("connect", "reexecute", "close", "connect"), calls.subList(0, 4));
    assertTrue(calls.get(4).startsWith("list "), calls.toString());
    assertEquals(
        Set.of("try-restart app.service", "reload-or-try-restart web.service"), Set.copyOf(calls.subList(5, 7)));
    assertEquals(List.of("enqueue-marked", "await 2", "close"), calls.subList(7, 10));
    assertTrue(connector.closed());
    // The next run, with ops's manager fixed, restarts his units only.
    connector.user(1001).connectError = null;
    connector.user(1001).states.put("app.service", "active");
    assertEquals(0, run("--all-users"));
    assertEquals(List.of(), marks());
    assertTrue(connector.user(1001).calls().contains("try-restart app.service"));
    assertEquals(1, connector.user(1000).calls().stream().filter(c -> c.startsWith("try-restart")).count());
  }

  @Test
  void unfinishedJobsKeepTheirMarksOnly() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("slow.service", "active");
    connector.user(1000).states.put("quick.service", "active");
    connector.user(1000).jobResults.put("slow.service", "unfinished");
    touch("restart/slow.service");
    touch("restart/quick.service");
    touch("restart/off.service");
    assertEquals(1, run("--all-users", "--no-reexec"));
    assertEquals(List.of("user/1000/restart/slow.service"), marks());
    assertTrue(out.contains("timed-out at wait-jobs"), out);
  }

  /* Issue 15: an Error in one user's worker (a hostile manager exhausting the heap, a parser
   * overflowing its stack) fails that user only; the report is printed and the exit is 1, not 70. */
  @ParameterizedTest
  @MethodSource("allUsersLines")
  void anErrorInOneWorkerFailsThatUserOnly(String... args) throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    host.active.put(1002, "guest");
    for (int uid : List.of(1000, 1001, 1002)) {
      connector.user(uid).states.put("app.service", "active");
    }
    connector.user(1001).connectCrash = new OutOfMemoryError("Java heap space");
    connector.user(1002).connectCrash = new StackOverflowError();
    touch("restart/app.service");
    assertEquals(1, run(args));
    assertTrue(out.contains("user ops (1001): failed at run: internal error: java.lang.OutOfMemoryError"), out);
    assertTrue(out.contains("user guest (1002): failed at run: internal error: java.lang.StackOverflowError"), out);
    assertTrue(out.contains("3 user managers, 1 ok, 2 failed."), out);
    assertFalse(err.contains("internal error: java.lang.IllegalStateException"), err);
    assertEquals(List.of("user/1001/restart/app.service", "user/1002/restart/app.service"), marks());
    assertTrue(connector.user(1000).calls().contains("try-restart app.service"));
  }

  @Test
  void dryRunConsumesNothing() throws Exception {
    twoUsersOneFailing();
    touch("user/1000/restart/mine.service");
    List<String> before = marks();
    assertEquals(1, run("--all-users", "--dry-run"));
    assertEquals(before, marks());
    assertFalse(Files.exists(root.resolve("lock")), "a dry run takes no lock");
    assertTrue(out.contains("Would daemon-reexec user dev (1000), then:"), out);
    assertTrue(out.startsWith("Would") || out.contains("Dry run: "), out);
    assertTrue(connector.user(1000).calls().stream().noneMatch(c -> c.startsWith("try-restart") || c.equals("reexecute")));
  }

  @Test
  void dryRunOfAHealthyMachineSucceeds() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("app.service", "active");
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--dry-run", "--no-markers"));
    assertTrue(out.contains("app.service") && out.contains("would-restart"), out);
    assertEquals(List.of("restart/app.service"), marks());
  }

  @Test
  void oneUserOnlyLeavesTheOthersMarksPending() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("app.service", "active");
    touch("restart/app.service");
    assertEquals(0, run("--user", "dev", "--no-markers"));
    assertEquals(List.of("user/1001/restart/app.service"), marks());
    assertEquals(0, connector.user(1001).connects());
  }

  @Test
  void anAskedUserWithoutAManagerIsSkipped() throws Exception {
    host.active.put(1000, "dev");
    assertEquals(0, run("--user", "guest"));
    assertTrue(out.contains("user guest (1002): skipped: no active user manager"), out);
    assertEquals(0, connector.user(1002).connects());
  }

  @Test
  void commandLineUnitsAreRestartedButNotStored() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("cli.service", "active");
    assertEquals(0, run("--all-users", "--no-reexec", "cli.service"));
    assertTrue(connector.user(1000).calls().contains("try-restart cli.service"));
    assertEquals(List.of(), marks());
  }

  @Test
  void noActiveManagersIsSuccess() throws Exception {
    touch("restart/app.service");
    assertEquals(0, run("--all-users"));
    assertTrue(out.contains("No active user managers."), out);
  }

  @Test
  void quietPrintsNothingWhenAllIsWell() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("app.service", "active");
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--quiet"));
    assertEquals("", out);
    assertEquals("", err);
  }

  @Test
  void jsonOutputParses() throws Exception {
    twoUsersOneFailing();
    assertEquals(1, run("--all-users", "--json"));
    assertEquals(1, out.lines().count(), out);
    Map<String, Object> report = object(MiniJson.parse(out));
    assertEquals(false, report.get("ok"));
    assertEquals(false, report.get("dryRun"));
    List<Map<String, Object>> users = array(report.get("users")).stream().map(MiniJson::object).toList();
    assertEquals(2, users.size());
    assertEquals(1000L, users.get(0).get("uid"));
    assertEquals("restarted", users.get(0).get("outcome"));
    assertEquals("daemon-reexec", users.get(0).get("action"));
    List<Map<String, Object>> units = array(users.get(0).get("units")).stream().map(MiniJson::object).toList();
    assertEquals(
        Set.of(
            Map.of("unit", "app.service", "action", "try-restart", "result", "done", "reason", "marked"),
            Map.of("unit", "web.service", "action", "reload-or-try-restart", "result", "done", "reason", "marked")),
        Set.copyOf(units));
    assertEquals("ops", users.get(1).get("user"));
    assertEquals("failed", users.get(1).get("outcome"));
    assertEquals("connect", users.get(1).get("step"));
    assertEquals("the user manager closed the connection", users.get(1).get("error"));
  }

  @Test
  void jsonDryRunParses() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("app.service", "active");
    touch("restart/app.service");
    assertEquals(0, run("--all-users", "--json", "--dry-run"));
    Map<String, Object> report = object(MiniJson.parse(out));
    assertEquals(true, report.get("dryRun"));
    assertEquals("planned", object(array(report.get("users")).get(0)).get("outcome"));
  }

  @ParameterizedTest
  @MethodSource("allUsersLines")
  void aLockHeldByAnotherRunIsExitFour(String... args) throws Exception {
    host.active.put(1000, "dev");
    touch("restart/app.service");
    Process other = LockHolder.start(root);
    try {
      assertEquals(4, run(args));
      assertTrue(err.contains("another run (pid " + other.pid() + ")"), err);
      assertEquals(1, errLines().size(), err);
    } finally {
      LockHolder.stop(other);
    }
    assertEquals(List.of("restart/app.service"), marks());
    assertEquals(0, connector.user(1000).connects());
  }

  @Test
  void aLockHeldInThisJvmIsExitFour() throws Exception {
    host.active.put(1000, "dev");
    try (Lock held = new MarkStore(root).lock()) {
      assertEquals(4, run("--all-users"), err);
    }
  }

  // ---- list ----

  @Test
  void listShowsManagersAndMarks() throws Exception {
    host.active.put(1000, "dev");
    host.active.put(1001, "ops");
    connector.user(1000).states.put("app.service", "active");
    connector.user(1001).connectError =
        new SystemdException(SystemdException.Kind.REFUSED, "connect", "socket is a symlink");
    touch("restart/app.service");
    touch("reload/web.service");
    touch("user/1001/restart/own.service");
    touch("restart/bad name");
    assertEquals(0, run("list"));
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).matches("UID +USER +PID +STATE +PENDING ACTIVE UNITS"), out);
    assertTrue(lines.get(1).matches("1000 +dev +1100 +running +app.service"), out);
    assertTrue(lines.get(2).matches("1001 +ops +1101 +refused +socket is a symlink"), out);
    assertTrue(out.contains("Marked for every user: app.service web.service (reload)"), out);
    assertTrue(out.contains("Marked for UID 1001: own.service"), out);
    assertTrue(err.contains("ignoring invalid mark"), err);
    // list changes nothing
    assertEquals(List.of("reload/web.service", "restart/app.service", "restart/bad name", "user/1001/restart/own.service"), marks());
    assertTrue(connector.user(1000).calls().stream().noneMatch(c -> c.startsWith("try-restart")));
  }

  @Test
  void listJsonParses() throws Exception {
    host.active.put(1000, "dev");
    connector.user(1000).states.put("app.service", "active");
    touch("restart/app.service");
    touch("user/1000/reload/x.service");
    connector.user(1000).states.put("x.service", "active");
    assertEquals(0, run("list", "--json"));
    Map<String, Object> list = object(MiniJson.parse(out));
    Map<String, Object> manager = object(array(list.get("managers")).get(0));
    assertEquals(1000L, manager.get("uid"));
    assertEquals(1100L, manager.get("pid"));
    assertEquals("running", manager.get("state"));
    assertEquals(Set.of("app.service", "x.service"), Set.copyOf(array(manager.get("pendingActiveUnits"))));
    Map<String, Object> marks = object(list.get("marks"));
    assertEquals(List.of("app.service"), marks.get("restart"));
    assertEquals(Map.of("1000", Map.of("restart", List.of(), "reload", List.of("x.service"))), marks.get("perUser"));
  }

  /** The machine, as the commands see it. */
  static final class FakeHost implements Host {
    final FakeConnector connector;
    Optional<String> offline = Optional.empty();
    boolean root = true;
    /** Active user managers: UID to user name. */
    final Map<Integer, String> active = new TreeMap<>();
    final Map<String, Integer> users = new TreeMap<>();
    SystemdException pid1Error;
    RuntimeException pid1Bug;
    int pid1Connects;
    Duration pid1Timeout;

    FakeHost(FakeConnector connector) {
      this.connector = connector;
    }

    @Override
    public Optional<String> offlineReason() {
      return offline;
    }

    @Override
    public boolean isRoot() {
      return root;
    }

    @Override
    public SystemManager systemManager(Duration timeout) throws SystemdException {
      pid1Connects++;
      pid1Timeout = timeout;
      if (pid1Error != null) {
        throw pid1Error;
      }
      if (pid1Bug != null) {
        throw pid1Bug;
      }
      return new SystemManager() {
        @Override
        public List<Integer> activeUserManagers() {
          return new ArrayList<>(active.keySet());
        }

        @Override
        public Map<Integer, Long> managerPids(Collection<Integer> uids) {
          Map<Integer, Long> pids = new HashMap<>();
          uids.forEach(uid -> pids.put(uid, 100L + uid));
          return pids;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public UserManagerConnector userManagers() {
      return connector;
    }

    @Override
    public String userName(int uid) {
      return users.entrySet().stream()
          .filter(e -> e.getValue() == uid)
          .map(Map.Entry::getKey)
          .findFirst()
          .orElse(Integer.toString(uid));
    }

    @Override
    public OptionalInt userId(String nameOrUid) {
      if (nameOrUid.matches("\\d+")) {
        return OptionalInt.of(Integer.parseInt(nameOrUid));
      }
      Integer uid = users.get(nameOrUid);
      return uid == null ? OptionalInt.empty() : OptionalInt.of(uid);
    }

    @Override
    public int cpus() {
      return 2;
    }
  }
}
