// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.userrestart.sandbox.SandboxSpec;

/** The command line of {@link Benchmark}. */
record Options(
    List<Integer> users,
    int reps,
    int starts,
    String only,
    List<String> toolArgs,
    List<String> javaOptions,
    boolean trainCds,
    Path out,
    Path project,
    boolean help) {

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
        "  --java-options  JVM options for our tool's timed runs, which then start java with the",
        "                  launcher's flags (it ignores JAVA_TOOL_OPTIONS as root) (for experiments)",
        "  --cds           as-is: use target/systemd-user-restart.jsa if the build left one (default);",
        "                  train: make one first from a real run in the first sandbox (removed after)",
        "  --out           Markdown report (default target/benchmark.md)",
        "Needs root, a built jar (mvn package) and /usr/bin/time (Debian package time).",
        "Run it with: mvn -Pbench -DskipTests package [-Dbench.args='--users 1,10 --reps 5']");
  }

  boolean runOurs() {
    return !only.equals("theirs");
  }

  boolean runTheirs() {
    return !only.equals("ours");
  }

  /** The jar our tool's launcher runs; the class-data archive is tied to it. */
  Path jar() {
    return project.resolve("target/systemd-user-restart.jar");
  }

  /** Where the launcher looks for a class-data archive. */
  Path archive() {
    return project.resolve("target/systemd-user-restart.jsa");
  }

  /** Throws IllegalArgumentException, with the message for the user, on a wrong command line. */
  static Options parse(String[] args) {
    List<Integer> users = List.of(1, 10, 40, 100);
    int reps = 3;
    int starts = 5;
    String only = "";
    List<String> toolArgs = List.of();
    List<String> javaOptions = List.of();
    boolean trainCds = false;
    Path out = Path.of("target/benchmark.md");
    Path project = Path.of("").toAbsolutePath();
    boolean help = false;
    // Maven passes one empty argument when -Dbench.args is not set.
    List<String> words = Arrays.stream(args).filter(a -> !a.isBlank()).toList();
    for (int i = 0; i < words.size(); i++) {
      String a = words.get(i);
      if (a.equals("-h") || a.equals("--help")) {
        help = true;
        continue;
      }
      if (i + 1 >= words.size()) {
        throw new IllegalArgumentException("unknown option or missing value: " + a);
      }
      String v = words.get(++i);
      switch (a) {
        case "--users" -> users = Arrays.stream(v.split(",")).map(String::strip).map(Integer::parseInt).toList();
        case "--reps" -> reps = Integer.parseInt(v);
        case "--starts" -> starts = Integer.parseInt(v);
        case "--only" -> only = oneOf(a, v, "ours", "theirs");
        case "--tool-args" -> toolArgs = split(v);
        case "--java-options" -> javaOptions = split(v);
        case "--out" -> out = Path.of(v);
        case "--cds" -> trainCds = oneOf(a, v, "train", "as-is").equals("train");
        case "--project" -> project = Path.of(v).toAbsolutePath().normalize();
        default -> throw new IllegalArgumentException("unknown option: " + a);
      }
    }
    if (reps < 1 || starts < 1 || users.isEmpty() || users.stream().anyMatch(u -> u < 1 || u > SandboxSpec.MAX_USERS)) {
      throw new IllegalArgumentException("--reps, --starts and --users must be positive");
    }
    return new Options(users, reps, starts, only, toolArgs, javaOptions, trainCds, out, project, help);
  }

  private static String oneOf(String option, String value, String first, String second) {
    if (!value.equals(first) && !value.equals(second)) {
      throw new IllegalArgumentException(option + " " + first + " or " + option + " " + second + ", not " + value);
    }
    return value;
  }

  private static List<String> split(String v) {
    return v.isBlank() ? List.of() : List.of(v.strip().split("\\s+"));
  }
}
