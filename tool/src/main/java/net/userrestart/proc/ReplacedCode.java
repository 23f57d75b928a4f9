// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/** The replaced files one process runs: its executable and the code it maps, from /proc. */
public final class ReplacedCode {
  /* As the stale scan bounds a maps file: a line of a 4096-byte path escaped, 32 MiB at most. */
  private static final int LINE_BYTES = 4 * 4096 + 256;
  private static final long MAX_BYTES = 32L << 20;

  private final Path proc;

  /** @param proc the /proc to read ({@code /proc}, or a tree made by a test) */
  public ReplacedCode(Path proc) {
    this.proc = proc;
  }

  /**
   * The replaced files process {@code pid} runs, in the order found (its executable first); empty
   * when it runs none. Not known (an empty Optional) when the process is gone or its maps cannot
   * be read whole.
   */
  public Optional<Set<String>> of(long pid) {
    if (pid <= 0) {
      return Optional.empty();
    }
    Path dir = proc.resolve(Long.toString(pid));
    Set<String> files = new LinkedHashSet<>();
    try {
      String exe = ReplacedPath.of(Files.readSymbolicLink(dir.resolve("exe")).toString());
      if (exe != null) {
        files.add(exe);
      }
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
    try {
      MapsReader.Read read = new MapsReader(LINE_BYTES, MAX_BYTES).read(dir.resolve("maps"), files::add);
      return read == MapsReader.Read.WHOLE ? Optional.of(files) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
