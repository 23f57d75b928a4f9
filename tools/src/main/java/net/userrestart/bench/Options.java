// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.userrestart.sandbox.SandboxSpec;

/** The command line of {@link Benchmark}. */
record Options(
    Case benchCase,
    List<Integer> users,
    List<Integer> running,
    int reps,
    int starts,
    List<String> only,
    List<String> toolArgs,
    List<String> neededArgs,
    List<String> alwaysArgs,
    List<String> javaOptions,
    boolean archive,
    boolean bound,
    Path root,
    Path out,
    Path project,
    boolean help) {

  /** What is raced. */
  enum Case {
    /** Every manager re-executed and the marked unit restarted: ours, upstream's current, the older way. */
    RESTART,
    /**
     * Issue 19: one package with one marked user unit upgraded, systemd not: ours with the policy
     * "needed", ours with "always", upstream's current way; the unit running for a share of users.
     */
    ONE_PACKAGE,
    /** The cost of marking one unit of one package: our macro's shell against upstream's per-user calls. */
    MARKING
  }

  static String usage() {
    return String.join(
        "\n",
        "Usage: Benchmark [--case restart|one-package|marking] [--root DIR] [--users 1,10,40,100]",
        "                 [--running 100,5] [--reps 3] [--starts 5] [--only WAY,...] [--cds train|none]",
        "                 [--tool-args 'ARGS'] [--needed-args 'ARGS'] [--always-args 'ARGS']",
        "                 [--java-options 'OPTS'] [--bound] [--out FILE] [--project DIR]",
        "  --case          restart (default): ours, upstream's current way and the older one;",
        "                  one-package: one marked unit's file upgraded, systemd not (issue 19):",
        "                  ours --reexec=needed, ours --reexec=always, upstream's current way;",
        "                  marking: our macro's mark against upstream's mark-restart-user-units",
        "  --root          boot this OS tree (made with debootstrap) instead of this machine's /",
        "  --users         lingering users per sandbox, one sandbox each (default 1,10,40,100;",
        "                  one-package 10,40,100,200; marking 1,10,40)",
        "  --running       one-package: percent of users running the unit (default 100,5)",
        "  --reps          timed runs of each way per sandbox; medians are reported (default 3)",
        "  --starts        runs of 'systemd-user-restart --version' for the JVM start (default 5)",
        "  --only          time these ways only: ours, upstream, older, needed, always,",
        "                  reexec-alone, restart-alone",
        "  --cds           train (default): the launcher makes its class-data archive (AOT cache on",
        "                  JDK 25) in the untimed warm-up run, as on a first real run; none: without",
        "  --tool-args     more arguments for ours in the restart case, e.g. '--jobs 4'",
        "  --needed-args   ours \"needed\" in the one-package case (default '--reexec=needed')",
        "  --always-args   ours \"always\" in the one-package case (default '--reexec=always')",
        "  --java-options  JVM options for our tool's timed runs, which then start java with the",
        "                  launcher's flags (it ignores JAVA_TOOL_OPTIONS as root) (for experiments)",
        "  --bound         restart case: also time the work's two halves alone, every manager",
        "                  re-executed by `systemctl reload 'user@*.service'` (reexec-alone) and ours",
        "                  with --no-reexec (restart-alone), for the floor of any client (systemd 257+)",
        "  --out           Markdown report (default target/benchmark.md)",
        "Needs root, a built jar (mvn package) and /usr/bin/time (Debian package time) in the tree.",
        "Run it with: mvn -Pbench -DskipTests package [-Dbench.args='--users 1,10 --reps 5']");
  }

  /** The ways this case races, in the order each rep runs them, less those --only leaves out. */
  List<Way> ways() {
    List<Way> all =
        switch (benchCase) {
          case RESTART -> {
            List<Way> ways = new ArrayList<>(List.of(Way.tool("ours", toolArgs), Way.upstreamCurrent(), Way.upstreamOlder()));
            if (bound) {
              List<String> noReexec = new ArrayList<>(List.of("--no-reexec"));
              noReexec.addAll(toolArgs);
              ways.add(Way.reexecAlone());
              ways.add(Way.tool(Way.RESTART_ALONE_LABEL, noReexec));
            }
            yield ways;
          }
          case ONE_PACKAGE -> List.of(Way.tool("needed", neededArgs), Way.tool("always", alwaysArgs), Way.upstreamCurrent());
          case MARKING -> List.of();
        };
    return all.stream().filter(w -> only.isEmpty() || only.contains(w.label())).toList();
  }

  /** The jar our tool's launcher runs. */
  Path jar() {
    return project.resolve("target/systemd-user-restart.jar");
  }

  /** Throws IllegalArgumentException, with the message for the user, on a wrong command line. */
  static Options parse(String[] args) {
    Case benchCase = Case.RESTART;
    List<Integer> users = null;
    List<Integer> running = List.of(100, 5);
    int reps = 3;
    int starts = 5;
    List<String> only = List.of();
    List<String> toolArgs = List.of();
    List<String> neededArgs = List.of("--reexec=needed");
    List<String> alwaysArgs = List.of("--reexec=always");
    List<String> javaOptions = List.of();
    boolean archive = true;
    boolean bound = false;
    Path root = null;
    Path out = Path.of("target/benchmark.md");
    Path project = Path.of("").toAbsolutePath();
    boolean help = false;
    List<String> words = List.of(args);
    for (int i = 0; i < words.size(); i++) {
      String a = words.get(i);
      if (a.isBlank()) {
        continue; // Maven passes one empty argument when -Dbench.args is not set; values may be empty
      }
      if (a.equals("-h") || a.equals("--help")) {
        help = true;
        continue;
      }
      if (a.equals("--bound")) {
        bound = true;
        continue;
      }
      if (i + 1 >= words.size()) {
        throw new IllegalArgumentException("unknown option or missing value: " + a);
      }
      String v = words.get(++i);
      switch (a) {
        case "--case" -> benchCase = Case.valueOf(oneOf(a, v, "restart", "one-package", "marking").toUpperCase().replace('-', '_'));
        case "--users" -> users = numbers(v);
        case "--running" -> running = numbers(v);
        case "--reps" -> reps = Integer.parseInt(v);
        case "--starts" -> starts = Integer.parseInt(v);
        case "--only" -> only = List.of(v.split(","));
        case "--tool-args" -> toolArgs = split(v);
        case "--needed-args" -> neededArgs = split(v);
        case "--always-args" -> alwaysArgs = split(v);
        case "--java-options" -> javaOptions = split(v);
        case "--out" -> out = Path.of(v);
        case "--cds" -> archive = oneOf(a, v, "train", "none").equals("train");
        case "--root" -> root = Path.of(v).toAbsolutePath().normalize();
        case "--project" -> project = Path.of(v).toAbsolutePath().normalize();
        default -> throw new IllegalArgumentException("unknown option: " + a);
      }
    }
    if (users == null) {
      users = switch (benchCase) {
        case RESTART -> List.of(1, 10, 40, 100);
        case ONE_PACKAGE -> List.of(10, 40, 100, 200);
        case MARKING -> List.of(1, 10, 40);
      };
    }
    if (reps < 1 || starts < 1 || users.isEmpty() || users.stream().anyMatch(u -> u < 1 || u > SandboxSpec.MAX_USERS)
        || running.stream().anyMatch(p -> p < 1 || p > 100)) {
      throw new IllegalArgumentException("--reps, --starts, --users and --running (1 to 100) must be positive");
    }
    if (bound && benchCase != Case.RESTART) {
      throw new IllegalArgumentException("--bound is for --case restart only");
    }
    return new Options(benchCase, users, benchCase == Case.ONE_PACKAGE ? running : List.of(100), reps, starts, only,
        toolArgs, neededArgs, alwaysArgs, javaOptions, archive, bound, root, out, project, help);
  }

  private static String oneOf(String option, String value, String... allowed) {
    if (!List.of(allowed).contains(value)) {
      throw new IllegalArgumentException(option + " takes one of " + String.join(", ", allowed) + ", not " + value);
    }
    return value;
  }

  private static List<Integer> numbers(String v) {
    return Arrays.stream(v.split(",")).map(String::strip).map(Integer::parseInt).toList();
  }

  private static List<String> split(String v) {
    return v.isBlank() ? List.of() : List.of(v.strip().split("\\s+"));
  }
}
