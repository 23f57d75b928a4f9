// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import static net.userrestart.bench.Box.DIR;
import static net.userrestart.bench.Box.RUN_TIMEOUT;
import static net.userrestart.bench.Box.UNIT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import net.userrestart.bench.Box.Timed;
import net.userrestart.bench.Box.UnitState;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxSpec;

/** Boots one sandbox per number of users and times both ways in it. */
final class Runner {
  /** Pause between runs, so work a manager does after a run ends is not counted in the next. */
  static final long SETTLE_MILLIS = 1000;

  private final Options options;
  private final String tool;
  private final List<String> rawLines = new ArrayList<>();

  Runner(Options options) {
    this.options = options;
    this.tool = options.project().resolve("bin/systemd-user-restart").toString();
  }

  /** The line of every timed run so far, for the report. */
  List<String> rawLines() {
    return Collections.unmodifiableList(rawLines);
  }

  Row measure(int n) {
    SandboxSpec spec =
        SandboxSpec.of(n)
            .withUserUnit(UNIT, Box.UNIT_FILE)
            .withBindReadOnly(options.project())
            .withBootTimeout(Duration.ofSeconds(120).plusMillis(1000L * n));
    String loadBefore = load();
    try (Sandbox sandbox = Sandbox.boot(spec, line -> System.err.println("benchmark: " + line))) {
      Box box = new Box(sandbox);
      box.install();
      // Untimed warm-up of both ways: page cache, the users' D-Bus daemons the rpm way needs.
      if (options.runTheirs()) {
        runTheirs(box, "warm-up");
      }
      if (options.runOurs()) {
        if (options.trainCds() && !Files.exists(options.archive())) {
          train(box);
        }
        runOurs(box, "warm-up", List.of());
      }
      List<Double> starts = new ArrayList<>();
      for (int i = 0; i < options.starts(); i++) {
        Timed t = box.timed("start", List.of(), tool, "--version");
        if (t.exit() != 0) {
          throw new IllegalStateException("--version failed: " + box.text("start.err"));
        }
        starts.add(t.seconds());
      }
      List<Run> ours = new ArrayList<>();
      List<Run> theirs = new ArrayList<>();
      for (int rep = 1; rep <= options.reps(); rep++) {
        if (options.runOurs()) {
          ours.add(runOurs(box, "rep " + rep, options.javaOptions()));
        }
        if (options.runTheirs()) {
          theirs.add(runTheirs(box, "rep " + rep));
        }
      }
      int threads = options.runOurs() ? exactThreads(box) : 0;
      return new Row(n, ours, theirs, starts, threads, loadBefore, load());
    }
  }

  private Run runOurs(Box box, String what, List<String> javaOptions) {
    box.sandbox
        .exec(Duration.ofSeconds(30), "/bin/sh", "-c",
            "mkdir -p /run/systemd-user-restart/restart && true >/run/systemd-user-restart/restart/" + UNIT)
        .orThrow("marking for our tool");
    Map<Integer, UnitState> before = box.states();
    List<String> argv = new ArrayList<>(javaOptions.isEmpty() ? List.of(tool) : java(javaOptions));
    argv.addAll(List.of("--all-users", "--quiet"));
    argv.addAll(options.toolArgs());
    settle();
    long cpu0 = box.managerCpuMicros();
    long all0 = box.sandboxCpuMicros();
    // Nothing of the benchmark's own (such as sampling /proc) runs meanwhile: it would take the
    // managers' CPU during our runs only.
    Timed t = box.timed("ours", List.of(), argv.toArray(String[]::new));
    long cpu1 = box.managerCpuMicros();
    long all1 = box.sandboxCpuMicros();
    Map<Integer, UnitState> after = box.states();
    String[] rusage = box.text("ours.time").strip().split("\\s+");
    double rssMb = Long.parseLong(rusage[rusage.length - 3]) / 1024.0;
    double toolCpu = Double.parseDouble(rusage[rusage.length - 2]) + Double.parseDouble(rusage[rusage.length - 1]);
    String problem = verify(before, after, false);
    boolean consumed = !box.sandbox.exec(Duration.ofSeconds(30), "test", "-e", "/run/systemd-user-restart/restart/" + UNIT).ok();
    if (t.exit() != 0) {
      problem = "exit " + t.exit() + ": " + box.text("ours.err").strip();
    } else if (problem == null && !consumed) {
      problem = "the mark was not consumed";
    }
    Run r = new Run(t.seconds(), (cpu1 - cpu0) / 1e6, (all1 - all0) / 1e6, toolCpu, rssMb, problem == null);
    log(box, "ours", what, r, problem);
    return r;
  }

  private Run runTheirs(Box box, String what) {
    List<String> mark = new ArrayList<>(List.of("/bin/sh", DIR + "/mark-theirs.sh", UNIT));
    box.uids().forEach(u -> mark.add(Integer.toString(u)));
    ExecResult marked = box.sandbox.exec(RUN_TIMEOUT, mark.toArray(String[]::new));
    if (!marked.ok() || !marked.stderr().isBlank()) {
      throw new IllegalStateException("marking the rpm way failed: " + marked);
    }
    Map<Integer, UnitState> before = box.states();
    settle();
    long cpu0 = box.managerCpuMicros();
    long all0 = box.sandboxCpuMicros();
    Timed t = box.timed("theirs", List.of(), "/bin/sh", DIR + "/rpm-helper.sh");
    long cpu1 = box.managerCpuMicros();
    long all1 = box.sandboxCpuMicros();
    Map<Integer, UnitState> after = box.states();
    String problem = verify(before, after, true);
    String err = box.text("theirs.err").strip();
    if (t.exit() != 0 || !err.isEmpty()) {
      problem = "exit " + t.exit() + ": " + err;
    }
    Run r = new Run(t.seconds(), (cpu1 - cpu0) / 1e6, (all1 - all0) / 1e6, 0, 0, problem == null);
    log(box, "theirs", what, r, problem);
    return r;
  }

  /** Null when every user's unit is active with a new MainPID (and, the rpm way, unmarked). */
  private static String verify(Map<Integer, UnitState> before, Map<Integer, UnitState> after, boolean markers) {
    List<String> bad = new ArrayList<>();
    before.forEach(
        (uid, b) -> {
          UnitState a = after.get(uid);
          if (a == null || a.mainPid().equals(b.mainPid()) || !a.activeState().equals("active") || a.mainPid().equals("0")) {
            bad.add(uid + ": " + b + " -> " + a);
          } else if (markers && (!b.markers().contains("needs-restart") || !a.markers().isEmpty())) {
            bad.add(uid + ": markers " + b.markers() + " -> " + a.markers());
          }
        });
    return bad.isEmpty() ? null : "not restarted: " + bad.stream().limit(5).collect(Collectors.joining("; "))
        + (bad.size() > 5 ? " and " + (bad.size() - 5) + " more" : "");
  }

  private void log(Box box, String way, String what, Run r, String problem) {
    String line =
        String.format(
            Locale.ROOT,
            "N=%d %-6s %-7s wall %.3f s, manager CPU %.3f s, sandbox CPU %.3f s%s%s",
            box.sandbox.users().size(), way, what, r.wall(), r.managerCpu(), r.sandboxCpu(),
            way.equals("ours") ? String.format(Locale.ROOT, ", tool CPU %.2f s, RSS %.1f MB", r.toolCpu(), r.rssMb()) : "",
            problem == null ? ", all " + box.sandbox.users().size() + " units restarted" : ", FAILED: " + problem);
    System.err.println("benchmark: " + line);
    if (!what.equals("warm-up") && !what.equals("cds-training")) {
      rawLines.add(line + " (load " + load() + ")");
    }
  }

  /*
   * Our tool started as its launcher starts it, with JVM options of the benchmark's own: the
   * launcher, run as root, ignores the JVM's option variables, so such runs start java directly.
   */
  private List<String> java(List<String> javaOptions) {
    List<String> argv = new ArrayList<>(List.of("java"));
    argv.addAll(launcherFlags(Path.of(tool)));
    argv.addAll(javaOptions);
    argv.addAll(List.of("-jar", options.jar().toString()));
    return argv;
  }

  /* The JVM flags the launcher sets: its lines flags="..." (the later ones add to $flags). */
  static List<String> launcherFlags(Path launcher) {
    String flags = "";
    try {
      for (String line : Files.readAllLines(launcher)) {
        String l = line.strip();
        if (l.startsWith("flags=\"") && l.endsWith("\"")) {
          flags = l.substring("flags=\"".length(), l.length() - 1).replace("$flags", flags);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + launcher, e);
    }
    return List.of(flags.strip().split("\\s+"));
  }

  /* The class-data archive from a real run (see ClassDataArchive), in place for the launcher. */
  private void train(Box box) {
    List<String> opts = new ArrayList<>(options.javaOptions());
    opts.add("-XX:ArchiveClassesAtExit=" + ClassDataArchive.DUMP);
    Run r = runOurs(box, "cds-training", opts);
    if (!r.verified() || !Files.isRegularFile(box.sandbox.hostPath(ClassDataArchive.DUMP))) {
      throw new IllegalStateException("training the class-data archive failed: " + box.text("ours.err"));
    }
    ClassDataArchive.adopt(box, options.archive(), options.jar(), tool);
  }

  /* The exact peak of live JVM threads, from the JVM's own thread log, in one more (untimed) run. */
  private int exactThreads(Box box) {
    List<String> opts = new ArrayList<>(options.javaOptions());
    opts.add("-Xlog:os+thread=info:file=" + DIR + "/threads.log");
    Run r = runOurs(box, "threads", opts);
    if (!r.verified()) {
      return -1;
    }
    int live = 0;
    int peak = 0;
    for (String line : box.text("threads.log").split("\n")) {
      if (line.contains("Thread attached") || line.contains("Thread is alive")) {
        live++;
      } else if (line.contains("Thread finished") || line.contains("Thread detached")) {
        live--;
      }
      peak = Math.max(peak, live);
    }
    return peak;
  }

  private static void settle() {
    try {
      Thread.sleep(SETTLE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The host's load averages, "?" if unknown. */
  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }
}
