// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.userrestart.marks.MarkStore;
import net.userrestart.restart.ManagerAction;
import net.userrestart.systemd.SystemHost;
import picocli.CommandLine;

/** Entry point: wires the process's streams and environment to the command line. */
public final class Main {
  /* The command lines of the rpm file triggers (rpm/systemd-user-restart.spec), exactly. */
  private static final List<String> TRIGGER = List.of("--all-users", "--quiet");
  private static final List<String> TRIGGER_NO_REEXEC =
      List.of("--all-users", "--quiet", "--no-reexec");
  private static final List<String> TRIGGER_AS_NEEDED =
      List.of("--all-users", "--quiet", "--reexec=needed");

  private Main() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    Context context = new Context(new SystemHost(env), new MarkStore(MarkStore.DEFAULT_ROOT), env);
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(context, out, err, args));
  }

  /** Runs one command line; what tests call. */
  static int run(Context context, PrintWriter out, PrintWriter err, String... args) {
    List<String> argv = List.of(args);
    ManagerAction trigger =
        argv.equals(TRIGGER)
            ? ManagerAction.REEXECUTE
            : argv.equals(TRIGGER_NO_REEXEC)
                ? ManagerAction.NONE
                : argv.equals(TRIGGER_AS_NEEDED) ? ManagerAction.AS_NEEDED : null;
    if (trigger != null) {
      return triggers(context, out, err, trigger);
    }
    ErrorHandler errors = new ErrorHandler(context.env());
    return commandLine(context)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors)
        .execute(args);
  }

  /*
   * The fast path: the triggers' command lines, which run on every rpm transaction, do what
   * picocli would make of them without building its model of the command line. Deleting this
   * method and its call sends them through picocli like any other command line.
   */
  private static int triggers(
      Context context, PrintWriter out, PrintWriter err, ManagerAction action) {
    OutputOptions output = new OutputOptions();
    output.quiet = true;
    try {
      return RestartCommand.run(
          context, RestartCommand.allUsers(context, action), output, out, err, true);
    } catch (RuntimeException e) {
      return new ErrorHandler(context.env()).handle(e, err, "systemd-user-restart", output);
    }
  }

  /** The command tree; also what the man page and completion generators read. */
  static CommandLine commandLine(Context context) {
    CommandLine cl = new CommandLine(new RestartCommand(context));
    cl.addSubcommand("mark", new MarkCommand(context));
    cl.addSubcommand("list", new ListCommand(context));
    cl.addSubcommand("stale", new StaleCommand(context));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }
}
