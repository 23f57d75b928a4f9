// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** A cgroup2 directory on the host: a sandbox's cgroup namespace root, or an exec's cgroup. */
final class HostCgroup {
  static final String PREFIX = "sur-sandbox-";

  /** Suffix of the cgroup beside a sandbox's that holds one cgroup per exec. */
  static final String EXEC_SUFFIX = "-exec";

  private final Path path;

  private HostCgroup(Path path) {
    this.path = path;
  }

  /** A handle on an existing cgroup directory. */
  static HostCgroup at(Path path) {
    return new HostCgroup(path);
  }

  Path path() {
    return path;
  }

  /** Where the host mounts cgroup2: /sys/fs/cgroup on unified hosts, .../unified on hybrid ones. */
  static Path unifiedMount() {
    return MountTable.ofThisProcess().mounts().stream()
        .filter(m -> m.type().equals("cgroup2") && m.root().equals("/"))
        .map(MountTable.Mount::point)
        .findFirst()
        .orElseThrow(() -> new SandboxException("no cgroup2 hierarchy is mounted on the host"));
  }

  /**
   * Moves {@code pid} into this JVM's own cgroup. unshare stays behind in the sandbox cgroup after
   * creating the namespace; there it would keep systemd from enabling controllers below (cgroup2
   * allows no processes in inner cgroups that distribute controllers). Best effort.
   */
  static void moveToOwnCgroup(Path root, long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        if (line.startsWith("0::")) {
          Path own = root.resolve(line.substring(3).replaceFirst("^/", ""));
          Files.writeString(own.resolve("cgroup.procs"), Long.toString(pid));
          return;
        }
      }
    } catch (IOException e) {
      // Only matters on hosts with controllers on cgroup2; cgroup.kill still reaches it.
    }
  }

  static HostCgroup create(Path root, String name) {
    Path p = root.resolve(name);
    try {
      Files.createDirectory(p);
    } catch (IOException e) {
      throw new SandboxException("cannot create cgroup " + p + ": " + e.getMessage(), e);
    }
    return new HostCgroup(p);
  }

  /**
   * Removes {@code sur-sandbox-*} cgroups that no process uses any more, left by a run that was
   * killed before it could clean up. Populated ones belong to a sandbox still running, and ones
   * younger than {@code minAge} may belong to a sandbox whose init has not joined its cgroup yet.
   * An exec cgroup is empty between commands, so its sandbox's cgroup decides for it.
   */
  static void removeStale(Path root, Duration minAge, Consumer<String> progress) {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(root, PREFIX + "*")) {
      listing.forEach(dirs::add);
    } catch (IOException e) {
      throw new SandboxException("cannot list " + root + ": " + e.getMessage(), e);
    }
    int running = 0;
    for (Path dir : dirs) {
      String name = dir.getFileName().toString();
      HostCgroup stale = new HostCgroup(dir);
      HostCgroup owner =
          name.endsWith(EXEC_SUFFIX)
              ? new HostCgroup(
                  root.resolve(name.substring(0, name.length() - EXEC_SUFFIX.length())))
              : stale;
      if (owner.populated()) {
        running += owner == stale ? 1 : 0;
        continue;
      }
      if (stale.populated() || stale.young(minAge) || owner.young(minAge)) {
        continue;
      }
      try {
        stale.removeTree();
        progress.accept("sandbox: removed stale cgroup " + dir);
      } catch (IOException e) {
        progress.accept("sandbox: cannot remove stale cgroup " + dir + ": " + e.getMessage());
      }
    }
    if (running > 0) {
      progress.accept("sandbox: " + running + " other sandbox(es) running on this machine");
    }
  }

  /** Created less than {@code minAge} ago; false once gone. */
  private boolean young(Duration minAge) {
    try {
      long mtime = Files.getLastModifiedTime(path).toMillis();
      // A cgroup directory's mtime does not change when children come and go.
      return System.currentTimeMillis() - mtime < minAge.toMillis();
    } catch (IOException e) {
      return false;
    }
  }

  /** True while a process lives in this cgroup or below. */
  boolean populated() {
    try {
      for (String line : Files.readAllLines(path.resolve("cgroup.events"))) {
        if (line.startsWith("populated ")) {
          return !line.endsWith(" 0");
        }
      }
      return false;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new SandboxException("cannot read " + path.resolve("cgroup.events"), e);
    }
  }

  /** SIGKILLs every process in the subtree at once (cgroup.kill, Linux 5.14 and later). */
  void kill() {
    Path kill = path.resolve("cgroup.kill");
    try {
      if (Files.exists(kill)) {
        Files.writeString(kill, "1");
        return;
      }
    } catch (IOException e) {
      // Fall back to signalling each process below.
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.filter(p -> p.getFileName().toString().equals("cgroup.procs"))
          .forEach(HostCgroup::killListed);
    } catch (IOException | java.io.UncheckedIOException e) {
      // The tree is vanishing while we walk it: the caller checks populated() afterwards.
    }
  }

  private static void killListed(Path procs) {
    try {
      for (String pid : Files.readAllLines(procs)) {
        ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
      }
    } catch (IOException | NumberFormatException e) {
      // Gone already.
    }
  }

  /** Waits until no process is left below, up to {@code timeout}; returns whether that happened. */
  boolean awaitEmpty(Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (populated()) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      sleep(20);
    }
    return true;
  }

  /**
   * Removes this cgroup and the ones systemd created below it, deepest first. rmdir of a cgroup
   * whose last process is still being reaped fails with EBUSY for a moment, so it is retried.
   */
  void remove(Duration timeout) throws IOException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        removeTree();
        return;
      } catch (IOException e) {
        if (System.nanoTime() - end > 0) {
          throw e;
        }
        sleep(20);
      }
    }
  }

  private void removeTree() throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(path)) {
      walk.filter(Files::isDirectory).forEach(dirs::add);
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
    // Children sort after their parents: remove in reverse.
    for (int i = dirs.size() - 1; i >= 0; i--) {
      try {
        Files.delete(dirs.get(i));
      } catch (NoSuchFileException e) {
        // Already gone.
      }
    }
  }

  /** Sleeps; an interrupt ends the sandbox's work with a SandboxException. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
