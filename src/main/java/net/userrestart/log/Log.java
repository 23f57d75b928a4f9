// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

import java.io.PrintWriter;

/**
 * Messages for humans on stderr. Under the journal (JOURNAL_STREAM set) each line carries a syslog
 * priority prefix, as systemd tools do, so that journalctl shows the right level.
 */
public final class Log {

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
      err.println((journal ? "<" + level.priority + ">" : "") + prefix + message);
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
