// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Looks at host processes through /proc. */
final class HostProcesses {
  private HostProcesses() {}

  /** The namespace id of {@code pid}, like {@code mnt:[4026532201]}, or null if it is gone. */
  static String namespace(long pid, String type) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", type)).toString();
    } catch (IOException e) {
      return null;
    }
  }

  /** Host PIDs of the processes in namespace {@code id} of {@code type}. */
  static List<Long> inNamespace(String type, String id) {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        long pid = Long.parseLong(proc.getFileName().toString());
        if (id.equals(namespace(pid, type))) {
          pids.add(pid);
        }
      }
    } catch (IOException e) {
      throw new SandboxException("cannot list /proc: " + e.getMessage(), e);
    }
    return pids;
  }

  /** The command name of {@code pid}, or empty if it is gone. */
  static String comm(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** The effective UID of this JVM. */
  static int effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new SandboxException("cannot read the effective UID from /proc/self/status", e);
    }
    throw new SandboxException("no Uid line in /proc/self/status");
  }

  /** The first executable called {@code name} on the standard system PATH, or null. */
  static Path which(String name) {
    for (String dir : Sandbox.PATH.split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** The processes still in namespace {@code id} after waiting up to {@code timeout} for none. */
  static List<Long> awaitNamespaceEmpty(String type, String id, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Long> pids = inNamespace(type, id);
      if (pids.isEmpty() || System.nanoTime() - end > 0) {
        return pids;
      }
      HostCgroup.sleep(20);
    }
  }

  /** Whether {@code p} exited within {@code timeout}; an interrupt ends the wait, and is kept. */
  static boolean waitFor(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  /** Whether {@code h} is gone within {@code timeout}; an interrupt ends the wait, and is kept. */
  static boolean awaitGone(ProcessHandle h, Duration timeout) {
    try {
      h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return !h.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !h.isAlive();
    }
  }

  /**
   * Throws unless this process is root, the host has the tools a sandbox runs, and {@code root} (the
   * host's or an OS tree) has systemd.
   */
  static void requireSandboxTools(Path root) {
    int euid = effectiveUid();
    if (euid != 0) {
      throw new SandboxException("the sandbox needs root (effective uid is " + euid + ")");
    }
    if (!root.equals(OsTree.HOST)) {
      OsTree.problem(root).ifPresent(p -> { throw new SandboxException("OS tree " + root + ": " + p); });
    } else if (!Files.isExecutable(Path.of(Sandbox.SYSTEMD))) {
      throw new SandboxException(Sandbox.SYSTEMD + " is missing: systemd is not installed");
    }
    for (String tool : List.of("unshare", "nsenter", "setpriv", "mount", "pivot_root")) {
      if (which(tool) == null) {
        throw new SandboxException(tool + " is missing on the host (util-linux/mount)");
      }
    }
  }
}
