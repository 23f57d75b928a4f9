// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.userrestart.marks.MarkStore;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemHost;
import picocli.CommandLine;

/** Entry point: wires the process's streams and environment to the command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    Preview preview = Preview.of(args);
    quietLibraries(preview.debug(env));
    SystemHost host = new SystemHost(env);
    if (preview.asksPid1()) {
      // Connecting meanwhile hides most of the time the command line takes to parse.
      host.connectEarly();
    }
    Context context = new Context(host, new MarkStore(MarkStore.DEFAULT_ROOT), env);
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(startEarly(context, err, preview), out, err, preview, args));
  }

  /*
   * The rpm triggers' command line begins its work at once, while picocli parses it: the user
   * managers' re-execs then overlap the JVM's start-up (see EarlyRestart). Where the restart
   * command would stop before reaching PID 1 (not root, offline, a bad timeout in the
   * environment), nothing starts early and the command reports it.
   */
  static Context startEarly(Context context, PrintWriter err, Preview preview) {
    Host host = context.host();
    if (!preview.plainAllUsers() || !host.isRoot() || host.offlineReason().isPresent()) {
      return context;
    }
    OutputOptions output = new OutputOptions();
    output.quiet = preview.quiet();
    try {
      return context.withEarly(EarlyRestart.start(context, output.log(err, context.env())));
    } catch (ExitException e) {
      return context;
    }
  }

  /** Runs one command line; what tests call. */
  static int run(Context context, PrintWriter out, PrintWriter err, String... args) {
    return run(context, out, err, Preview.of(args), args);
  }

  private static int run(
      Context context, PrintWriter out, PrintWriter err, Preview preview, String[] args) {
    ErrorHandler errors = new ErrorHandler(preview.debug(context.env()));
    return commandLine(context, preview.needsSubcommands())
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors)
        .execute(args);
  }

  /** The command tree; also what the man page and completion generators read. */
  static CommandLine commandLine(Context context) {
    return commandLine(context, true);
  }

  /*
   * Without the subcommands when the command line names none and asks for no help: their models
   * cost about 10 ms to build, which the most frequent run, rpm's trigger, need not pay.
   */
  private static CommandLine commandLine(Context context, boolean subcommands) {
    CommandLine cl = new CommandLine(new RestartCommand(context));
    if (subcommands) {
      cl.addSubcommand("mark", new MarkCommand(context));
      cl.addSubcommand("list", new ListCommand(context));
      cl.addSubcommand("stale", new StaleCommand(context));
      cl.addSubcommand("sandbox", new SandboxCommand(context));
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /*
   * dbus-java (the system bus, when PID 1's private socket cannot be used) logs through slf4j, at
   * WARN for what is routine to us, such as a peer that disconnects. Those lines are noise to a
   * user; show them only at debug level. slf4j-simple reads its configuration once, from system
   * properties, before the first logger exists.
   */
  private static void quietLibraries(boolean debug) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "off");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
  }
}
