// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import net.userrestart.log.Log;
import net.userrestart.log.Shown;

/**
 * What a distribution configured for the runs of the rpm triggers, in {@link #PATH}: lines
 * {@code RestartStale=yes|no}, blank lines and comments ({@code #} or {@code ;}). Read strictly:
 * anything else is named in a one-line warning (file and line) and changes nothing; a file that
 * root (the user running the tool) does not own, or that others may write, is ignored. Only the
 * triggers' runs read it.
 *
 * @param restartStale whether the triggers' runs also try-restart the units that run replaced
 *     files (as {@code --stale}); off by default
 */
public record TriggerConfig(boolean restartStale) {
  public static final Path PATH = Path.of("/etc/systemd-user-restart.conf");

  /** Nothing configured. */
  public static final TriggerConfig DEFAULT = new TriggerConfig(false);

  /* Far more than the few lines it has; a larger file is not read. */
  private static final int MAX_BYTES = 64 * 1024;

  /** The configuration in {@code file}: the default when it is missing; problems go to {@code log}. */
  public static TriggerConfig read(Path file, Log log) {
    String text;
    try {
      Map<String, Object> attrs = Files.readAttributes(file, "unix:uid,mode");
      int mode = (Integer) attrs.get("mode");
      int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if ((Integer) attrs.get("uid") != self || (mode & 0022) != 0) {
        log.warning(file + ": ignored: not owned by root, or writable by others than its owner");
        return DEFAULT;
      }
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
      if (bytes.length > MAX_BYTES) {
        log.warning(file + ": ignored: larger than " + MAX_BYTES + " bytes");
        return DEFAULT;
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return DEFAULT;
    } catch (IOException | UnsupportedOperationException e) {
      log.warning(file + ": ignored: cannot read it: " + e.getMessage());
      return DEFAULT;
    }
    return parse(file, text, log);
  }

  /** The configuration {@code text} of {@code file} gives. */
  static TriggerConfig parse(Path file, String text, Log log) {
    boolean restartStale = false;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      String where = file + ":" + (i + 1) + ": ";
      int eq = line.indexOf('=');
      String key = eq < 0 ? line : line.substring(0, eq).strip();
      String value = eq < 0 ? "" : line.substring(eq + 1).strip();
      if (eq < 0 || !key.equals("RestartStale")) {
        log.warning(where + "ignoring " + Shown.of(line) + ": expected RestartStale=yes or RestartStale=no");
      } else if (value.equals("yes") || value.equals("no")) {
        restartStale = value.equals("yes"); // the last line wins, as in systemd's files
      } else {
        log.warning(where + "RestartStale=" + Shown.of(value) + " is not yes or no; taken as no");
        restartStale = false;
      }
    }
    return new TriggerConfig(restartStale);
  }
}
