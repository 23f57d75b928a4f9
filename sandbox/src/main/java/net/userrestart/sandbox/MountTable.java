// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mounts this process sees, from /proc/self/mountinfo. */
record MountTable(List<Mount> mounts) {
  /** One line: where it is mounted, the folder of its file system it shows, and its type. */
  record Mount(Path point, String root, String type) {}

  MountTable {
    mounts = List.copyOf(mounts);
  }

  static MountTable ofThisProcess() {
    try {
      return parse(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SandboxException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
    }
  }

  /** "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS". */
  static MountTable parse(List<String> lines) {
    List<Mount> mounts = new ArrayList<>();
    for (String line : lines) {
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] before = line.substring(0, dash).split(" ");
      String[] after = line.substring(dash + 3).split(" ");
      if (before.length > 4 && after.length > 0) {
        mounts.add(new Mount(Path.of(unescape(before[4])), unescape(before[3]), after[0]));
      }
    }
    return new MountTable(mounts);
  }

  /** The mount that holds {@code path}: the last one on the longest mount point above it. */
  Mount holding(Path path) {
    Mount found = null;
    for (Mount m : mounts) {
      if (path.startsWith(m.point())
          && (found == null || m.point().getNameCount() >= found.point().getNameCount())) {
        found = m;
      }
    }
    if (found == null) {
      throw new SandboxException("no mount holds " + path);
    }
    return found;
  }

  /* The kernel escapes space, tab, newline and backslash in octal. */
  private static String unescape(String field) {
    return field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\");
  }
}
