// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

/** Ends the command with a one-line message and an exit code. */
final class CommandFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ExitCode code;

  CommandFailure(ExitCode code, String message) {
    super(message);
    this.code = code;
  }

  ExitCode code() {
    return code;
  }
}
