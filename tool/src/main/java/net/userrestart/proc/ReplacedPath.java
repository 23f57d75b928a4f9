// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.proc;

import java.util.List;

/**
 * Whether a name the kernel shows for a mapping or an executable is a file that was replaced or
 * deleted while in use. rpm replaces a file by renaming the new one over it; the old inode lives
 * on in the processes that map it, shown with " (deleted)" after its name.
 */
public final class ReplacedPath {
  public static final String DELETED = " (deleted)";

  /*
   * Names that end in " (deleted)" but are not files a package installed: memfd and SysV shared
   * memory, shared anonymous mappings (/dev/zero), GPU buffers, AIO rings, huge pages, and
   * temporary files (libffi's trampolines, JIT code) under /tmp, /run, /dev/shm and homes.
   */
  private static final List<String> NOT_INSTALLED =
      List.of(
          "/memfd:", "/SYSV", "/dev/", "/drm", "/[aio]", "/anon_hugepage", "/tmp/", "/var/tmp/",
          "/run/", "/proc/", "/sys/", "/home/", "/root/");

  private ReplacedPath() {}

  /** The path of a replaced installed file, or null: {@code shown} is as /proc shows it. */
  public static String of(String shown) {
    if (!shown.endsWith(DELETED)) {
      return null;
    }
    String path = shown.substring(0, shown.length() - DELETED.length());
    if (!path.startsWith("/") || path.length() < 2) {
      return null;
    }
    for (String prefix : NOT_INSTALLED) {
      if (path.startsWith(prefix)) {
        return null;
      }
    }
    return path;
  }
}
