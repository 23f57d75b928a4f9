// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

import java.io.PrintWriter;

/**
 * Messages for humans on stderr. Under the journal (JOURNAL_STREAM set) each line carries a syslog
 * priority prefix, as systemd tools do, so that journalctl shows the right level. Whatever a message
 * holds, each makes one line without control characters, so that no text from outside can forge
 * another line or a priority prefix, and no line is longer than {@link #MAX_LINE}.
 */
public final class Log {
  /** The longest line written: a message naming many units is cut, never a flood. */
  public static final int MAX_LINE = 4096;

  /** Levels, with their syslog priority. */
  public enum Level {
    ERROR(3),
    WARNING(4),
    NOTICE(5),
    INFO(6),
    DEBUG(7);

    private final int priority;

    Level(int priority) {
      this.priority = priority;
    }
  }

  private final PrintWriter err;
  private final Level threshold;
  private final boolean journal;
  private final String prefix;

  public Log(PrintWriter err, Level threshold, boolean journal, String prefix) {
    this.err = err;
    this.threshold = threshold;
    this.journal = journal;
    this.prefix = prefix;
  }

  /** A log that drops everything, for tests and library use. */
  public static Log silent() {
    return new Log(new PrintWriter(PrintWriter.nullWriter()), Level.ERROR, false, "");
  }

  public boolean enabled(Level level) {
    return level.compareTo(threshold) <= 0;
  }

  public void log(Level level, String message) {
    if (!enabled(level)) {
      return;
    }
    synchronized (err) {
      err.println(
          (journal ? "<" + level.priority + ">" : "") + Shown.escaped(prefix + message, MAX_LINE));
      err.flush();
    }
  }

  public void error(String message) {
    log(Level.ERROR, message);
  }

  public void warning(String message) {
    log(Level.WARNING, message);
  }

  public void notice(String message) {
    log(Level.NOTICE, message);
  }

  public void info(String message) {
    log(Level.INFO, message);
  }

  public void debug(String message) {
    log(Level.DEBUG, message);
  }
}
