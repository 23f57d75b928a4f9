// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxSpec;

/**
 * Benchmark of issue 18, not a test: the CPU time of {@code systemd-user-restart stale} against a
 * plain {@code list} in a sandbox whose users each run 10 processes (the manager and 9 of a
 * program under the project's target/), first with nothing replaced, then with the program
 * replaced under every one of them. CPU is user + system time of the tool and its children
 * (rpm), as /usr/bin/time reports it; medians of alternating runs.
 *
 * <p>Run as root: {@code mvn -Pbench -DskipTests package -Dbench.main=net.userrestart.bench.StaleBenchmark
 * [-Dbench.args='USERS REPS']} (default 100 users, 7 runs of each).
 */
public final class StaleBenchmark {
  private StaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(List.of(args));
    Path project = Path.of("").toAbsolutePath();
    if (rest.size() >= 2 && rest.get(0).equals("--project")) { // as the bench profile passes it
      project = Path.of(rest.get(1)).toAbsolutePath();
      rest = rest.subList(2, rest.size());
    }
    int users = rest.size() > 0 ? Integer.parseInt(rest.get(0)) : 100;
    int reps = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 7;
    Path program = project.resolve("target/stale-bench/sleeper");
    Files.createDirectories(program.getParent());
    Files.copy(Path.of("/bin/sleep"), program, StandardCopyOption.REPLACE_EXISTING);
    String unit =
        "[Service]\nExecStart=/bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do "
            + program + " infinity & done; exec " + program + " infinity'\n"
            + "[Install]\nWantedBy=default.target\n";
    SandboxSpec spec =
        SandboxSpec.of(users).withBindReadOnly(project).withUserUnit("sur-bench.service", unit);
    String tool = project.resolve("bin/systemd-user-restart").toString();
    try (Sandbox box = Sandbox.boot(spec, line -> System.err.println("sandbox: " + line))) {
      ExecResult ps = box.exec(Duration.ofMinutes(1), "sh", "-c", "ls -d /proc/[0-9]* | wc -l");
      System.out.println("processes in the sandbox: " + ps.stdout().strip());
      measure(box, tool, reps, "nothing replaced");
      Path fresh = program.resolveSibling("sleeper.new");
      Files.copy(Path.of("/bin/sleep"), fresh, StandardCopyOption.REPLACE_EXISTING);
      Files.move(fresh, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      ExecResult stale = box.exec(Duration.ofMinutes(2), tool, "stale");
      List<String> lines = stale.stdout().lines().toList();
      System.out.println("stale says: " + (lines.isEmpty() ? stale : lines.get(lines.size() - 1)));
      measure(box, tool, reps, "every user's 9 processes replaced");
    }
  }

  private static void measure(Sandbox box, String tool, int reps, String label) {
    List<Double> list = new ArrayList<>();
    List<Double> stale = new ArrayList<>();
    for (int i = 0; i < reps + 1; i++) {
      double l = cpu(box, tool, "list");
      double s = cpu(box, tool, "stale");
      if (i > 0) { // the first of each is a warm-up: page cache
        list.add(l);
        stale.add(s);
      }
    }
    double ml = median(list);
    double ms = median(stale);
    System.out.printf(
        "%s: list %.3f s, stale %.3f s CPU (medians of %d; stale - list = %+.0f ms)%n  list %s%n  stale %s%n",
        label, ml, ms, reps, (ms - ml) * 1000, list, stale);
  }

  private static double cpu(Sandbox box, String tool, String command) {
    ExecResult r =
        box.exec(Duration.ofMinutes(2), "/usr/bin/time", "-f", "CPU %U %S", "-o", "/run/bench-time", tool, command);
    if (!r.ok()) {
      throw new IllegalStateException(command + " failed: " + r);
    }
    String[] f = box.exec(Duration.ofMinutes(1), "cat", "/run/bench-time").stdout().strip().split(" ");
    return Double.parseDouble(f[1]) + Double.parseDouble(f[2]);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
