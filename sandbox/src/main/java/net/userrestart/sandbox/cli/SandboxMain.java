// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of {@code systemd-user-restart sandbox}: the launcher starts this class for a first
 * argument {@code sandbox} and passes the arguments after it. The tool itself knows nothing of
 * the sandbox.
 */
public final class SandboxMain {
  /** The command as a user types it. */
  static final String NAME = "systemd-user-restart sandbox";

  private SandboxMain() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(System.getenv(), out, err, args));
  }

  /** Runs one command line; what tests call. */
  static int run(Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
    Errors errors = new Errors();
    return commandLine(env)
        .setCommandName(NAME)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors)
        .execute(args);
  }

  /** The command, named {@code sandbox}; also what the man page and completion generators read. */
  public static CommandLine commandLine(Map<String, String> env) {
    return new CommandLine(new SandboxCommand(env));
  }

  /** The version from the jar's manifest, which Maven fills in. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Version.class.getPackage().getImplementationVersion();
      return new String[] {"systemd-user-restart " + (v == null ? "(development build)" : v)};
    }
  }

  /** A message, not a stack trace, but for a bug; a usage error ends with where to look. */
  private static final class Errors implements IExecutionExceptionHandler, IParameterExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) {
      PrintWriter err = cl.getErr();
      if (e instanceof CommandFailure f) {
        err.println("systemd-user-restart: " + f.getMessage());
        if (f.code() == ExitCode.USAGE) {
          hint(cl);
        }
        err.flush();
        return f.code().code();
      }
      err.println("systemd-user-restart: internal error: " + e);
      e.printStackTrace(err);
      err.flush();
      return ExitCode.INTERNAL.code();
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
      CommandLine cl = e.getCommandLine();
      PrintWriter err = cl.getErr();
      err.println("systemd-user-restart: " + e.getMessage());
      UnmatchedArgumentException.printSuggestions(e, err);
      hint(cl);
      err.flush();
      return ExitCode.USAGE.code();
    }

    private static void hint(CommandLine cl) {
      cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
    }
  }
}
