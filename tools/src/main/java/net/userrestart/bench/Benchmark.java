// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark of issues 6, 17 and 19, not a test: for each number of lingering users it boots a
 * systemd sandbox (this machine's or an OS tree's), installs the tool as its RPM does, and races
 * in it, side by side, our tool against upstream's ways of doing the same work; each way must
 * restart the marked unit of every user who runs it (its MainPID changes). See {@link Options}.
 *
 * <p>{@link Runner} boots the sandboxes ({@link Box}) and times the runs, {@link Report} writes
 * the Markdown.
 */
public final class Benchmark {
  private final Options options;
  private final int cores = Runtime.getRuntime().availableProcessors();

  private Benchmark(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("benchmark: " + e.getMessage());
      System.err.println(Options.usage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(Options.usage());
      return;
    }
    System.exit(new Benchmark(options).run());
  }

  private int run() throws IOException {
    Path jar = options.jar();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": run mvn package first");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/time"))) {
      throw new IllegalStateException("/usr/bin/time is missing: install the Debian package time");
    }
    Runner runner = new Runner(options);
    String loadBefore = Runner.load();
    Instant started = Instant.now();
    List<Row> rows = new ArrayList<>();
    for (int n : options.users()) {
      for (int percent : options.running()) {
        Row row = runner.measure(n, percent);
        rows.add(row);
        System.err.println("benchmark: " + row.summary());
      }
    }
    String loadAfter = Runner.load();
    String report =
        new Report(options, cores, rows, runner.rawLines(), runner.environment(), loadBefore, loadAfter,
            Duration.between(started, Instant.now())).markdown();
    System.out.println();
    System.out.println(report);
    Path out = options.out().isAbsolute() ? options.out() : options.project().resolve(options.out());
    Files.createDirectories(out.getParent());
    Files.writeString(out, report, StandardCharsets.UTF_8);
    System.err.println("benchmark: wrote " + options.project().relativize(out.toAbsolutePath()));
    if (!rows.stream().allMatch(Row::verified)) {
      System.err.println("benchmark: a run did not restart every unit; its numbers are not valid");
      return 1;
    }
    return 0;
  }
}
