// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which host paths a sandbox shows at the same path without a bind. Its root is an overlay of the
 * host's root mount alone, with fresh /proc, /sys, /dev, /run and /tmp: what lives on another
 * mount, or below those, must be bound to be seen inside. Anything bound is read-only there and
 * cannot be replaced by a package, so a sandbox binds no more than that. A sandbox that boots an OS
 * tree shows nothing of the host: it binds every host path it needs.
 */
public final class HostView {
  private static final List<Path> FRESH =
      List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"), Path.of("/run"), Path.of("/tmp"));

  /** The host's mounts, or empty for a sandbox of an OS tree. */
  private final Optional<MountTable> table;

  private HostView(Optional<MountTable> table) {
    this.table = table;
  }

  /** The view of a sandbox that boots {@code root}: the host's / or an OS tree. */
  public static HostView forRoot(Path root) {
    return root.equals(OsTree.HOST) ? ofThisHost() : new HostView(Optional.empty());
  }

  /** The view of a sandbox booted from this process's mount namespace. */
  public static HostView ofThisHost() {
    return new HostView(Optional.of(MountTable.ofThisProcess()));
  }

  /** The view given the lines of a /proc/PID/mountinfo. */
  public static HostView ofMountInfo(List<String> mountInfo) {
    return new HostView(Optional.of(MountTable.parse(mountInfo)));
  }

  /** Whether the sandbox shows the absolute, normalised {@code path} as the host does. */
  public boolean shows(Path path) {
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("not an absolute path: " + path);
    }
    Path p = path.normalize();
    return table.isPresent()
        && FRESH.stream().noneMatch(p::startsWith)
        && table.get().holding(p).point().getNameCount() == 0;
  }

  /** Those of {@code paths} that a sandbox must bind to show them, in their order. */
  public List<Path> toBind(Collection<Path> paths) {
    return paths.stream().map(Path::normalize).filter(p -> !shows(p)).distinct().toList();
  }
}
