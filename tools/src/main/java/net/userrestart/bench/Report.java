// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import net.userrestart.bench.Options.Case;

/** The Markdown report: the table, how it was measured, the goals of issues 17 and 19 and every run. */
record Report(
    Options options,
    int cores,
    List<Row> rows,
    List<String> rawLines,
    Map<String, String> environment,
    String loadBefore,
    String loadAfter,
    Duration took) {

  String markdown() {
    StringBuilder b = new StringBuilder();
    switch (options.benchCase()) {
      case RESTART -> {
        restartTable(b);
        if (options.bound()) {
          boundTable(b);
        }
      }
      case ONE_PACKAGE -> onePackageTable(b);
      case MARKING -> markingTable(b);
    }
    b.append("\n");
    method(b);
    if (options.benchCase() == Case.RESTART) {
      b.append("Goals (issue 17, on systemd 262):\n\n");
      restartGoals(b);
    }
    b.append("\n<details><summary>Every timed run</summary>\n\n```\n");
    rawLines.forEach(l -> b.append(l).append('\n'));
    b.append("```\n</details>\n");
    return b.toString();
  }

  private void restartTable(StringBuilder b) {
    b.append("| N users | ours (s) | upstream (s) | older (s) | upstream ÷ ours | older ÷ ours | floor (s) | JVM start (s)"
        + " | ours ÷ (floor + start) | our CPU (s) | peak RSS (MB) | peak threads |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      boolean ours = r.has("ours");
      b.append(format("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          r.users(),
          wall(r, "ours"),
          wall(r, "upstream"),
          wall(r, "older"),
          ratio(r, "upstream", "ours"),
          ratio(r, "older", "ours"),
          ours ? f3(r.floor("ours", cores)) : "–",
          Double.isNaN(r.start()) ? "–" : f3(r.start()),
          ours ? format("%.2f", r.wall("ours") / (r.floor("ours", cores) + r.start())) : "–",
          ours ? format("%.2f", r.toolCpu("ours")) : "–",
          ours ? format("%.0f", r.peakRssMb("ours")) : "–",
          r.exactThreads() > 0 ? Integer.toString(r.exactThreads()) : "–"));
    }
  }

  /*
   * The work's own floor: the managers' CPU of its two halves, each timed alone, ÷ cores. A client
   * that cost nothing, not even its start, could finish no sooner.
   */
  private void boundTable(StringBuilder b) {
    b.append("\n| N users | reexec-alone (s) | its managers' CPU (s) | restart-alone (s) | its managers' CPU (s)"
        + " | its CPU of ours (s) | the work's floor (s) | upstream ÷ 2 (s) | ours (s) |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      boolean both = r.has(Way.REEXEC_ALONE_LABEL) && r.has(Way.RESTART_ALONE_LABEL);
      b.append(format("| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          r.users(),
          wall(r, Way.REEXEC_ALONE_LABEL),
          cpu(r, Way.REEXEC_ALONE_LABEL),
          wall(r, Way.RESTART_ALONE_LABEL),
          cpu(r, Way.RESTART_ALONE_LABEL),
          r.has(Way.RESTART_ALONE_LABEL) ? format("%.2f", r.toolCpu(Way.RESTART_ALONE_LABEL)) : "–",
          both ? f3(workFloor(r)) : "–",
          r.has("upstream") ? f3(r.wall("upstream") / 2) : "–",
          wall(r, "ours")));
    }
  }

  /* The managers' CPU of re-executing every one of them and of the restarts, ÷ cores. */
  private double workFloor(Row r) {
    return (r.managerCpu(Way.REEXEC_ALONE_LABEL) + r.managerCpu(Way.RESTART_ALONE_LABEL)) / cores;
  }

  private void onePackageTable(StringBuilder b) {
    List<String> ways = options.ways().stream().map(Way::label).toList();
    String ours = options.ways().stream().filter(Way::ours).map(Way::label).findFirst().orElse("needed");
    b.append("| N users | unit running for |");
    ways.forEach(w -> b.append(" ").append(w).append(" (s) | managers' CPU, ").append(w).append(" (s) |"));
    b.append(" upstream ÷ ").append(ours).append(" | JVM start (s) |\n|---:|---:|");
    ways.forEach(w -> b.append("---:|---:|"));
    b.append("---:|---:|\n");
    for (Row r : rows) {
      b.append(format("| %d | %d %% |", r.users(), r.runningPercent()));
      for (String w : ways) {
        b.append(" ").append(wall(r, w)).append(" | ").append(r.has(w) ? f3(r.managerCpu(w)) : "–").append(" |");
      }
      b.append(" ").append(ratio(r, "upstream", ours)).append(" | ")
          .append(Double.isNaN(r.start()) ? "–" : f3(r.start())).append(" |\n");
    }
  }

  private void markingTable(StringBuilder b) {
    b.append("| N users | ours: wall (ms) | ours: CPU (ms) | upstream: wall (ms) | upstream: CPU (ms) |\n");
    b.append("|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      b.append(format("| %d | %.1f | %.1f | %.1f | %.1f |\n", r.users(),
          r.wall("ours") * 1000, r.sandboxCpu("ours") * 1000, r.wall("upstream") * 1000, r.sandboxCpu("upstream") * 1000));
    }
  }

  /* How the numbers were made, so a report can be read on its own. */
  private void method(StringBuilder b) {
    b.append(format(
        "Medians of %d timed runs of each way per row, alternating;%s %d cores;"
            + " load average %s before, %s after; OS tree %s; %s; took %d s.\n",
        options.reps(), options.benchCase() == Case.MARKING ? "" : " " + options.starts() + " `--version` runs for the JVM start;",
        cores, loadBefore, loadAfter,
        options.root() == null ? "this machine's /" : "`" + options.root().getFileName() + "`",
        environment.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).reduce((x, y) -> x + "; " + y).orElse(""),
        took.toSeconds()));
    if (!options.archive()) {
      b.append("Without the launcher's class-data archive or AOT cache.\n");
    }
    if (!options.javaOptions().isEmpty()) {
      b.append("Our tool ran with JVM options `").append(String.join(" ", options.javaOptions())).append("`.\n");
    }
    b.append("\n");
    for (Way w : options.ways()) {
      b.append("- ").append(w.label()).append(": ").append(switch (w.kind()) {
        case TOOL -> "`" + String.join(" ", Stream.concat(Stream.of("systemd-user-restart --all-users --quiet"),
            w.toolArgs().stream()).toList()) + "` after our mark";
        case UPSTREAM_CURRENT -> "`systemctl reload 'user@*.service'`, then `systemctl --user -M UID@ "
            + environment.getOrDefault("upstream's verb per user", "enqueue-marked") + "` per user, in parallel";
        case UPSTREAM_OLDER -> "`systemctl --user -M UID@ daemon-reexec` for all users in parallel, then"
            + " `reload-or-restart --marked` likewise";
        case REEXEC_ALONE -> "`systemctl reload 'user@*.service'` alone: every manager re-executed through PID 1,"
            + " no unit restarted (each unit must keep its MainPID)";
      }).append(switch (w.kind()) {
        case TOOL, REEXEC_ALONE -> "";
        case UPSTREAM_CURRENT, UPSTREAM_OLDER ->
            " (marked as upstream's `mark-restart-user-units` marks, 32 users at once, untimed)";
      }).append(".\n");
    }
    if (options.benchCase() == Case.ONE_PACKAGE) {
      b.append("- Before each run the package's unit file (`/usr/lib/systemd/user`, not enabled) is rewritten"
          + " as an upgrade does (new content, new mtime); every run must restart it for the users who run it,"
          + " into the new file, and start it for no one else.\n");
    } else if (options.benchCase() == Case.RESTART) {
      b.append("- Every way must restart every user's unit (new MainPID).\n");
    }
    switch (options.benchCase()) {
      case RESTART -> {
        b.append("- floor: CPU time the user managers and their children (cgroups `user@UID.service`) spent"
            + " during our run, ÷ cores: no tool can be faster than floor + its own start.\n");
        b.append("- our CPU: user + system time of our JVM; peak RSS from `/usr/bin/time`; peak threads"
            + " from `-Xlog:os+thread` of one more, untimed run.\n");
      }
      case ONE_PACKAGE -> b.append("- managers' CPU: CPU time the user managers and their children (cgroups"
          + " `user@UID.service`) spent during the run.\n");
      case MARKING -> b.append("- ours: the shell our `%user_restart_postun_with_restart` expands to, run by one `sh`"
          + " as rpm runs a scriptlet; upstream: `mark-restart-user-units`, the users from PID 1, then one"
          + " `systemctl --user -M UID@ set-property UNIT Markers=+needs-restart` per user, in parallel."
          + " CPU: the whole sandbox's (shells, systemctl, PID 1, the managers).\n");
    }
    b.append("\n");
  }

  private void restartGoals(StringBuilder b) {
    for (Row r : rows) {
      if (!r.has("ours")) {
        continue;
      }
      double ratio = r.wall("ours") / (r.floor("ours", cores) + r.start());
      b.append(format("- N=%d: ours ≤ 1.25 × (floor + start): %.2f %s", r.users(), ratio, verdict(ratio <= 1.25)));
      if (r.has("upstream") && r.users() == 40) {
        double x = r.wall("upstream") / r.wall("ours");
        b.append(format("; ≥ 2× faster than upstream: %.2f× %s", x, verdict(x >= 2)));
        if (r.has(Way.REEXEC_ALONE_LABEL) && r.has(Way.RESTART_ALONE_LABEL)) {
          b.append(format(" (needs ≤ %.3f s; the work's floor alone is %.3f s, cores busy all the time)",
              r.wall("upstream") / 2, workFloor(r)));
        }
      }
      if (r.has("upstream") && r.users() == 1) {
        double d = r.wall("ours") - r.wall("upstream");
        b.append(format("; not slower than upstream: %+.3f s %s", d, verdict(d <= 0)));
      }
      b.append("\n");
    }
  }

  private static String wall(Row r, String way) {
    return r.has(way) ? f3(r.wall(way)) : "–";
  }

  private static String cpu(Row r, String way) {
    return r.has(way) ? f3(r.managerCpu(way)) : "–";
  }

  private static String ratio(Row r, String slower, String faster) {
    return r.has(slower) && r.has(faster) ? format("%.2f", r.wall(slower) / r.wall(faster)) : "–";
  }

  private static String verdict(boolean met) {
    return met ? "met" : "MISSED";
  }

  private static String f3(double d) {
    return format("%.3f", d);
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
