// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The package files of an upgrade check as real paths, symbolic links resolved: the sandbox shows
 * or binds a file at its real path, so that is where rpm inside must look for it.
 */
record Packages(Path tool, List<Path> install, List<Path> upgrade) {
  Packages {
    install = List.copyOf(install);
    upgrade = List.copyOf(upgrade);
  }

  /** Fails with a usage error for a file that is not there; {@code tool} may be null. */
  static Packages resolve(Path tool, List<Path> install, List<Path> upgrade) {
    return new Packages(tool == null ? null : real(tool), real(install), real(upgrade));
  }

  /** Every file, the tool's first when given. */
  List<Path> all() {
    List<Path> all = new ArrayList<>();
    if (tool != null) {
      all.add(tool);
    }
    all.addAll(install);
    all.addAll(upgrade);
    return all;
  }

  private static List<Path> real(List<Path> files) {
    return files.stream().map(Packages::real).toList();
  }

  private static Path real(Path file) {
    try {
      if (Files.isRegularFile(file)) {
        return file.toRealPath();
      }
    } catch (IOException e) {
      // Reported below, like a missing file.
    }
    throw new CommandFailure(ExitCode.USAGE, "no such package file: " + file);
  }
}
