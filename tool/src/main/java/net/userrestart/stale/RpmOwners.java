// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The rpm database, asked with one {@code rpm -qf} for all paths.
 *
 * <p>{@code rpm -qf A B} prints nothing that says which line answers which path: a path owned by
 * two packages gets two lines, a missing one a line on standard error instead. So the query prints
 * the file list of each owning package, path and package per line, and each asked path is looked
 * up in that. The lists are those of the few packages that own replaced files, and bounded.
 */
public final class RpmOwners implements PackageOwners {
  private static final String FORMAT =
      "[%{FILENAMES}\\t%{=NAME}-%{=VERSION}-%{=RELEASE}.%{=ARCH}\\n]";
  /* Well within ARG_MAX (2 MiB on Linux, shared with the environment). */
  private static final int MAX_ARG_BYTES = 512 * 1024;
  private static final int MAX_OUTPUT_BYTES = 64 << 20;

  private final List<String> rpm;
  private final Duration timeout;

  /**
   * @param rpm the rpm command: the program ("rpm", looked up in PATH), and options such as
   *     --dbpath
   */
  public RpmOwners(List<String> rpm, Duration timeout) {
    this.rpm = List.copyOf(rpm);
    this.timeout = timeout;
  }

  @Override
  public Optional<Map<String, List<String>>> owners(Collection<String> paths) {
    List<String> argv = new ArrayList<>(rpm);
    argv.addAll(List.of("-qf", "--qf", FORMAT));
    Set<String> asked = new LinkedHashSet<>();
    int bytes = 0;
    for (String path : paths) {
      // A line of output cannot carry a newline, and rpm cleans backslashes and ".." out of
      // paths; such paths are not asked about.
      if (!path.startsWith("/") || path.contains("\n") || path.contains("\\") || path.contains("/..")
          || asked.contains(path)) {
        continue;
      }
      if (bytes + path.length() + 1 > MAX_ARG_BYTES) {
        break;
      }
      bytes += path.length() + 1;
      asked.add(path);
      argv.add(path);
    }
    if (asked.isEmpty()) {
      return Optional.of(Map.of());
    }
    byte[] out;
    try {
      out = run(argv);
    } catch (IOException e) {
      return Optional.empty(); // no rpm here
    }
    return Optional.of(parse(new String(out, StandardCharsets.UTF_8), asked));
  }

  /** The owners of the {@code asked} paths in rpm's output. */
  static Map<String, List<String>> parse(String output, Set<String> asked) {
    Map<String, List<String>> owners = new HashMap<>();
    for (String line : output.split("\n")) {
      int tab = line.lastIndexOf('\t');
      if (tab <= 0) {
        continue;
      }
      String path = line.substring(0, tab);
      if (asked.contains(path)) {
        List<String> list = owners.computeIfAbsent(path, p -> new ArrayList<>());
        String pkg = line.substring(tab + 1);
        if (!list.contains(pkg)) {
          list.add(pkg);
        }
      }
    }
    return owners;
  }

  /* rpm's standard output, bounded; killed at the deadline. Its exit code is the number of paths
   * it found no owner for, which is no failure here. */
  private byte[] run(List<String> argv) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("LC_ALL", "C");
    Process p = pb.start();
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .execute(p::destroyForcibly);
    try (InputStream in = p.getInputStream()) {
      byte[] out = in.readNBytes(MAX_OUTPUT_BYTES);
      if (out.length == MAX_OUTPUT_BYTES) {
        p.destroy(); // the rest is not read
      }
      return out;
    } finally {
      try {
        p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
