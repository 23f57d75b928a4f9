// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** Shows the message, not a stack trace; the stack trace only with -vv. */
final class ErrorHandler implements IExecutionExceptionHandler {
  private final boolean debug;

  ErrorHandler(boolean debug) {
    this.debug = debug;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
    if (e instanceof ExitException x) {
      cl.getErr().println("systemd-user-restart: " + x.getMessage());
      cl.getErr().flush();
      return x.code();
    }
    cl.getErr().println("systemd-user-restart: internal error: " + e);
    if (debug) {
      e.printStackTrace(cl.getErr());
    }
    cl.getErr().flush();
    return ExitCodes.INTERNAL;
  }
}
