// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.report.Report;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Plan;
import net.userrestart.restart.Restarter;
import net.userrestart.restart.Result;
import net.userrestart.restart.UnitResult;
import net.userrestart.restart.UserTarget;
import net.userrestart.restart.UserWorker;
import net.userrestart.testutil.Privileges;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several hostile user managers and healthy ones in one run, through the real connector, links and
 * workers. Each hostile peer is a {@link FakePeer} on a runtime root of its own (the peers run in
 * this JVM, as root, so each "user" is root under its own root folder). Whatever they send, the
 * healthy users are served, each hostile one fails alone within its deadline, and what root prints
 * about it is bounded and free of control characters.
 */
class HostilePeersTest {
  static {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
  }

  static final String JOB = "/org/freedesktop/systemd1/job/";
  static final String UNIT = "app.service";
  /** The deadline the hostile peers run into. */
  static final Duration DEADLINE = Duration.ofSeconds(3);
  /** A generous bound on how far past its deadline a run may end: the machine is slow and busy. */
  static final long MARGIN_MILLIS = 10_000;

  @TempDir Path runtime;
  final Map<Integer, FakePeer> peers = new LinkedHashMap<>();
  final Map<Integer, DBusUserManagerConnector> connectors = new LinkedHashMap<>();
  List<String> threadsBefore;

  @BeforeEach
  void setUp() {
    assumeTrue(Privileges.root(), "needs root: the socket checks want root's runtime root and the peer's uid");
    threadsBefore = Threads.live();
  }

  @AfterEach
  void tearDown() throws IOException {
    for (FakePeer p : peers.values()) {
      p.close();
    }
    connectors.values().forEach(DBusUserManagerConnector::close);
    if (threadsBefore != null) {
      assertEquals(List.of(), Threads.leakedSince(threadsBefore, 5000), "threads left behind");
    }
  }

  /** The peer that plays user {@code uid}'s manager, started. */
  FakePeer user(int uid, FakePeer peer) throws IOException {
    peers.put(uid, peer);
    peer.units.put(UNIT, "active");
    peer.start();
    return peer;
  }

  FakePeer peerFor(int uid) {
    Path root = runtime.resolve("u" + uid);
    connectors.put(uid, new DBusUserManagerConnector(root));
    return new FakePeer(root.resolve("0/systemd/private"));
  }

  /* Each user's connector is the real one, on that user's own runtime root, as root. */
  final UserManagerConnector connector = (uid, deadline) -> connectors.get(uid).connect(0, deadline);

  /** The outcomes of one run over every user, logging into {@code log}. */
  List<Outcome> run(Log log) {
    List<UserTarget> users =
        peers.keySet().stream()
            .map(uid -> new UserTarget(uid, "u" + uid, Set.of(new Mark(Mark.Kind.RESTART, UNIT))))
            .toList();
    Plan plan = new Plan(users, List.of(), ManagerAction.REEXECUTE, true, DEADLINE, 8, false);
    return new Restarter(new UserWorker(connector, log)).run(plan, o -> {});
  }

  // ---- the hostile behaviours of issue 15 ----

  /** Case 1: more marked jobs than allowed. */
  FakePeer tooManyMarkedJobs(int uid) {
    List<String> jobs = IntStream.rangeClosed(1, 1025).mapToObj(i -> JOB + i).toList();
    return peerFor(uid).on("EnqueueMarkedJobs", (c, s) -> s.reply(c, "ao", jobs));
  }

  /** Case 1: marked "jobs" that are no job paths, long enough to be padded to. */
  FakePeer longMarkedPaths(int uid) {
    List<String> jobs = IntStream.range(0, 200).mapToObj(i -> JOB + "x".repeat(1000) + i).toList();
    return peerFor(uid).on("EnqueueMarkedJobs", (c, s) -> s.reply(c, "ao", jobs));
  }

  /** Case 1: as many marked jobs as allowed, none of which ever ends: each is a line of the report. */
  FakePeer maxMarkedJobsNeverEnding(int uid) {
    List<String> jobs = IntStream.rangeClosed(1, 1024).mapToObj(i -> JOB + (100_000 + i)).toList();
    return peerFor(uid).on("EnqueueMarkedJobs", (c, s) -> s.reply(c, "ao", jobs));
  }

  /** Case 2: JobRemoved signals with 48 KiB paths, 1024 of them. */
  FakePeer heapFiller(int uid) {
    String big = JOB + "1".repeat(48 * 1024);
    return peerFor(uid).on("TryRestartUnit", (c, s) -> {
      s.reply(c, "o", JOB + "1");
      for (int i = 0; i < 1024; i++) {
        s.jobRemoved(i, big + i, UNIT, "done");
      }
    });
  }

  /** Case 3: replies to serials never used, streamed without pause until the client hangs up. */
  FakePeer busy(int uid) {
    List<Object[]> fields = List.<Object[]>of(new Object[] {5, "u", 4_000_000_000L});
    byte[] one = FakePeer.Message.encode(FakePeer.METHOD_RETURN, 7, fields, "");
    byte[] block = new byte[one.length * 512];
    for (int i = 0; i < 512; i++) {
      System.arraycopy(one, 0, block, i * one.length, one.length);
    }
    return peerFor(uid).on("TryRestartUnit", (c, s) -> {
      s.reply(c, "o", JOB + "1");
      while (true) {
        s.write(block); // ends with an IOException once the client is gone
      }
    });
  }

  static final String EVIL = "\u001b[2J\r\n<0>forged line\u0007\u009b31m\u0085\u2028" + "x".repeat(10_000);

  /** Case 4: text full of controls wherever a peer's text can go. */
  FakePeer injector(int uid) {
    FakePeer p = peerFor(uid).on("TryRestartUnit", (c, s) -> {
      s.error(c, "org.example.Evil", EVIL);
      s.jobRemoved(3, JOB + "3", "app.service\u001b[31m", "done");
    });
    p.version = EVIL;
    return p;
  }

  @Test
  void hostilePeersFailAloneBoundedAndCleanWhileHealthyUsersAreServed() throws Exception {
    user(1000, peerFor(1000));
    user(2001, tooManyMarkedJobs(2001));
    user(2002, longMarkedPaths(2002));
    user(2003, maxMarkedJobsNeverEnding(2003));
    user(2004, heapFiller(2004));
    user(2005, busy(2005));
    user(2006, injector(2006));
    user(1001, peerFor(1001));
    StringWriter logged = new StringWriter();
    Log log = new Log(new PrintWriter(logged), Log.Level.DEBUG, true, "");

    long start = System.nanoTime();
    List<Outcome> outcomes = run(log);
    long took = (System.nanoTime() - start) / 1_000_000;

    assertTrue(took < DEADLINE.toMillis() + MARGIN_MILLIS, "took " + took + " ms");
    Map<Integer, Outcome> byUid = new LinkedHashMap<>();
    outcomes.forEach(o -> byUid.put(o.user().uid(), o));
    for (int healthy : List.of(1000, 1001)) {
      Outcome.Restarted r = assertInstanceOf(Outcome.Restarted.class, byUid.get(healthy), brief(byUid.get(healthy)));
      assertEquals(List.of(new UnitResult(UNIT, JobAction.TRY_RESTART, Result.JobEnd.DONE, "")), r.units());
    }
    for (int hostile : List.of(2001, 2002, 2003, 2004, 2005, 2006)) {
      Outcome o = byUid.get(hostile);
      assertFalse(o.ok(), brief(o));
      // Each ended by its own deadline or failure, none had to be given up on from outside.
      assertNotEquals("run", Report.step(o), brief(o)); // the step word, as the report shows it
    }
    // Their marks stay pending for the next run, but where the marked unit's own job was done.
    for (int hostile : List.of(2001, 2002, 2004, 2005, 2006)) {
      Outcome o = byUid.get(hostile);
      assertEquals(Set.of(), o.settled(Set.of(new Mark(Mark.Kind.RESTART, UNIT))), brief(o));
    }
    assertTrue(Report.error(byUid.get(2001)).contains("protocol error: 1025 marked jobs"), Report.error(byUid.get(2001)));
    assertTrue(Report.error(byUid.get(2002)).contains("protocol error: not a job path"), Report.error(byUid.get(2002)));
    assertEquals("wait-jobs", Report.step(byUid.get(2003)));
    assertEquals(1025, byUid.get(2003).units().size());
    assertTrue(Report.error(byUid.get(2004)) != null, brief(byUid.get(2004)));
    // Cut at its deadline, or once it sent 64 MiB nobody asked for, whichever comes first.
    assertEquals("restart", Report.step(byUid.get(2005)));

    assertReportsBoundedAndClean(outcomes);
    assertLogClean(logged.toString());
  }

  /* Per user at most 64 KiB, human and JSON; no control character, no padding to a peer's width. */
  static void assertReportsBoundedAndClean(List<Outcome> outcomes) {
    for (Outcome o : outcomes) {
      for (boolean json : List.of(false, true)) {
        String text = write(Report.of(json, false), List.of(o));
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes <= Report.MAX_USER_BYTES + 200, o.user().label() + ": " + bytes + " bytes, json " + json);
        assertClean(text);
        if (!json) {
          for (String line : text.lines().toList()) {
            assertFalse(line.contains(" ".repeat(60)), "padded: " + line.substring(0, Math.min(line.length(), 200)));
          }
        }
      }
    }
    String all = write(Report.of(false, false), outcomes);
    assertTrue(all.length() < outcomes.size() * (Report.MAX_USER_BYTES + 200), all.length() + " characters");
  }

  static void assertLogClean(String logged) {
    assertClean(logged);
    for (String line : logged.lines().toList()) {
      assertTrue(line.matches("<[3-7]>.*"), "a line without its priority: " + line);
      assertTrue(line.length() <= Log.MAX_LINE + 3, line.length() + " characters");
    }
  }

  /** No control character but the line ends. */
  static void assertClean(String text) {
    for (String line : text.lines().toList()) {
      for (char c : line.toCharArray()) {
        assertFalse(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029',
            "control character " + (int) c + " in: " + line.substring(0, Math.min(line.length(), 300)));
      }
    }
  }

  /** An outcome in a line: its units can be a thousand. */
  static String brief(Outcome o) {
    return o.user().label() + " " + Report.status(o) + " at " + Report.step(o) + ": "
        + Report.error(o) + " (" + o.units().size() + " units)";
  }

  static String write(Report report, List<Outcome> outcomes) {
    StringWriter s = new StringWriter();
    report.write(outcomes, false, new PrintWriter(s));
    return s.toString();
  }

  /**
   * Several busy peers at once, each cut at its deadline or once it sent 64 MiB that nobody asked
   * for; the healthy one is served meanwhile.
   */
  @Test
  void busyPeersAreCutAtTheirDeadlines() throws Exception {
    user(1000, peerFor(1000));
    for (int uid = 2001; uid <= 2003; uid++) {
      user(uid, busy(uid));
    }
    long start = System.nanoTime();
    List<Outcome> outcomes = run(Log.silent());
    long took = (System.nanoTime() - start) / 1_000_000;
    assertTrue(took < DEADLINE.toMillis() + MARGIN_MILLIS, "took " + took + " ms");
    assertInstanceOf(Outcome.Restarted.class, outcomes.get(0), brief(outcomes.get(0)));
    for (Outcome o : outcomes.subList(1, outcomes.size())) {
      assertFalse(o.ok(), brief(o));
      assertEquals("restart", Report.step(o), brief(o));
    }
    // No worker outlives its user's deadline: the links stop reading at it.
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 5000), "workers still running");
  }

  /** What a report line of a job that never ended looks like: its path, unpadded. */
  @Test
  void theReportOfTheMostMarkedJobsIsCutAndSaysHowManyAreNotShown() throws Exception {
    user(2003, maxMarkedJobsNeverEnding(2003));
    List<Outcome> outcomes = run(Log.silent());
    String human = write(Report.of(false, false), outcomes);
    assertTrue(human.contains("units not shown)"), human.substring(0, 500));
    String json = write(Report.of(true, false), outcomes);
    assertTrue(json.contains("\"unitsNotShown\":"), json.substring(0, 500));
    List<String> unitLines = new ArrayList<>(human.lines().filter(l -> l.startsWith("  " + JOB)).toList());
    assertTrue(unitLines.size() > 100, unitLines.size() + " lines");
  }
}
