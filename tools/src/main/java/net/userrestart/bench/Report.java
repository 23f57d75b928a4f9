// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** The Markdown report: the table, how it was measured, the targets of issue 6 and every run. */
record Report(
    Options options,
    int cores,
    List<Row> rows,
    List<String> rawLines,
    String cds,
    String loadBefore,
    String loadAfter,
    Duration took) {

  String markdown() {
    StringBuilder b = new StringBuilder();
    table(b);
    b.append("\n");
    method(b);
    b.append("Targets (issue 6):\n\n");
    targets(b);
    b.append("\n<details><summary>Every timed run</summary>\n\n```\n");
    rawLines.forEach(l -> b.append(l).append('\n'));
    b.append("```\n</details>\n");
    return b.toString();
  }

  private void table(StringBuilder b) {
    b.append("| N users | ours (s) | theirs (s) | theirs ÷ ours | floor (s) | JVM start (s)"
        + " | ours ÷ (floor + start) | our CPU (s) | peak RSS (MB) | peak threads |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      boolean ours = !r.ours().isEmpty();
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %s | %s | %s | %.3f | %s | %s | %s | %s |\n",
              r.users(),
              ours ? f3(r.oursWall()) : "–",
              r.theirs().isEmpty() ? "–" : f3(r.theirsWall()),
              !ours || r.theirs().isEmpty() ? "–" : format("%.2f", r.theirsWall() / r.oursWall()),
              ours ? f3(r.floor(cores)) : "–",
              r.start(),
              ours ? format("%.2f", r.oursWall() / (r.floor(cores) + r.start())) : "–",
              ours ? format("%.2f", r.oursToolCpu()) : "–",
              ours ? format("%.0f", r.peakRssMb()) : "–",
              r.exactThreads() > 0 ? Integer.toString(r.exactThreads()) : "–"));
    }
  }

  /* How the numbers were made, so a report can be read on its own. */
  private void method(StringBuilder b) {
    b.append(String.format(
        Locale.ROOT,
        "Medians of %d timed runs of each way per row (peaks: the largest), %d `--version` runs for the"
            + " JVM start; %d cores; load average %s before, %s after; %s; class-data archive %s;"
            + " took %d s.\n",
        options.reps(), options.starts(), cores, loadBefore, loadAfter, System.getProperty("java.vm.name") + " "
            + System.getProperty("java.version"), cds, took.toSeconds()));
    if (!options.toolArgs().isEmpty() || !options.javaOptions().isEmpty()) {
      b.append("Our tool ran with extra arguments `").append(String.join(" ", options.toolArgs()))
          .append("` and JVM options `").append(String.join(" ", options.javaOptions())).append("`.\n");
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
  }

  private void targets(StringBuilder b) {
    for (Row r : rows) {
      if (r.ours().isEmpty()) {
        continue;
      }
      double ratio = r.oursWall() / (r.floor(cores) + r.start());
      b.append(format("- N=%d: ours ≤ 1.25 × (floor + start): %.2f %s", r.users(), ratio, verdict(ratio <= 1.25)));
      if (!r.theirs().isEmpty() && r.users() == 40) {
        double x = r.theirsWall() / r.oursWall();
        b.append(format("; ≥ 2× faster than theirs: %.2f× %s", x, verdict(x >= 2)));
      }
      if (!r.theirs().isEmpty() && r.users() == 1) {
        double d = r.oursWall() - r.theirsWall();
        b.append(format("; ≤ 0.3 s slower than theirs: %+.3f s %s", d, verdict(d <= 0.3)));
      }
      if (r.users() == 100) {
        double rss = r.peakRssMb();
        b.append(format("; peak RSS ≤ 150 MB: %.0f MB %s", rss, verdict(rss <= 150)));
      }
      b.append("\n");
    }
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
