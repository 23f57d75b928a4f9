// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.List;
import net.userrestart.report.Report;
import net.userrestart.restart.Outcome;

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

  /** OK when every outcome is, else USERS_FAILED. */
  public static int from(List<Outcome> outcomes) {
    return Report.failed(outcomes) == 0 ? OK : USERS_FAILED;
  }
}
