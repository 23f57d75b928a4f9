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
 * Benchmark of issue 6, not a test: for each number of lingering users it boots a systemd sandbox
 * whose users each run one unit, marks that unit, and times (a) {@code systemd-user-restart
 * --all-users} against (b) what the rpm shell helper does: {@code systemctl --user -M UID@
 * daemon-reexec} for all users in parallel, then {@code reload-or-restart --marked} likewise.
 * Both must restart the unit of every user (its MainPID changes). See {@link Options#usage()}.
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
    Path archive = options.archive();
    if (options.trainCds()) {
      ClassDataArchive.delete(archive);
    }
    Runner runner = new Runner(options);
    String loadBefore = Runner.load();
    Instant started = Instant.now();
    List<Row> rows = new ArrayList<>();
    for (int n : options.users()) {
      Row row = runner.measure(n);
      rows.add(row);
      System.err.println("benchmark: " + row.summary(cores));
    }
    String loadAfter = Runner.load();
    String cds = options.trainCds() ? "trained by the benchmark (one real run), removed after"
        : Files.isRegularFile(archive) ? "present (left by the build)" : "absent";
    if (options.trainCds()) {
      ClassDataArchive.delete(archive);
    }
    String report =
        new Report(options, cores, rows, runner.rawLines(), cds, loadBefore, loadAfter,
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
