// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Shows the message, not a stack trace; the stack trace only at debug level (-vv). A bad command
 * line gets one line naming what was wrong and where to look, as systemctl does, not the whole
 * usage.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  private final Map<String, String> env;

  ErrorHandler(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
    return handle(e, cl.getErr(), cl.getCommandSpec().qualifiedName(), output(cl));
  }

  /** Reports what ended {@code command}; its exit code. Also for the triggers' fast path. */
  int handle(Exception e, PrintWriter err, String command, OutputOptions output) {
    if (e instanceof ExitException x) {
      err.println("systemd-user-restart: " + x.getMessage());
      if (x.code() == ExitCodes.USAGE) {
        hint(err, command);
      }
      err.flush();
      return x.code();
    }
    err.println("systemd-user-restart: internal error: " + e);
    if (output.debug(env)) {
      e.printStackTrace(err);
    }
    err.flush();
    return ExitCodes.INTERNAL;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("systemd-user-restart: " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    hint(err, cl.getCommandSpec().qualifiedName());
    err.flush();
    return ExitCodes.USAGE;
  }

  /* The command's output options as parsed, or the defaults for a command without them. */
  private static OutputOptions output(CommandLine cl) {
    return cl.getCommandSpec().mixins().values().stream()
        .map(CommandSpec::userObject)
        .filter(OutputOptions.class::isInstance)
        .map(OutputOptions.class::cast)
        .findFirst()
        .orElseGet(OutputOptions::new);
  }

  /** Every usage error, found by picocli or by a command, ends with where to look. */
  private static void hint(PrintWriter err, String command) {
    err.println("Try '" + command + " --help' for more information.");
  }
}
