// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import net.userrestart.log.Log;
import picocli.CommandLine.Option;

/** Output options shared by the commands: report format and how much to log. */
final class OutputOptions {
  @Option(names = "--json", description = "Print the report as one JSON object on standard output.")
  boolean json;

  @Option(
      names = {"-q", "--quiet"},
      description =
          "Log only warnings and errors; the restart report leaves out the users that succeeded.")
  boolean quiet;

  @Option(
      names = {"-v", "--verbose"},
      description =
          "Log more on standard error; twice for debug output (each user's connections and"
              + " systemd version).")
  boolean[] verbose = new boolean[0];

  /** The log level: -q, -v, -vv, else $SYSTEMD_LOG_LEVEL, else notice. */
  Log.Level level(Map<String, String> env) {
    if (verbose.length >= 2) {
      return Log.Level.DEBUG;
    } else if (verbose.length == 1) {
      return Log.Level.INFO;
    } else if (quiet) {
      return Log.Level.WARNING;
    }
    String fromEnv = env.getOrDefault("SYSTEMD_LOG_LEVEL", "").toLowerCase(Locale.ROOT);
    switch (fromEnv) {
      case "debug":
      case "7":
        return Log.Level.DEBUG;
      case "info":
      case "6":
        return Log.Level.INFO;
      case "warning":
      case "4":
        return Log.Level.WARNING;
      case "err":
      case "crit":
      case "alert":
      case "emerg":
      case "3":
        return Log.Level.ERROR;
      default:
        return Log.Level.NOTICE;
    }
  }

  Log log(PrintWriter err, Map<String, String> env) {
    return new Log(err, level(env), stderrIsJournal(env.get("JOURNAL_STREAM")), "");
  }

  /* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is the journal; a child with
   * redirected stderr inherits the variable, so compare it with what fd 2 really is. */
  private static boolean stderrIsJournal(String stream) {
    if (stream == null || !stream.matches("\\d+:\\d+")) {
      return false;
    }
    try {
      Map<String, Object> fd =
          java.nio.file.Files.readAttributes(java.nio.file.Path.of("/proc/self/fd/2"), "unix:dev,ino");
      return stream.equals(fd.get("dev") + ":" + fd.get("ino"));
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }
}
