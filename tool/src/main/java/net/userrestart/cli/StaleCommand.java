// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.userrestart.log.Log;
import net.userrestart.marks.MarkStoreException;
import net.userrestart.marks.MarksByUser;
import net.userrestart.report.StaleReport;
import net.userrestart.restart.RestartRun;
import net.userrestart.restart.RunStoppedException;
import net.userrestart.restart.UserTarget;
import net.userrestart.stale.Limits;
import net.userrestart.stale.PackageOwners;
import net.userrestart.stale.ProcScanner;
import net.userrestart.stale.RpmOwners;
import net.userrestart.stale.StaleCheck;
import net.userrestart.stale.StaleResult;
import net.userrestart.systemd.Host;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Lists the user units that still run replaced files, changing nothing. */
@Command(
    name = "stale",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "List the user units whose processes still run replaced code: an executable or shared"
          + " library that was deleted or replaced (by a package upgrade, say) while it was in use."
          + " Reads /proc (each process's exe and maps) of the processes of every active user"
          + " manager, or of the users given, and matches them to units by their cgroup. Per unit:"
          + " the user, the unit, its main PID, the first few replaced files with the package that"
          + " owns each path now (from the rpm database, when rpm is installed), and whether the unit"
          + " is marked for restart. A user manager (user@UID.service) that runs replaced files is"
          + " listed too: it needs a re-exec. Changes nothing.",
      "",
      "The main PID is read from /proc: the oldest process of the unit that is a child of the user"
          + " manager (else the oldest process of the unit)."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:Listed, whether or not units run replaced files (also when not booted with systemd).",
      "2:Invalid command line, or no such user.",
      "3:Not running as root.",
      "6:PID 1 could not be asked for the user managers."
    })
final class StaleCommand implements Callable<Integer> {
  /** PID 1 answers in milliseconds; this is for a system that is busy or stuck. */
  private static final Duration PID1_TIMEOUT = Duration.ofSeconds(15);

  private static final Duration RPM_TIMEOUT = Duration.ofSeconds(60);

  private final Context context;
  private final Path proc;
  private final PackageOwners packages;

  @Spec CommandSpec spec;

  @Mixin OutputOptions output;

  @Option(
      names = {"-u", "--user"},
      paramLabel = "NAME|UID",
      description = "Only this user's manager; repeatable. Default: every active user manager.")
  List<String> users = new ArrayList<>();

  StaleCommand(Context context) {
    this(context, context.proc(), new RpmOwners(List.of("rpm"), RPM_TIMEOUT));
  }

  /** With another /proc and package database: for tests. */
  StaleCommand(Context context, Path proc, PackageOwners packages) {
    this.context = context;
    this.proc = proc;
    this.packages = packages;
  }

  @Override
  public Integer call() {
    Log log = output.log(spec.commandLine().getErr(), context.env());
    Host host = context.host();
    List<UserTarget> asked = Users.resolve(host, users);
    List<StaleCheck.Manager> managers;
    try {
      managers = managers(new RestartRun(host, context.marks(), log), asked, log);
    } catch (RunStoppedException e) {
      return ExitCodes.stopped(e, log);
    }
    Optional<MarksByUser> marks;
    try {
      marks = Optional.of(context.marks().read());
    } catch (MarkStoreException e) {
      log.warning("cannot read the mark store, marks not shown: " + e.getMessage());
      marks = Optional.empty();
    }
    StaleResult result;
    try {
      result = new StaleCheck(new ProcScanner(proc, Limits.DEFAULT), packages).check(managers, marks);
    } catch (IOException e) {
      throw new ExitException(ExitCodes.INTERNAL, "cannot list " + proc + ": " + e.getMessage());
    }
    log.info(
        result.processes() + " processes of " + result.managers() + " user managers read; "
            + result.vanished() + " exited while read, " + result.truncated() + " read in part.");
    if (!result.packagesKnown()) {
      log.info("rpm is not available: the files' packages are not shown.");
    }
    StaleReport.write(result, output.json, spec.commandLine().getOut());
    return ExitCodes.OK;
  }

  /* The active managers asked for, with their PIDs, from PID 1; users without one are named. */
  private static List<StaleCheck.Manager> managers(
      RestartRun run, List<UserTarget> asked, Log log) throws RunStoppedException {
    Map<Integer, RestartRun.ActiveManager> active = new LinkedHashMap<>();
    for (RestartRun.ActiveManager m : run.activeManagers(PID1_TIMEOUT)) {
      active.put(m.uid(), m);
    }
    List<Integer> uids = new ArrayList<>();
    for (UserTarget u : asked) {
      if (!active.containsKey(u.uid())) {
        log.notice(u.label() + " has no active user manager.");
      } else if (!uids.contains(u.uid())) {
        uids.add(u.uid());
      }
    }
    if (asked.isEmpty()) {
      uids.addAll(active.keySet());
    }
    List<StaleCheck.Manager> managers = new ArrayList<>();
    for (int uid : uids) {
      RestartRun.ActiveManager m = active.get(uid);
      managers.add(new StaleCheck.Manager(uid, m.name(), m.pid()));
    }
    return managers;
  }
}
