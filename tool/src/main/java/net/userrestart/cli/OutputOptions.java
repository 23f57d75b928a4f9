// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
    return switch (env.getOrDefault("SYSTEMD_LOG_LEVEL", "").toLowerCase(Locale.ROOT)) {
      case "debug", "7" -> Log.Level.DEBUG;
      case "info", "6" -> Log.Level.INFO;
      case "warning", "4" -> Log.Level.WARNING;
      case "err", "crit", "alert", "emerg", "3" -> Log.Level.ERROR;
      default -> Log.Level.NOTICE;
    };
  }

  /**
   * Whether to show the libraries' debug output and the stack trace of an internal error: at debug
   * level, or with $SYSTEMD_LOG_LEVEL=debug even under -q (the rpm triggers run with -q).
   */
  boolean debug(Map<String, String> env) {
    return level(env) == Log.Level.DEBUG || "debug".equals(env.get("SYSTEMD_LOG_LEVEL"));
  }

  /** The command's log on {@code err}; also sets how much the libraries log, before they start. */
  Log log(PrintWriter err, Map<String, String> env) {
    quietLibraries(debug(env));
    return new Log(err, level(env), stderrIsJournal(env.get("JOURNAL_STREAM")), "");
  }

  /*
   * dbus-java (the system bus, when PID 1's private socket cannot be used) logs through slf4j, at
   * WARN for what is routine to us, such as a peer that disconnects. Those lines are noise to a
   * user; show them only at debug level. slf4j-simple reads its configuration once, from system
   * properties, when the first logger is made: after this, as no D-Bus message exists before.
   */
  private static void quietLibraries(boolean debug) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "off");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
  }

  /* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is the journal; a child with
   * redirected stderr inherits the variable, so compare it with what fd 2 really is. */
  private static boolean stderrIsJournal(String stream) {
    if (stream == null || !stream.matches("\\d+:\\d+")) {
      return false;
    }
    try {
      Map<String, Object> fd = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
      return stream.equals(fd.get("dev") + ":" + fd.get("ino"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
