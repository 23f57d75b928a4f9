// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Drains the sandbox init's output so that it never blocks on a full pipe, keeping the last lines
 * to explain a boot that failed.
 */
final class OutputTail {
  private static final int MAX_LINES = 40;

  private final Deque<String> lines = new ArrayDeque<>();
  private final Thread thread;

  OutputTail(InputStream in, String name) {
    thread =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  add(line);
                }
              } catch (IOException e) {
                // The process is gone.
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Waits a little for the rest of the output of a process that has exited. */
  void awaitEnd(long millis) {
    try {
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void add(String line) {
    if (lines.size() == MAX_LINES) {
      lines.removeFirst();
    }
    lines.addLast(line);
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The last non-blank line, which is the reason when the boot script or unshare failed. */
  synchronized String lastLine() {
    var it = lines.descendingIterator();
    while (it.hasNext()) {
      String l = it.next();
      if (!l.isBlank()) {
        return l.strip();
      }
    }
    return "";
  }
}
