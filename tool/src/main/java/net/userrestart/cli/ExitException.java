// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

/** Ends a command with a one-line message and an exit code from {@link ExitCodes}. */
final class ExitException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  ExitException(int code, String message) {
    super(message);
    this.code = code;
  }

  int code() {
    return code;
  }
}
