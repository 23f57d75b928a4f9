// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.List;
import net.userrestart.log.Log;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.RunStoppedException;

/** The exit codes, in one place; --help, the man page and README list the same. */
public final class ExitCodes {
  /** Every user manager was handled, or there was nothing to do (also: not booted with systemd). */
  public static final int OK = 0;
  /** At least one user manager failed, was refused, or timed out; its marks stay pending. */
  public static final int USERS_FAILED = 1;
  /** Invalid command line: unknown option, bad unit name, unknown user. */
  public static final int USAGE = 2;
  /** Not run as root. */
  public static final int NOT_PERMITTED = 3;
  /** Another run holds the mark store's lock. */
  public static final int BUSY = 4;
  /** The mark store cannot be read or written. */
  public static final int STORE = 5;
  /** Booted with systemd, but PID 1 could not be asked for the user managers. */
  public static final int UNAVAILABLE = 6;
  /** A bug: an unexpected exception. */
  public static final int INTERNAL = 70;

  private ExitCodes() {}

  /** OK when every user manager was handled as asked, else USERS_FAILED. */
  static int of(List<Outcome> outcomes) {
    return outcomes.stream().allMatch(Outcome::ok) ? OK : USERS_FAILED;
  }

  /**
   * A run that stopped before any user manager: OK, said on the log, where there is nothing to do;
   * else an {@link ExitException} with the reason's code.
   */
  static int stopped(RunStoppedException e, Log log) {
    if (e.reason() == RunStoppedException.Reason.OFFLINE) {
      log.notice(e.getMessage() + ", nothing to do.");
      return OK;
    }
    throw new ExitException(code(e.reason()), e.getMessage());
  }

  private static int code(RunStoppedException.Reason reason) {
    return switch (reason) {
      case OFFLINE -> OK;
      case NOT_ROOT -> NOT_PERMITTED;
      case PID1_UNAVAILABLE -> UNAVAILABLE;
      case STORE_BUSY -> BUSY;
      case STORE_UNUSABLE -> STORE;
    };
  }
}
