// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads a child's output stream to its end on a thread of its own. */
final class StreamCollector {
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final Thread thread;

  StreamCollector(InputStream in, String name) {
    thread =
        new Thread(
            () -> {
              byte[] chunk = new byte[8192];
              try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                  synchronized (buffer) {
                    buffer.write(chunk, 0, n);
                  }
                }
              } catch (IOException e) {
                // The stream was closed under us: what was read so far is the output.
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Waits up to {@code grace} for the end of the stream. A daemon started by the command may keep
   * the pipe open; the output read so far is then all there is.
   */
  String text(Duration grace) {
    try {
      thread.join(Math.max(1, grace.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (buffer) {
      return buffer.toString(StandardCharsets.UTF_8);
    }
  }
}
