// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import static net.userrestart.bench.Box.DIR;
import static net.userrestart.bench.Box.RUN_TIMEOUT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.userrestart.bench.Box.Timed;
import net.userrestart.bench.Box.UnitState;
import net.userrestart.bench.Options.Case;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxSpec;

/** Boots one sandbox per number of users (and share running the unit) and times every way in it. */
final class Runner {
  /** Pause between runs, so work a manager does after a run ends is not counted in the next. */
  static final long SETTLE_MILLIS = 1000;

  private final Options options;
  private final List<String> rawLines = new ArrayList<>();
  /** What the sandboxes ran: systemd, the JVM, upstream's verb, the archive; for the report. */
  private final Map<String, String> environment = new LinkedHashMap<>();
  private int version;

  Runner(Options options) {
    this.options = options;
  }

  /** The line of every timed run so far, for the report. */
  List<String> rawLines() {
    return Collections.unmodifiableList(rawLines);
  }

  Map<String, String> environment() {
    return Collections.unmodifiableMap(environment);
  }

  Row measure(int n, int runningPercent) {
    SandboxSpec spec =
        SandboxSpec.of(n)
            .withBindReadOnly(options.project())
            .withBootTimeout(Duration.ofSeconds(120).plusMillis(1000L * n));
    if (options.benchCase() != Case.ONE_PACKAGE) {
      spec = spec.withUserUnit(Box.UNIT, Box.UNIT_FILE);
    }
    if (options.root() != null) {
      spec = spec.withRoot(options.root());
    }
    String loadBefore = load();
    try (Sandbox sandbox = Sandbox.boot(spec, line -> System.err.println("benchmark: " + line))) {
      Box box = new Box(sandbox);
      environment.put("upstream's verb per user", box.install(options.project(), options.archive()));
      environment.put("systemd", box.systemdVersion());
      environment.put("Java", box.javaVersion());
      if (options.benchCase() == Case.MARKING) {
        return marking(box, loadBefore);
      }
      String unit = Box.UNIT;
      Set<Integer> running = new TreeSet<>(box.uids());
      if (options.benchCase() == Case.ONE_PACKAGE) {
        unit = Box.PACKAGE_UNIT;
        running = startPackageUnit(box, runningPercent);
      }
      List<Way> ways = options.ways();
      // Untimed warm-up of every way: page cache, the users' D-Bus daemons the rpm way needs,
      // and the launcher's archive, made by its first real run as on a real system.
      for (Way w : ways) {
        run(box, w, unit, running, "warm-up", List.of());
      }
      if (options.archive() && ways.stream().anyMatch(Way::ours)) {
        String archive = box.archiveName();
        if (archive.isEmpty()) {
          throw new IllegalStateException("the launcher made no archive in its first run");
        }
        environment.put("archive", archive);
      }
      List<Double> starts = new ArrayList<>();
      for (int i = 0; i < options.starts(); i++) {
        Timed t = box.timed("start", List.of(), Box.TOOL, "--version");
        if (t.exit() != 0) {
          throw new IllegalStateException("--version failed: " + box.text("start.err"));
        }
        starts.add(t.seconds());
      }
      Map<String, List<Run>> runs = new LinkedHashMap<>();
      for (int rep = 1; rep <= options.reps(); rep++) {
        for (Way w : ways) {
          runs.computeIfAbsent(w.label(), k -> new ArrayList<>()).add(run(box, w, unit, running, "rep " + rep, options.javaOptions()));
        }
      }
      Way first = ways.stream().filter(Way::ours).findFirst().orElse(null);
      int threads = first != null && options.benchCase() == Case.RESTART ? exactThreads(box, first) : 0;
      return new Row(n, runningPercent, runs, starts, threads, loadBefore, load());
    }
  }

  /* The one-package case's unit, shipped unenabled, started for the given share of the users. */
  private Set<Integer> startPackageUnit(Box box, int percent) {
    box.sandbox.writeFile(Box.PACKAGE_UNIT_PATH, packageUnit(version));
    List<Integer> uids = box.uids();
    int count = Math.max(1, (uids.size() * percent + 99) / 100);
    Set<Integer> chosen = new TreeSet<>(uids.subList(0, count));
    String script = Box.perUserSetup("\"$@\"", "start " + Box.PACKAGE_UNIT);
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
    chosen.forEach(u -> cmd.add(Integer.toString(u)));
    ExecResult r = box.sandbox.exec(RUN_TIMEOUT, cmd.toArray(String[]::new));
    if (!r.ok() || !r.stderr().isBlank()) {
      throw new IllegalStateException("starting " + Box.PACKAGE_UNIT + " failed: " + r);
    }
    return chosen;
  }

  /* Version v of the package's unit: the upgrade writes the next one (new content, new mtime). */
  private static String packageUnit(int v) {
    return "[Unit]\nDescription=sur-bench-pkg-v" + v + "\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep infinity\n";
  }

  private Run run(Box box, Way way, String unit, Set<Integer> running, String what, List<String> javaOptions) {
    String expectedDescription = null;
    if (options.benchCase() == Case.ONE_PACKAGE) {
      version++;
      box.sandbox.writeFile(Box.PACKAGE_UNIT_PATH, packageUnit(version));
      expectedDescription = "sur-bench-pkg-v" + version;
    }
    boolean restarts = way.kind() != Way.Kind.REEXEC_ALONE;
    if (restarts) {
      ExecResult marked =
          box.sandbox.exec(RUN_TIMEOUT, "/bin/sh", DIR + (way.ours() ? "/mark-ours.sh" : "/mark-upstream-setup.sh"), unit);
      if (!marked.ok() || !marked.stderr().isBlank()) {
        throw new IllegalStateException("marking for " + way.label() + " failed: " + marked);
      }
    }
    Map<Integer, UnitState> before = box.states(unit);
    List<String> argv = new ArrayList<>();
    if (way.ours()) {
      argv.addAll(javaOptions.isEmpty() ? List.of(Box.TOOL) : java(javaOptions));
      argv.addAll(List.of("--all-users", "--quiet"));
      argv.addAll(way.toolArgs());
    } else {
      argv.addAll(List.of("/bin/sh", Box.script(way.kind())));
    }
    settle();
    long cpu0 = box.managerCpuMicros();
    long all0 = box.sandboxCpuMicros();
    // Nothing of the benchmark's own (such as sampling /proc) runs meanwhile: it would take the
    // managers' CPU during some runs only.
    Timed t = box.timed(way.label(), List.of(), argv.toArray(String[]::new));
    long cpu1 = box.managerCpuMicros();
    long all1 = box.sandboxCpuMicros();
    Map<Integer, UnitState> after = box.states(unit);
    String problem =
        restarts ? verify(before, after, running, expectedDescription, !way.ours()) : kept(before, after);
    double rssMb = 0;
    double toolCpu = 0;
    // systemctl 262 warns that the older way's --marked is deprecated: no failure.
    String err = box.text(way.label() + ".err").lines().filter(l -> !l.contains(" is deprecated."))
        .collect(Collectors.joining("\n")).strip();
    if (way.ours()) {
      String[] rusage = box.text(way.label() + ".time").strip().split("\\s+");
      rssMb = Long.parseLong(rusage[rusage.length - 3]) / 1024.0;
      toolCpu = Double.parseDouble(rusage[rusage.length - 2]) + Double.parseDouble(rusage[rusage.length - 1]);
      boolean consumed = !box.sandbox.exec(Duration.ofSeconds(30), "test", "-e", "/run/systemd-user-restart/restart/" + unit).ok();
      if (t.exit() != 0) {
        problem = "exit " + t.exit() + ": " + err;
      } else if (problem == null && !consumed) {
        problem = "the mark was not consumed";
      }
    } else if (t.exit() != 0 || !err.isEmpty()) {
      problem = "exit " + t.exit() + ": " + err;
    }
    Run r = new Run(t.seconds(), (cpu1 - cpu0) / 1e6, (all1 - all0) / 1e6, toolCpu, rssMb, problem == null);
    log(box, way.label(), what, r, way.ours(), problem);
    return r;
  }

  /*
   * Null when every running user's unit is active with a new MainPID (and the new description,
   * if given; upstream's way: unmarked), and no other user's unit was started.
   */
  private static String verify(
      Map<Integer, UnitState> before, Map<Integer, UnitState> after, Set<Integer> running, String description, boolean markers) {
    List<String> bad = new ArrayList<>();
    before.forEach(
        (uid, b) -> {
          UnitState a = after.get(uid);
          if (!running.contains(uid)) {
            if (a == null || a.activeState().equals("active")) {
              bad.add(uid + ": started, not running before: " + b + " -> " + a);
            }
          } else if (a == null || a.mainPid().equals(b.mainPid()) || !a.activeState().equals("active") || a.mainPid().equals("0")) {
            bad.add(uid + ": " + b + " -> " + a);
          } else if (description != null && !a.description().equals(description)) {
            bad.add(uid + ": runs " + a.description() + ", not " + description);
          } else if (markers && (!b.markers().contains("needs-restart") || !a.markers().isEmpty())) {
            bad.add(uid + ": markers " + b.markers() + " -> " + a.markers());
          }
        });
    return bad.isEmpty() ? null : "not restarted: " + bad.stream().limit(5).collect(Collectors.joining("; "))
        + (bad.size() > 5 ? " and " + (bad.size() - 5) + " more" : "");
  }

  /* Null when every user's unit still runs with the MainPID it had: nothing was restarted. */
  private static String kept(Map<Integer, UnitState> before, Map<Integer, UnitState> after) {
    List<String> bad = new ArrayList<>();
    before.forEach(
        (uid, b) -> {
          UnitState a = after.get(uid);
          if (a == null || !a.mainPid().equals(b.mainPid()) || !a.activeState().equals(b.activeState())) {
            bad.add(uid + ": " + b + " -> " + a);
          }
        });
    return bad.isEmpty() ? null : "changed: " + bad.stream().limit(5).collect(Collectors.joining("; "))
        + (bad.size() > 5 ? " and " + (bad.size() - 5) + " more" : "");
  }

  /*
   * Marking one unit of one package, as %postun does on upgrade: ours writes one file (the
   * macro's shell, timed as rpm runs a scriptlet: one sh); upstream's asks every user manager.
   * CPU is the whole sandbox's: the shells, systemctl, PID 1 and the managers.
   */
  private Row marking(Box box, String loadBefore) {
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    for (int rep = 0; rep <= options.reps(); rep++) {
      for (String way : List.of("ours", "upstream")) {
        settle();
        long all0 = box.sandboxCpuMicros();
        Timed t = box.timed("mark-" + way, List.of(), "/bin/sh", DIR + "/mark-" + way + ".sh", Box.UNIT);
        long all1 = box.sandboxCpuMicros();
        String err = box.text("mark-" + way + ".err").strip();
        boolean ok = t.exit() == 0 && err.isEmpty();
        if (way.equals("ours")) {
          ok &= box.sandbox.exec(RUN_TIMEOUT, "rm", "/run/systemd-user-restart/restart/" + Box.UNIT).ok();
        }
        Run r = new Run(t.seconds(), 0, (all1 - all0) / 1e6, 0, 0, ok);
        log(box, "mark-" + way, rep == 0 ? "warm-up" : "rep " + rep, r, false, ok ? null : "exit " + t.exit() + ": " + err);
        if (rep > 0) {
          runs.computeIfAbsent(way, k -> new ArrayList<>()).add(r);
        }
      }
    }
    return new Row(box.uids().size(), 100, runs, List.of(), 0, loadBefore, load());
  }

  private void log(Box box, String way, String what, Run r, boolean ours, String problem) {
    String line =
        String.format(
            Locale.ROOT,
            "N=%d %-8s %-7s wall %.3f s, manager CPU %.3f s, sandbox CPU %.3f s%s%s",
            box.sandbox.users().size(), way, what, r.wall(), r.managerCpu(), r.sandboxCpu(),
            ours ? String.format(Locale.ROOT, ", tool CPU %.2f s, RSS %.1f MB", r.toolCpu(), r.rssMb()) : "",
            problem == null ? ", verified" : ", FAILED: " + problem);
    System.err.println("benchmark: " + line);
    if (!what.equals("warm-up")) {
      rawLines.add(line + " (load " + load() + ")");
    }
  }

  /*
   * Our tool started as its launcher starts it, with JVM options of the benchmark's own: the
   * launcher, run as root, ignores the JVM's option variables, so such runs start java directly.
   */
  private List<String> java(List<String> javaOptions) {
    List<String> argv = new ArrayList<>(List.of("java"));
    argv.addAll(launcherFlags(options.project().resolve("bin/systemd-user-restart")));
    argv.addAll(javaOptions);
    argv.addAll(List.of("-jar", Box.JAR));
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

  /* The exact peak of live JVM threads, from the JVM's own thread log, in one more (untimed) run. */
  private int exactThreads(Box box, Way way) {
    List<String> opts = new ArrayList<>(options.javaOptions());
    opts.add("-Xlog:os+thread=info:file=" + DIR + "/threads.log");
    Run r = run(box, way, Box.UNIT, new TreeSet<>(box.uids()), "warm-up", opts);
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
