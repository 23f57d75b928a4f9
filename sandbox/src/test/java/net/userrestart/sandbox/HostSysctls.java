// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The host's kernel settings as /proc/sys shows them to this JVM, but for counters. */
final class HostSysctls {
  private static final Path ROOT = Path.of("/proc/sys");

  /** Values the kernel changes by itself, or on every read. */
  private static final Set<String> VOLATILE =
      Set.of(
          "fs/aio-nr",
          "fs/dentry-state",
          "fs/file-nr",
          "fs/inode-nr",
          "fs/inode-state",
          "kernel/ns_last_pid",
          "kernel/perf_event_max_sample_rate",
          "kernel/pty/nr",
          "kernel/random/entropy_avail",
          "kernel/random/uuid",
          "net/netfilter/nf_conntrack_count");

  /** Folders whose files are all statistics. */
  private static final Set<String> VOLATILE_FOLDERS = Set.of("fs/quota/", "fs/binfmt_misc/");

  private HostSysctls() {}

  /** Every readable setting, by its path below /proc/sys. */
  static Map<String, String> snapshot() {
    Map<String, String> values = new TreeMap<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files.filter(Files::isRegularFile).forEach(f -> read(f, values));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return values;
  }

  private static void read(Path file, Map<String, String> values) {
    String key = ROOT.relativize(file).toString();
    if (VOLATILE.contains(key) || VOLATILE_FOLDERS.stream().anyMatch(key::startsWith)) {
      return;
    }
    try {
      values.put(key, Confinement.sysctl(file));
    } catch (IOException | UncheckedIOException | SecurityException e) {
      // Write-only or unreadable here (vm/drop_caches, net/ipv6/route/flush): not a setting.
    }
  }
}
