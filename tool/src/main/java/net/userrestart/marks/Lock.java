// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The mark store's lock, held by one run at a time; released by {@link #close()}. */
public final class Lock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private Lock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  void check() {
    if (!lock.isValid()) {
      throw new IllegalStateException("mark store lock not held");
    }
  }

  @Override
  public void close() {
    try {
      channel.truncate(0);
    } catch (IOException ignored) {
      // The holder's PID stays in the file; the lock itself goes with the channel below.
    } finally {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closed all the same: the descriptor is gone, and with it the lock.
      }
    }
  }

  /**
   * Takes the lock of the store at {@code root}. Two runs at once would both act on the same
   * marks; the second one is told who holds the lock instead.
   */
  static Lock take(Path root) throws MarkStoreException {
    try {
      Files.createDirectories(root);
      Path file = root.resolve("lock");
      FileChannel channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        /* This JVM holds the lock already. Closing this channel would drop that fcntl lock
         * (POSIX releases all of a process's locks on a file with any of its descriptors), so
         * the channel is left open. */
        throw new MarkStoreException("another run in this process holds " + file, true);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      if (lock == null) {
        String holder = Files.readString(file, StandardCharsets.US_ASCII).trim();
        channel.close();
        throw new MarkStoreException(
            "another run"
                + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                + " holds "
                + file
                + "; marks stay pending for it or the next run",
            true);
      }
      try {
        channel.truncate(0);
        channel.write(
            ByteBuffer.wrap(
                (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
      } catch (IOException | RuntimeException e) {
        channel.close(); // and with it the lock
        throw e;
      }
      return new Lock(channel, lock);
    } catch (IOException e) {
      throw new MarkStoreException("cannot lock the mark store " + root + ": " + e, false);
    }
  }
}
