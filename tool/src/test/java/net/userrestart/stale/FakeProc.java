// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A /proc tree as the scanner reads it: cgroup, stat, exe and maps per process. */
public final class FakeProc {
  static final String LIBC = "/usr/lib64/libc.so.6";

  final Path root;

  public FakeProc(Path root) {
    this.root = root;
  }

  /** The cgroup of a user unit, as the unified hierarchy line of /proc/PID/cgroup. */
  public static String unitCgroup(int uid, String below) {
    return "0::/user.slice/user-" + uid + ".slice/user@" + uid + ".service/" + below + "\n";
  }

  /** A process with the given cgroup file, parent and start time, running {@code exe}. */
  public Process process(long pid, String cgroup, long ppid, long start, String exe) {
    Path dir = root.resolve(Long.toString(pid));
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("cgroup"), cgroup, StandardCharsets.UTF_8);
      Files.writeString(
          dir.resolve("stat"),
          pid + " (a) b) S " + ppid + " 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 " + start
              + " 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
      Files.deleteIfExists(dir.resolve("exe"));
      Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe));
      Files.writeString(dir.resolve("maps"), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Process(dir);
  }

  /** One fake process's directory. */
  public record Process(Path dir) {
    /** Sets its maps: one line per mapping, as "PERMS PATH" ("r-xp /usr/lib64/libc.so.6"). */
    public Process maps(String... mappings) {
      StringBuilder b = new StringBuilder();
      long address = 0x7f0000000000L;
      int inode = 1000;
      for (String m : mappings) {
        int space = m.indexOf(' ');
        String perms = m.substring(0, space);
        String path = m.substring(space + 1);
        b.append(String.format("%x-%x %s 00000000 fd:01 %d", address, address + 0x1000, perms, path.isEmpty() ? 0 : inode++));
        b.append(path.isEmpty() ? "" : " ".repeat(19) + path).append('\n');
        address += 0x1000;
      }
      return mapsText(b.toString());
    }

    public Process mapsText(String text) {
      try {
        Files.writeString(dir.resolve("maps"), text, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** The process exits: its directory goes. */
    public void exit() {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
        Files.delete(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The usual mappings of a program: itself and libc, none replaced. */
    public Process plain(String exe) {
      return maps("r--p " + exe, "r-xp " + exe, "r--p " + LIBC, "r-xp " + LIBC, "rw-p [heap]", "rw-p ");
    }
  }
}
