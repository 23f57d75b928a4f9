// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import net.userrestart.log.Log;
import net.userrestart.log.Shown;
import net.userrestart.report.Report;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Request;
import net.userrestart.restart.RestartRun;
import net.userrestart.restart.RunStoppedException;
import net.userrestart.restart.TriggerConfig;
import net.userrestart.restart.UserTarget;
import net.userrestart.stale.Limits;
import net.userrestart.stale.ProcStaleUnits;
import net.userrestart.stale.ProcScanner;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The main command: re-execute user managers and restart marked user units. */
@Command(
    name = "systemd-user-restart",
    header = "Restart systemd user services of every user after a package upgrade.",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Re-execute the systemd user manager of every user (user@UID.service) and try-restart the"
          + " user units that package scriptlets marked for restart, so that user services run the"
          + " new code after an upgrade.",
      "",
      "Run as root. Each user manager is reached directly on /run/user/UID/systemd/private and is"
          + " given one deadline (--timeout) for all its work; users are handled concurrently.",
      "",
      "The report gives, per user, how it went, a manager: line saying what was done to the"
          + " manager and why (with --reexec=needed: \"re-exec: manager maps replaced FILE\","
          + " \"reload: N loaded units changed on disk: UNIT\", \"reload: changed on disk: DIR\" or"
          + " \"none needed\"), and a line per unit."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:Success, or nothing to do (also when not booted with systemd).",
      "1:At least one user manager failed, was refused or timed out.",
      "2:Invalid command line, unit name or user.",
      "3:Not running as root.",
      "4:Another run holds the mark store's lock.",
      "5:The mark store cannot be read or written.",
      "6:PID 1 could not be asked for the user managers.",
      "70:Internal error."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  From an rpm file trigger, at the end of a transaction:",
      "    systemd-user-restart --all-users --quiet || :",
      "  After an upgrade, re-executing or reloading only the managers that need it:",
      "    systemd-user-restart --all-users --reexec=needed",
      "  An administrator, for one user, to see first what would happen:",
      "    systemd-user-restart --user alice --dry-run",
      "    systemd-user-restart --user alice pipewire.service",
      "  A packager, after installing a test build that marks its units:",
      "    systemd-user-restart list",
      "    systemd-user-restart --all-users --dry-run",
      "  A packager, to try an upgrade in a throwaway systemd",
      "  (package systemd-user-restart-sandbox):",
      "    systemd-user-restart sandbox --help"
    })
final class RestartCommand implements Callable<Integer> {
  private final Context context;

  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Selection selection;

  /** Which users: exactly one of the two options. */
  static final class Selection {
    @Option(
        names = {"-a", "--all-users"},
        required = true,
        description = "Act on every active user manager.")
    boolean all;

    @Option(
        names = {"-u", "--user"},
        required = true,
        paramLabel = "NAME|UID",
        description = "Act on this user's manager only; may be repeated.")
    List<String> users;
  }

  @Parameters(
      paramLabel = "UNIT",
      arity = "0..*",
      description = "User units to try-restart too, besides the marked ones.")
  List<String> units = new ArrayList<>();

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  ManagerChoice manager;

  /** What to do to each manager first; by default, daemon-reexec. */
  static final class ManagerChoice {
    @Option(
        names = "--reexec",
        required = true,
        paramLabel = "WHEN",
        description =
            "When to re-execute each user manager: always (the default), needed (re-execute a"
                + " manager that runs replaced code, daemon-reload one whose unit files or"
                + " configuration changed since it loaded them, else neither), or never.")
    String when;

    @Option(
        names = "--no-reexec",
        required = true,
        description = "Do not re-execute the user managers; restart units only (--reexec=never).")
    boolean none;

    @Option(
        names = "--daemon-reload",
        required = true,
        description = "Run daemon-reload in the user managers instead of re-executing them.")
    boolean reload;

    ManagerAction action() {
      if (when != null) {
        return reexec(when);
      }
      return none ? ManagerAction.NONE : ManagerAction.RELOAD;
    }
  }

  /** The action of --reexec=WHEN. */
  static ManagerAction reexec(String when) {
    return switch (when) {
      case "always" -> ManagerAction.REEXECUTE;
      case "needed" -> ManagerAction.AS_NEEDED;
      case "never" -> ManagerAction.NONE;
      default -> throw new ExitException(
          ExitCodes.USAGE,
          "--reexec must be needed, always or never, not '" + Shown.of(when) + "'");
    };
  }

  @Option(
      names = "--no-markers",
      description = "Do not restart units marked with systemd's own Markers=needs-restart.")
  boolean noMarkers;

  @Option(
      names = "--stale",
      description =
          "Also try-restart the user services that still run replaced files (see the stale"
              + " command), after the re-exec, as marked units are.")
  boolean stale;

  @Option(
      names = "--dry-run",
      description =
          "Print what would be done (managers, marked units active there); change nothing.")
  boolean dryRun;

  /* Read here rather than interpolated by picocli, so that a bad value is named as what it is. */
  static final String TIMEOUT_ENV = "SYSTEMD_USER_RESTART_TIMEOUT";

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description =
          "Deadline per user manager, covering connect, calls and job waits: seconds, or a time"
              + " span such as 500ms or 2min (default: 15, or $SYSTEMD_USER_RESTART_TIMEOUT).")
  String timeout;

  @Option(
      names = {"-j", "--jobs"},
      paramLabel = "N",
      description = "User managers worked on at once (default: 8 per CPU).")
  Integer jobs;

  @Mixin OutputOptions output;

  RestartCommand(Context context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    if (selection == null) {
      throw new ExitException(ExitCodes.USAGE, "say which users: --all-users, or --user NAME|UID");
    }
    CommandLine cl = spec.commandLine();
    Request request = request();
    return run(context, request, output, cl.getOut(), cl.getErr(), isTriggers(request));
  }

  /*
   * Whether this is one of the rpm triggers' command lines, --all-users --quiet alone or with
   * --reexec=needed or --no-reexec: the same through picocli as through Main's fast path.
   */
  private boolean isTriggers(Request request) {
    return request.action() != ManagerAction.RELOAD
        && request.equals(allUsers(context, request.action()))
        && output.quiet
        && !output.json
        && output.verbose.length == 0;
  }

  /**
   * Runs {@code request}: logs each user's outcome as it comes, then the report; the exit code.
   * What the command and Main's fast path for the rpm triggers share. A trigger's run ({@code
   * trigger}) also reads the triggers' configuration first (RestartStale= adds --stale), and
   * ends with a line on the units still running replaced files, if any.
   */
  static int run(
      Context context,
      Request request,
      OutputOptions output,
      PrintWriter out,
      PrintWriter err,
      boolean trigger) {
    Log log = output.log(err, context.env());
    Request asked =
        trigger ? request.withStale(TriggerConfig.read(context.config(), log).restartStale()) : request;
    ProcStaleUnits stale = new ProcStaleUnits(new ProcScanner(context.proc(), Limits.DEFAULT));
    RestartRun run = new RestartRun(context.host(), context.marks(), log, stale);
    try {
      List<Outcome> outcomes = run.run(asked, o -> logOutcome(log, o));
      Report.of(output.json, output.quiet).write(outcomes, asked.dryRun(), out);
      if (trigger) {
        summary(stale, outcomes, log);
      }
      return ExitCodes.of(outcomes);
    } catch (RunStoppedException e) {
      return ExitCodes.stopped(e, log);
    }
  }

  /*
   * At the end of a trigger's run, a warning (shown under --quiet) when user units of the managers
   * just worked on still run replaced files: the administrator learns of them once per
   * transaction, and where to look. Read from /proc only; no package database.
   */
  private static void summary(ProcStaleUnits stale, List<Outcome> outcomes, Log log) {
    Set<Integer> uids = new TreeSet<>();
    for (Outcome o : outcomes) {
      if (!(o instanceof Outcome.Skipped)) {
        uids.add(o.user().uid());
      }
    }
    if (uids.isEmpty()) {
      return;
    }
    try {
      stale.summary(uids).ifPresent(log::warning);
    } catch (IOException e) {
      log.debug("no stale summary: " + e.getMessage());
    }
  }

  /** What the parsed command line asks. */
  Request request() {
    Users.checkUnits(units);
    ManagerAction action = manager == null ? ManagerAction.REEXECUTE : manager.action();
    Optional<List<UserTarget>> users =
        selection.all
            ? Optional.empty()
            : Optional.of(Users.resolve(context.host(), selection.users));
    return request(context, users, units, action, !noMarkers, timeout, jobs, dryRun).withStale(stale);
  }

  /** What {@code --all-users} asks with {@code action} and no other option, in {@code context}. */
  static Request allUsers(Context context, ManagerAction action) {
    return request(context, Optional.empty(), List.of(), action, true, null, null, false);
  }

  private static Request request(
      Context context,
      Optional<List<UserTarget>> users,
      List<String> units,
      ManagerAction action,
      boolean markers,
      String timeout,
      Integer jobs,
      boolean dryRun) {
    int n = jobs == null ? Request.JOBS_PER_CPU * context.host().cpus() : jobs;
    if (n < 1 || n > 1024) {
      throw new ExitException(ExitCodes.USAGE, "--jobs must be between 1 and 1024, not " + n);
    }
    return new Request(
        users, units, action, markers, deadline(timeout, context.env()), n, dryRun, false);
  }

  /* --timeout, else $SYSTEMD_USER_RESTART_TIMEOUT (empty is unset, as systemd reads it), else 15. */
  private static Duration deadline(String timeout, Map<String, String> env) {
    if (timeout != null) {
      return Users.deadline("--timeout", timeout);
    }
    String fromEnv = env.getOrDefault(TIMEOUT_ENV, "");
    return fromEnv.isEmpty() ? DEFAULT_TIMEOUT : Users.deadline("$" + TIMEOUT_ENV, fromEnv);
  }

  private static void logOutcome(Log log, Outcome o) {
    String who = o.user().label() + ": ";
    if (o.ok()) {
      log.info(who + Report.status(o) + " in " + o.took().toMillis() + " ms");
    } else {
      log.warning(
          String.format(
              "%s%s at %s: %s; its unfinished marks stay pending",
              who, Report.status(o), Report.step(o), Report.error(o)));
    }
  }
}
