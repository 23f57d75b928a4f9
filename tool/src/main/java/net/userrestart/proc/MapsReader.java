// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.proc;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Reads a /proc/PID/maps file in bounded pieces and hands on the replaced files that are mapped
 * executable: the code of a program or shared library. One reader per scan, reused for every
 * process (its buffer is not shared between threads).
 */
public final class MapsReader {
  private static final byte[] DELETED = ReplacedPath.DELETED.getBytes(StandardCharsets.US_ASCII);

  private final byte[] buffer;
  private final long maxBytes;

  /**
   * @param lineBytes the longest line read; longer ones are skipped (the kernel's lines are at
   *     most a path of 4096 bytes, with newlines escaped as 4 bytes, and 100 more)
   * @param maxBytes what is read of one file at most
   */
  public MapsReader(int lineBytes, long maxBytes) {
    this.buffer = new byte[lineBytes];
    this.maxBytes = maxBytes;
  }

  /** Whether the file was read to its end, within the bounds. */
  public enum Read {
    WHOLE,
    TRUNCATED
  }

  /**
   * Passes the path of each replaced file that {@code maps} maps executable to {@code found}.
   *
   * @throws IOException when the file cannot be read (the process exited, for one)
   */
  public Read read(Path maps, Consumer<String> found) throws IOException {
    try (InputStream in = new FileInputStream(maps.toString())) {
      int filled = 0;
      long total = 0;
      boolean skipping = false; // in a line too long for the buffer
      while (true) {
        int n = in.read(buffer, filled, buffer.length - filled);
        if (n < 0) {
          if (filled > 0 && !skipping) {
            line(0, filled, found); // a last line without its newline
          }
          return Read.WHOLE;
        }
        total += n;
        int end = filled + n;
        int start = 0;
        for (int i = filled; i < end; i++) {
          if (buffer[i] == '\n') {
            if (!skipping) {
              line(start, i, found);
            }
            skipping = false;
            start = i + 1;
          }
        }
        if (start == 0 && end == buffer.length) {
          skipping = true; // the line fills the buffer: drop it up to its newline
          filled = 0;
        } else {
          System.arraycopy(buffer, start, buffer, 0, end - start);
          filled = end - start;
        }
        if (total >= maxBytes) {
          return Read.TRUNCATED;
        }
      }
    }
  }

  /* "ADDRESS PERMS OFFSET DEV INODE   PATH": only executable mappings of deleted files. */
  private void line(int from, int to, Consumer<String> found) {
    if (to - from <= DELETED.length || !endsWithDeleted(to)) {
      return;
    }
    int perms = next(from, to, 1);
    if (perms < 0 || perms + 3 >= to || buffer[perms + 2] != 'x') {
      return;
    }
    int inode = next(from, to, 4);
    if (inode < 0) {
      return;
    }
    int path = inode;
    while (path < to && buffer[path] != ' ') {
      path++;
    }
    while (path < to && buffer[path] == ' ') {
      path++;
    }
    if (path >= to) {
      return;
    }
    // The kernel escapes a newline in a path as \012 (and nothing else).
    String shown = new String(buffer, path, to - path, StandardCharsets.UTF_8).replace("\\012", "\n");
    String replaced = ReplacedPath.of(shown);
    if (replaced != null) {
      found.accept(replaced);
    }
  }

  /* The start of field number {@code field} (0 is the first) of the line, or -1. */
  private int next(int from, int to, int field) {
    int i = from;
    for (int f = 0; f < field; f++) {
      while (i < to && buffer[i] != ' ') {
        i++;
      }
      if (i >= to) {
        return -1;
      }
      i++;
    }
    return i < to ? i : -1;
  }

  private boolean endsWithDeleted(int to) {
    int start = to - DELETED.length;
    for (int i = 0; i < DELETED.length; i++) {
      if (buffer[start + i] != DELETED[i]) {
        return false;
      }
    }
    return true;
  }
}
