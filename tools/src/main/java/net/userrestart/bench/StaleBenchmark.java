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
 * <p>Also what the end of an rpm transaction costs: a trigger's run ({@code --all-users --quiet
 * --no-reexec}, which ends with the summary scan) against the same run that is not a trigger's
 * ({@code --timeout 16}: no configuration read, no summary), and the shell look of the last
 * trigger (the spec's {@code __sur_stale_seen}) that decides whether to start the JVM at all.
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
      String look = look(project);
      measure(box, tool, reps, "nothing replaced", look);
      Path fresh = program.resolveSibling("sleeper.new");
      Files.copy(Path.of("/bin/sleep"), fresh, StandardCopyOption.REPLACE_EXISTING);
      Files.move(fresh, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      ExecResult stale = box.exec(Duration.ofMinutes(2), tool, "stale");
      List<String> lines = stale.stdout().lines().toList();
      System.out.println("stale says: " + (lines.isEmpty() ? stale : lines.get(lines.size() - 1)));
      measure(box, tool, reps, "every user's 9 processes replaced", look);
    }
  }

  private static void measure(Sandbox box, String tool, int reps, String label, String look) {
    compare(box, reps, label, "list", List.of(tool, "list"), "stale", List.of(tool, "stale"));
    List<String> trigger = List.of(tool, "--all-users", "--quiet", "--no-reexec");
    List<String> plain = List.of(tool, "--all-users", "--quiet", "--no-reexec", "--timeout", "16");
    compare(box, reps, label, "run", plain, "trigger's run", trigger);
    List<Double> shell = new ArrayList<>();
    for (int i = 0; i < reps + 1; i++) {
      double s = cpu(box, List.of("/bin/sh", "-c", look + "\necho \"seen=$_sur_seen\" >&2"));
      if (i > 0) {
        shell.add(s);
      }
    }
    System.out.printf("%s: the last trigger's shell look %.3f s CPU (median of %d) %s%n", label, median(shell), reps, shell);
  }

  /* Runs a and b alternately, the first of each a warm-up (page cache); medians of the rest. */
  private static void compare(
      Sandbox box, int reps, String label, String aName, List<String> a, String bName, List<String> b) {
    List<Double> as = new ArrayList<>();
    List<Double> bs = new ArrayList<>();
    for (int i = 0; i < reps + 1; i++) {
      double x = cpu(box, a);
      double y = cpu(box, b);
      if (i > 0) {
        as.add(x);
        bs.add(y);
      }
    }
    double ma = median(as);
    double mb = median(bs);
    System.out.printf(
        "%s: %s %.3f s, %s %.3f s CPU (medians of %d; difference %+.0f ms)%n  %s %s%n  %s %s%n",
        label, aName, ma, bName, mb, reps, (mb - ma) * 1000, aName, as, bName, bs);
  }

  /* The body of the spec's %define __sur_stale_seen, as the trigger's shell runs it. */
  private static String look(Path project) throws java.io.IOException {
    List<String> lines = Files.readAllLines(project.resolve("rpm/systemd-user-restart.spec"));
    StringBuilder body = new StringBuilder();
    boolean in = false;
    for (String line : lines) {
      if (line.startsWith("%define __sur_stale_seen")) {
        in = true;
      } else if (in) {
        boolean more = line.endsWith("\\");
        body.append(more ? line.substring(0, line.length() - 1) : line).append('\n');
        if (!more) {
          return body.toString();
        }
      }
    }
    throw new IllegalStateException("no __sur_stale_seen in the spec");
  }

  private static double cpu(Sandbox box, List<String> command) {
    List<String> argv = new ArrayList<>(List.of("/usr/bin/time", "-f", "CPU %U %S", "-o", "/run/bench-time"));
    argv.addAll(command);
    ExecResult r = box.exec(Duration.ofMinutes(2), argv.toArray(String[]::new));
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
