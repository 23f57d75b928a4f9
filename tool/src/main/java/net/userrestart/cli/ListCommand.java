// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarkStore;
import net.userrestart.report.Json;
import net.userrestart.report.Report;
import net.userrestart.report.Table;
import net.userrestart.restart.Listing;
import net.userrestart.restart.RestartRun;
import net.userrestart.restart.RunStoppedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Shows the active user managers and the pending marks, changing nothing. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "List the active user managers (UID, user, manager PID, whether it answers) with the pending"
          + " marked units that are active there, i.e. what the next run would restart; then the"
          + " pending marks. Changes nothing."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:Listed (also when not booted with systemd: nothing to list).",
      "2:Invalid command line.",
      "3:Not running as root.",
      "5:The mark store cannot be read.",
      "6:PID 1 could not be asked for the user managers."
    })
final class ListCommand implements Callable<Integer> {
  private final Context context;

  @Spec CommandSpec spec;

  @Mixin OutputOptions output;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description =
          "Deadline per user manager: seconds, or a time span such as 500ms (default:"
              + " ${DEFAULT-VALUE}).")
  String timeout;

  ListCommand(Context context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    Duration deadline = Users.deadline("--timeout", timeout);
    Log log = output.log(spec.commandLine().getErr(), context.env());
    Listing listing;
    try {
      listing = new RestartRun(context.host(), context.marks(), log).list(deadline);
    } catch (RunStoppedException e) {
      return ExitCodes.stopped(e, log);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      out.println(Json.write(json(listing)));
    } else {
      table(out, listing);
    }
    out.flush();
    return ExitCodes.OK;
  }

  private static String state(Listing.Manager m) {
    return m.probe().ok() ? "running" : Report.status(m.probe());
  }

  private static void table(PrintWriter out, Listing listing) {
    List<Listing.Manager> managers = listing.managers();
    if (managers.isEmpty()) {
      out.println("No active user managers.");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"UID", "USER", "PID", "STATE", "PENDING ACTIVE UNITS"});
      for (Listing.Manager m : managers) {
        List<String> units = m.pendingActiveUnits();
        rows.add(
            new String[] {
              Integer.toString(m.user().uid()),
              m.user().name(),
              Long.toString(m.pid()),
              state(m),
              m.probe().ok()
                  ? (units.isEmpty() ? "-" : String.join(" ", units))
                  : Report.error(m.probe())
            });
      }
      Table.print(out, rows, 2);
      out.println();
      out.println(
          managers.size()
              + (managers.size() == 1 ? " user manager listed." : " user managers listed."));
    }
    MarkStore.Pending pending = listing.marks();
    Set<Mark> all = pending.global();
    out.println("Marked for every user: " + (all.isEmpty() ? "nothing" : describe(all)));
    pending
        .perUser()
        .forEach((uid, marks) -> out.println("Marked for UID " + uid + ": " + describe(marks)));
  }

  private static String describe(Set<Mark> marks) {
    return marks.stream()
        .map(m -> m.unit() + (m.kind() == Mark.Kind.RELOAD ? " (reload)" : ""))
        .collect(Collectors.joining(" "));
  }

  private static Map<String, Object> json(Listing listing) {
    List<Object> managers = new ArrayList<>();
    for (Listing.Manager m : listing.managers()) {
      Map<String, Object> manager = new LinkedHashMap<>();
      manager.put("uid", m.user().uid());
      manager.put("user", m.user().name());
      manager.put("pid", m.pid());
      manager.put("state", state(m));
      manager.put("error", Report.error(m.probe()));
      manager.put("pendingActiveUnits", m.pendingActiveUnits());
      managers.add(manager);
    }
    MarkStore.Pending pending = listing.marks();
    Map<String, Object> marks = byKind(pending.global());
    Map<String, Object> perUser = new LinkedHashMap<>();
    pending.perUser().forEach((uid, set) -> perUser.put(Integer.toString(uid), byKind(set)));
    marks.put("perUser", perUser);
    marks.put("invalid", pending.invalid());
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("managers", managers);
    all.put("marks", marks);
    return all;
  }

  private static Map<String, Object> byKind(Set<Mark> marks) {
    Map<String, Object> byKind = new LinkedHashMap<>();
    byKind.put("restart", units(marks, Mark.Kind.RESTART));
    byKind.put("reload", units(marks, Mark.Kind.RELOAD));
    return byKind;
  }

  private static List<String> units(Set<Mark> marks, Mark.Kind kind) {
    return marks.stream().filter(m -> m.kind() == kind).map(Mark::unit).toList();
  }
}
