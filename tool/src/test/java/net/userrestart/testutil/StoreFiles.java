// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What a mark store holds on disk, for assertions. */
public final class StoreFiles {
  private StoreFiles() {}

  /** Every regular file below {@code root} except the lock, relative and sorted. */
  public static List<String> list(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .filter(p -> !p.equals("lock"))
          .sorted()
          .toList();
    }
  }
}
