// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Shows the message, not a stack trace; the stack trace only with -vv. A bad command line gets
 * one line naming what was wrong and where to look, as systemctl does, not the whole usage.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  private final boolean debug;

  ErrorHandler(boolean debug) {
    this.debug = debug;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
    if (e instanceof ExitException x) {
      cl.getErr().println("systemd-user-restart: " + x.getMessage());
      if (x.code() == ExitCodes.USAGE) {
        hint(cl);
      }
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

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("systemd-user-restart: " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    hint(cl);
    err.flush();
    return ExitCodes.USAGE;
  }

  /** Every usage error, found by picocli or by a command, ends with where to look. */
  private static void hint(CommandLine cl) {
    cl.getErr()
        .println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
  }
}
