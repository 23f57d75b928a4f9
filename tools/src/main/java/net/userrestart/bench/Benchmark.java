// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;

/**
 * Benchmark of issue 6, not a test: for each number of lingering users it boots a systemd sandbox
 * whose users each run one unit, marks that unit, and times (a) {@code systemd-user-restart
 * --all-users} against (b) what the rpm shell helper does: {@code systemctl --user -M UID@
 * daemon-reexec} for all users in parallel, then {@code reload-or-restart --marked} likewise.
 * Both must restart the unit of every user (its MainPID changes). See {@link #usage()}.
 */
public final class Benchmark {
  static final String UNIT = "sur-bench.service";
  static final String UNIT_FILE = Trial.sleeper("benchmark sleeper");
  static final String DIR = "/run/bench";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);
  /** Pause between runs, so work a manager does after a run ends is not counted in the next. */
  static final long SETTLE_MILLIS = 1000;

  /* timed.sh LABEL CMD...: prints "EXIT WALL_NS". "MAXRSS_KB USER_S SYS_S" of CMD (the launcher
   * execs java, so the JVM's) go to LABEL.time, its output to LABEL.out and LABEL.err. The clock
   * runs around time(1), which costs about a millisecond. */
  static final String TIMED =
      "label=$1\nshift\nd=" + DIR + "\nrm -f \"$d/$label.time\"\n"
          + "s=$(date +%s%N)\n"
          + "/usr/bin/time -f '%M %U %S' -o \"$d/$label.time\""
          + " \"$@\" >\"$d/$label.out\" 2>\"$d/$label.err\"\n"
          + "rc=$?\ne=$(date +%s%N)\necho \"$rc $((e - s))\"\n";

  /* The rpm helper's way (systemd's systemd-update-helper, user-reexec then user-restart): the
   * users from PID 1, each step for all users in parallel. */
  static final String RPM_HELPER =
      "users=$(systemctl list-units 'user@*' --legend=no | sed -n -r 's/.*user@([0-9]+).service.*/\\1/p')\n"
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" daemon-reexec || echo \"daemon-reexec failed: $user\" >&2 &\n"
          + "done\nwait\n"
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" reload-or-restart --marked || echo \"reload-or-restart failed: $user\" >&2 &\n"
          + "done\nwait\n";

  /* mark-theirs.sh UNIT UID...: systemd's own marker, set the way the rpm macros do. */
  static final String MARK_THEIRS =
      "unit=$1\nshift\nfor uid in \"$@\"; do\n"
          + "  systemctl --user -M \"$uid@\" set-property \"$unit\" Markers=+needs-restart"
          + " || echo \"marking failed: $uid\" >&2 &\ndone\nwait\n";

  /* state.sh UNIT UID...: "UID MainPID=… ActiveState=… Markers=…" per user, asked over the user
   * manager's private socket as the user, the way systemctl --user does. */
  static final String STATE =
      "unit=$1\nshift\nfor uid in \"$@\"; do\n"
          + "  out=$(setpriv --reuid=\"$uid\" --regid=\"$uid\" --clear-groups env XDG_RUNTIME_DIR=/run/user/$uid"
          + " systemctl --user show -p MainPID -p ActiveState -p Markers \"$unit\" | tr '\\n' ' ')\n"
          + "  echo \"$uid $out\"\ndone\n";

  private final Options options;
  private final int cores = Runtime.getRuntime().availableProcessors();
  private final String tool;
  private final List<String> rawLines = new ArrayList<>();

  private Benchmark(Options options) {
    this.options = options;
    this.tool = options.project.resolve("bin/systemd-user-restart").toString();
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("benchmark: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    if (options.help) {
      System.out.println(usage());
      return;
    }
    System.exit(new Benchmark(options).run());
  }

  static String usage() {
    return String.join(
        "\n",
        "Usage: Benchmark [--users 1,10,40,100] [--reps 3] [--starts 5] [--only ours|theirs]",
        "                 [--tool-args 'ARGS'] [--java-options 'OPTS'] [--cds as-is|train]",
        "                 [--out FILE] [--project DIR]",
        "  --users         lingering users per sandbox, one sandbox each (default 1,10,40,100)",
        "  --reps          timed runs of each way per sandbox; medians are reported (default 3)",
        "  --starts        runs of 'systemd-user-restart --version' for the JVM start (default 5)",
        "  --only          time one way only (for experiments)",
        "  --tool-args     more arguments for our tool, e.g. '--jobs 4' (for experiments)",
        "  --java-options  JAVA_TOOL_OPTIONS for our tool's timed runs (for experiments)",
        "  --cds           as-is: use target/systemd-user-restart.jsa if the build left one (default);",
        "                  train: make one first from a real run in the first sandbox (removed after)",
        "  --out           Markdown report (default target/benchmark.md)",
        "Needs root, a built jar (mvn package) and /usr/bin/time (Debian package time).",
        "Run it with: mvn -Pbench -DskipTests package [-Dbench.args='--users 1,10 --reps 5']");
  }

  private int run() throws IOException {
    Path jar = options.project.resolve("target/systemd-user-restart.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": run mvn package first");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/time"))) {
      throw new IllegalStateException("/usr/bin/time is missing: install the Debian package time");
    }
    Path archive = options.project.resolve("target/systemd-user-restart.jsa");
    if (options.trainCds) {
      deleteArchive(archive);
    }
    String loadBefore = load();
    Instant started = Instant.now();
    List<Row> rows = new ArrayList<>();
    boolean allVerified = true;
    for (int n : options.users) {
      Row row = measure(n);
      rows.add(row);
      allVerified &= row.verified;
      System.err.println("benchmark: " + row.summary(cores));
    }
    String loadAfter = load();
    String cds = options.trainCds ? "trained by the benchmark (one real run), removed after"
        : Files.isRegularFile(archive) ? "present (left by the build)" : "absent";
    if (options.trainCds) {
      deleteArchive(archive);
    }
    String report =
        report(rows, cds, loadBefore, loadAfter, Duration.between(started, Instant.now()));
    System.out.println();
    System.out.println(report);
    Path out = options.out.isAbsolute() ? options.out : options.project.resolve(options.out);
    Files.createDirectories(out.getParent());
    Files.writeString(out, report, StandardCharsets.UTF_8);
    System.err.println("benchmark: wrote " + options.project.relativize(out.toAbsolutePath()));
    if (!allVerified) {
      System.err.println("benchmark: a run did not restart every unit; its numbers are not valid");
      return 1;
    }
    return 0;
  }

  // ---- One sandbox ----------------------------------------------------------------------------

  private Row measure(int n) {
    SandboxSpec spec =
        SandboxSpec.of(n)
            .withUserUnit(UNIT, UNIT_FILE)
            .withBindReadOnly(options.project)
            .withBootTimeout(Duration.ofSeconds(120).plusMillis(1000L * n));
    Row row = new Row(n);
    row.loadBefore = load();
    try (Sandbox sandbox = Sandbox.boot(spec, line -> System.err.println("benchmark: " + line))) {
      Box box = new Box(sandbox);
      box.install();
      // Untimed warm-up of both ways: page cache, the users' D-Bus daemons the rpm way needs.
      if (options.runTheirs()) {
        runTheirs(box, "warm-up");
      }
      if (options.runOurs()) {
        Path archive = options.project.resolve("target/systemd-user-restart.jsa");
        if (options.trainCds && !Files.exists(archive)) {
          train(box, archive);
        }
        runOurs(box, "warm-up", List.of());
      }
      for (int i = 0; i < options.starts; i++) {
        Timed t = box.timed("start", List.of(), tool, "--version");
        if (t.exit != 0) {
          throw new IllegalStateException("--version failed: " + box.text("start.err"));
        }
        row.starts.add(t.seconds());
      }
      for (int rep = 1; rep <= options.reps; rep++) {
        if (options.runOurs()) {
          Run r = runOurs(box, "rep " + rep, options.javaOptions);
          row.ours.add(r);
          row.verified &= r.verified;
        }
        if (options.runTheirs()) {
          Run r = runTheirs(box, "rep " + rep);
          row.theirs.add(r);
          row.verified &= r.verified;
        }
      }
      if (options.runOurs()) {
        row.exactThreads = exactThreads(box);
      }
      row.loadAfter = load();
    }
    return row;
  }

  private Run runOurs(Box box, String what, List<String> javaOptions) {
    box.sandbox
        .exec(Duration.ofSeconds(30), "/bin/sh", "-c",
            "mkdir -p /run/systemd-user-restart/restart && true >/run/systemd-user-restart/restart/" + UNIT)
        .orThrow("marking for our tool");
    Map<Integer, UnitState> before = box.states();
    List<String> env = javaOptions.isEmpty() ? List.of() : List.of("JAVA_TOOL_OPTIONS=" + String.join(" ", javaOptions));
    List<String> argv = new ArrayList<>(List.of(tool, "--all-users", "--quiet"));
    argv.addAll(options.toolArgs);
    settle();
    long cpu0 = box.managerCpuMicros();
    long all0 = box.sandboxCpuMicros();
    // Nothing of the benchmark's own (such as sampling /proc) runs meanwhile: it would take the
    // managers' CPU during our runs only.
    Timed t = box.timed("ours", env, argv.toArray(String[]::new));
    long cpu1 = box.managerCpuMicros();
    long all1 = box.sandboxCpuMicros();
    Map<Integer, UnitState> after = box.states();
    String[] rusage = box.text("ours.time").strip().split("\\s+");
    Run r = new Run(t.seconds(), (cpu1 - cpu0) / 1e6, (all1 - all0) / 1e6);
    r.rssMb = Long.parseLong(rusage[rusage.length - 3]) / 1024.0;
    r.toolCpu = Double.parseDouble(rusage[rusage.length - 2]) + Double.parseDouble(rusage[rusage.length - 1]);
    String problem = verify(before, after, false);
    boolean consumed = !box.sandbox.exec(Duration.ofSeconds(30), "test", "-e", "/run/systemd-user-restart/restart/" + UNIT).ok();
    if (t.exit != 0) {
      problem = "exit " + t.exit + ": " + box.text("ours.err").strip();
    } else if (problem == null && !consumed) {
      problem = "the mark was not consumed";
    }
    r.verified = problem == null;
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
    Run r = new Run(t.seconds(), (cpu1 - cpu0) / 1e6, (all1 - all0) / 1e6);
    String problem = verify(before, after, true);
    String err = box.text("theirs.err").strip();
    if (t.exit != 0 || !err.isEmpty()) {
      problem = "exit " + t.exit + ": " + err;
    }
    r.verified = problem == null;
    log(box, "theirs", what, r, problem);
    return r;
  }

  /** Null when every user's unit is active with a new MainPID (and, the rpm way, unmarked). */
  private static String verify(Map<Integer, UnitState> before, Map<Integer, UnitState> after, boolean markers) {
    List<String> bad = new ArrayList<>();
    before.forEach(
        (uid, b) -> {
          UnitState a = after.get(uid);
          if (a == null || a.mainPid.equals(b.mainPid) || !a.activeState.equals("active") || a.mainPid.equals("0")) {
            bad.add(uid + ": " + b + " -> " + a);
          } else if (markers && (!b.markers.contains("needs-restart") || !a.markers.isEmpty())) {
            bad.add(uid + ": markers " + b.markers + " -> " + a.markers);
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
            box.sandbox.users().size(), way, what, r.wall, r.managerCpu, r.sandboxCpu,
            way.equals("ours") ? String.format(Locale.ROOT, ", tool CPU %.2f s, RSS %.1f MB", r.toolCpu, r.rssMb) : "",
            problem == null ? ", all " + box.sandbox.users().size() + " units restarted" : ", FAILED: " + problem);
    System.err.println("benchmark: " + line);
    if (!what.equals("warm-up") && !what.equals("cds-training")) {
      rawLines.add(line + " (load " + load() + ")");
    }
  }

  /* A class-data archive for the launcher, dumped by the JVM that will use it at the jar's path,
   * from a real run: the project is read-only inside, so it is written below /run and copied. The
   * launcher takes an archive only when its mtime is the jar's and its .jvm stamp's the JVM's. */
  private void train(Box box, Path archive) {
    List<String> opts = new ArrayList<>(options.javaOptions);
    opts.add("-XX:ArchiveClassesAtExit=" + DIR + "/train.jsa");
    Run r = runOurs(box, "cds-training", opts);
    Path dumped = box.sandbox.hostPath(DIR + "/train.jsa");
    if (!r.verified || !Files.isRegularFile(dumped)) {
      throw new IllegalStateException("training the class-data archive failed: " + box.text("ours.err"));
    }
    String jar = options.project.resolve("target/systemd-user-restart.jar").toString();
    box.sandbox
        .exec(Duration.ofSeconds(30), "/bin/sh", "-c",
            "touch -r '" + jar + "' " + DIR + "/train.jsa && touch " + DIR + "/train.jsa.jvm"
                + " && touch -r \"$(readlink -f \"$(command -v java)\")\" " + DIR + "/train.jsa.jvm")
        .orThrow("stamping the class-data archive");
    // cp keeps the mtimes to the nanosecond, as the launcher compares them; Files.copy does not.
    copyKeepingTimes(dumped, archive);
    copyKeepingTimes(
        box.sandbox.hostPath(DIR + "/train.jsa.jvm"),
        jvmStamp(archive));
    // The stamping above repeats the launcher's rule; should the two part, the launcher would
    // silently start without the archive and every timed run would pay for it. Ask the launcher.
    ExecResult check =
        box.sandbox.exec(
            Duration.ofSeconds(30),
            "/bin/sh",
            "-c",
            "JAVA_TOOL_OPTIONS=-Xlog:class+load=info:file=" + DIR + "/cds-check.log "
                + tool + " --version >/dev/null 2>&1; grep -q 'shared objects file (top)' "
                + DIR + "/cds-check.log");
    if (!check.ok()) {
      throw new IllegalStateException("the launcher does not take the trained class-data archive");
    }
  }

  /* The launcher's stamp of the JVM an archive was made by, next to the archive. */
  private static Path jvmStamp(Path archive) {
    return archive.resolveSibling(archive.getFileName() + ".jvm");
  }

  private static void deleteArchive(Path archive) throws IOException {
    Files.deleteIfExists(archive);
    Files.deleteIfExists(jvmStamp(archive));
  }

  private static void copyKeepingTimes(Path from, Path to) {
    try {
      Process p =
          new ProcessBuilder("cp", "--preserve=timestamps", from.toString(), to.toString())
              .inheritIO()
              .start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("cannot copy " + from + " to " + to);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy " + from + " to " + to, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted copying " + from);
    }
  }

  /* The exact peak of live JVM threads, from the JVM's own thread log, in one more (untimed) run. */
  private int exactThreads(Box box) {
    List<String> opts = new ArrayList<>(options.javaOptions);
    opts.add("-Xlog:os+thread=info:file=" + DIR + "/threads.log");
    Run r = runOurs(box, "threads", opts);
    if (!r.verified) {
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

  // ---- Report -----------------------------------------------------------------------------------

  private String report(List<Row> rows, String cds, String loadBefore, String loadAfter, Duration took) {
    StringBuilder b = new StringBuilder();
    b.append("| N users | ours (s) | theirs (s) | theirs ÷ ours | floor (s) | JVM start (s)"
        + " | ours ÷ (floor + start) | our CPU (s) | peak RSS (MB) | peak threads |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %s | %s | %s | %.3f | %s | %s | %s | %s |\n",
              r.users,
              r.ours.isEmpty() ? "–" : f3(r.oursWall()),
              r.theirs.isEmpty() ? "–" : f3(r.theirsWall()),
              r.ours.isEmpty() || r.theirs.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f", r.theirsWall() / r.oursWall()),
              r.ours.isEmpty() ? "–" : f3(r.floor(cores)),
              median(r.starts, d -> d),
              r.ours.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f", r.oursWall() / (r.floor(cores) + median(r.starts, d -> d))),
              r.ours.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f", median(r.ours, x -> x.toolCpu)),
              r.ours.isEmpty() ? "–" : String.format(Locale.ROOT, "%.0f", r.ours.stream().mapToDouble(x -> x.rssMb).max().orElse(0)),
              r.exactThreads > 0 ? Integer.toString(r.exactThreads) : "–"));
    }
    b.append("\n");
    b.append(String.format(
        Locale.ROOT,
        "Medians of %d timed runs of each way per row (peaks: the largest), %d `--version` runs for the"
            + " JVM start; %d cores; load average %s before, %s after; %s; class-data archive %s;"
            + " took %d s.\n",
        options.reps, options.starts, cores, loadBefore, loadAfter, System.getProperty("java.vm.name") + " "
            + System.getProperty("java.version"), cds, took.toSeconds()));
    if (!options.toolArgs.isEmpty() || !options.javaOptions.isEmpty()) {
      b.append("Our tool ran with extra arguments `").append(String.join(" ", options.toolArgs))
          .append("` and JAVA_TOOL_OPTIONS `").append(String.join(" ", options.javaOptions)).append("`.\n");
    }
    b.append("\n");
    b.append("- ours: `systemd-user-restart --all-users --quiet` after `mark`; theirs: the rpm helper's"
        + " `systemctl --user -M UID@ daemon-reexec` for all users in parallel, then"
        + " `reload-or-restart --marked` likewise (marking with `set-property Markers=+needs-restart`"
        + " untimed). Both are checked to have restarted every user's unit (new MainPID).\n");
    b.append("- floor: CPU time the user managers and their children (cgroups `user@UID.service`) spent"
        + " during our run, ÷ cores: no tool can be faster than floor + its own start.\n");
    b.append("- our CPU: user + system time of our JVM; peak RSS from `/usr/bin/time`; peak threads"
        + " from `-Xlog:os+thread` of one more, untimed run.\n\n");
    b.append("Targets (issue 6):\n\n");
    for (Row r : rows) {
      if (r.ours.isEmpty()) {
        continue;
      }
      double ratio = r.oursWall() / (r.floor(cores) + median(r.starts, d -> d));
      b.append(String.format(Locale.ROOT, "- N=%d: ours ≤ 1.25 × (floor + start): %.2f %s", r.users, ratio, ratio <= 1.25 ? "met" : "MISSED"));
      if (!r.theirs.isEmpty() && r.users == 40) {
        double x = r.theirsWall() / r.oursWall();
        b.append(String.format(Locale.ROOT, "; ≥ 2× faster than theirs: %.2f× %s", x, x >= 2 ? "met" : "MISSED"));
      }
      if (!r.theirs.isEmpty() && r.users == 1) {
        double d = r.oursWall() - r.theirsWall();
        b.append(String.format(Locale.ROOT, "; ≤ 0.3 s slower than theirs: %+.3f s %s", d, d <= 0.3 ? "met" : "MISSED"));
      }
      if (r.users == 100) {
        double rss = r.ours.stream().mapToDouble(x -> x.rssMb).max().orElse(0);
        b.append(String.format(Locale.ROOT, "; peak RSS ≤ 150 MB: %.0f MB %s", rss, rss <= 150 ? "met" : "MISSED"));
      }
      b.append("\n");
    }
    b.append("\n<details><summary>Every timed run</summary>\n\n```\n");
    rawLines.forEach(l -> b.append(l).append('\n'));
    b.append("```\n</details>\n");
    return b.toString();
  }

  private static void settle() {
    try {
      Thread.sleep(SETTLE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String f3(double d) {
    return String.format(Locale.ROOT, "%.3f", d);
  }

  static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
    double[] v = xs.stream().mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  // ---- Data -------------------------------------------------------------------------------------

  static final class Run {
    final double wall;
    final double managerCpu;
    final double sandboxCpu;
    double toolCpu;
    double rssMb;
    boolean verified;

    Run(double wall, double managerCpu, double sandboxCpu) {
      this.wall = wall;
      this.managerCpu = managerCpu;
      this.sandboxCpu = sandboxCpu;
    }
  }

  static final class Row {
    final int users;
    final List<Run> ours = new ArrayList<>();
    final List<Run> theirs = new ArrayList<>();
    final List<Double> starts = new ArrayList<>();
    int exactThreads;
    boolean verified = true;
    String loadBefore = "";
    String loadAfter = "";

    Row(int users) {
      this.users = users;
    }

    double oursWall() {
      return median(ours, r -> r.wall);
    }

    double theirsWall() {
      return median(theirs, r -> r.wall);
    }

    double floor(int cores) {
      return median(ours, r -> r.managerCpu) / cores;
    }

    String summary(int cores) {
      return String.format(
          Locale.ROOT,
          "N=%d: ours %.3f s, theirs %.3f s, floor %.3f s, JVM start %.3f s (load %s -> %s)",
          users, oursWall(), theirsWall(), floor(cores), median(starts, d -> d), loadBefore, loadAfter);
    }
  }

  record Timed(int exit, long nanos) {
    double seconds() {
      return nanos / 1e9;
    }
  }

  record UnitState(String mainPid, String activeState, String markers) {
    @Override
    public String toString() {
      return "MainPID=" + mainPid + " " + activeState + (markers.isEmpty() ? "" : " " + markers);
    }
  }

  /** A booted sandbox with the benchmark's scripts in it. */
  static final class Box {
    final Sandbox sandbox;

    Box(Sandbox sandbox) {
      this.sandbox = sandbox;
    }

    void install() {
      sandbox.writeFile(DIR + "/timed.sh", TIMED);
      sandbox.writeFile(DIR + "/rpm-helper.sh", RPM_HELPER);
      sandbox.writeFile(DIR + "/mark-theirs.sh", MARK_THEIRS);
      sandbox.writeFile(DIR + "/state.sh", STATE);
    }

    List<Integer> uids() {
      return sandbox.users().stream().map(SandboxUser::uid).toList();
    }

    Timed timed(String label, List<String> env, String... argv) {
      List<String> cmd = new ArrayList<>(List.of("/bin/sh", DIR + "/timed.sh", label));
      if (!env.isEmpty()) {
        cmd.add("env");
        cmd.addAll(env);
      }
      cmd.addAll(Arrays.asList(argv));
      ExecResult r = sandbox.exec(RUN_TIMEOUT, cmd.toArray(String[]::new)).orThrow("timing " + label);
      String[] f = r.stdout().strip().split(" ");
      return new Timed(Integer.parseInt(f[0]), Long.parseLong(f[1]));
    }

    String text(String name) {
      try {
        return Files.readString(sandbox.hostPath(DIR + "/" + name), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }

    Map<Integer, UnitState> states() {
      List<String> cmd = new ArrayList<>(List.of("/bin/sh", DIR + "/state.sh", UNIT));
      uids().forEach(u -> cmd.add(Integer.toString(u)));
      ExecResult r = sandbox.exec(RUN_TIMEOUT, cmd.toArray(String[]::new)).orThrow("reading unit states");
      Map<Integer, UnitState> states = new LinkedHashMap<>();
      for (String line : r.stdout().split("\n")) {
        String[] words = line.strip().split("\\s+");
        if (words.length == 0 || words[0].isEmpty()) {
          continue;
        }
        Map<String, String> kv = new HashMap<>();
        for (int i = 1; i < words.length; i++) {
          int eq = words[i].indexOf('=');
          if (eq > 0) {
            kv.put(words[i].substring(0, eq), words[i].substring(eq + 1));
          }
        }
        states.put(
            Integer.parseInt(words[0]),
            new UnitState(kv.getOrDefault("MainPID", "?"), kv.getOrDefault("ActiveState", "?"), kv.getOrDefault("Markers", "")));
      }
      if (states.size() != uids().size()) {
        throw new IllegalStateException("unit states of " + states.size() + " users, not " + uids().size() + ": " + r);
      }
      return states;
    }

    /** usage_usec of every user@UID.service cgroup, summed: the managers and their children. */
    long managerCpuMicros() {
      long sum = 0;
      for (int uid : uids()) {
        sum += usage(sandbox.hostCgroup().resolve("user.slice/user-" + uid + ".slice/user@" + uid + ".service/cpu.stat"));
      }
      return sum;
    }

    /** usage_usec of the whole sandbox: PID 1, logind, D-Bus, the tools, the user managers. */
    long sandboxCpuMicros() {
      return usage(sandbox.hostCgroup().resolve("cpu.stat"));
    }

    private static long usage(Path cpuStat) {
      try {
        for (String line : Files.readAllLines(cpuStat)) {
          if (line.startsWith("usage_usec ")) {
            return Long.parseLong(line.substring("usage_usec ".length()).strip());
          }
        }
        throw new IllegalStateException(cpuStat + " has no usage_usec (kernel without cgroup v2 cpu.stat?)");
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + cpuStat + ": " + e.getMessage(), e);
      }
    }
  }

  /** The command line. */
  static final class Options {
    List<Integer> users = List.of(1, 10, 40, 100);
    int reps = 3;
    int starts = 5;
    String only = "";
    List<String> toolArgs = List.of();
    List<String> javaOptions = List.of();
    boolean trainCds;
    Path out = Path.of("target/benchmark.md");
    Path project = Path.of("").toAbsolutePath();
    boolean help;

    boolean runOurs() {
      return !only.equals("theirs");
    }

    boolean runTheirs() {
      return !only.equals("ours");
    }

    static Options parse(String[] args) {
      Options o = new Options();
      // Maven passes one empty argument when -Dbench.args is not set.
      List<String> words = Arrays.stream(args).filter(a -> !a.isBlank()).toList();
      for (int i = 0; i < words.size(); i++) {
        String a = words.get(i);
        if (a.equals("-h") || a.equals("--help")) {
          o.help = true;
          continue;
        }
        if (i + 1 >= words.size()) {
          throw new IllegalArgumentException("unknown option or missing value: " + a);
        }
        String v = words.get(++i);
        switch (a) {
          case "--users" -> o.users = Arrays.stream(v.split(",")).map(String::strip).map(Integer::parseInt).toList();
          case "--reps" -> o.reps = Integer.parseInt(v);
          case "--starts" -> o.starts = Integer.parseInt(v);
          case "--only" -> {
            if (!v.equals("ours") && !v.equals("theirs")) {
              throw new IllegalArgumentException("--only ours or --only theirs, not " + v);
            }
            o.only = v;
          }
          case "--tool-args" -> o.toolArgs = split(v);
          case "--java-options" -> o.javaOptions = split(v);
          case "--out" -> o.out = Path.of(v);
          case "--cds" -> {
            if (!v.equals("train") && !v.equals("as-is")) {
              throw new IllegalArgumentException("--cds train or --cds as-is, not " + v);
            }
            o.trainCds = v.equals("train");
          }
          case "--project" -> o.project = Path.of(v).toAbsolutePath().normalize();
          default -> throw new IllegalArgumentException("unknown option: " + a);
        }
      }
      if (o.reps < 1 || o.starts < 1 || o.users.isEmpty() || o.users.stream().anyMatch(u -> u < 1 || u > SandboxSpec.MAX_USERS)) {
        throw new IllegalArgumentException("--reps, --starts and --users must be positive");
      }
      return o;
    }

    private static List<String> split(String v) {
      return v.isBlank() ? List.of() : List.of(v.strip().split("\\s+"));
    }
  }
}
