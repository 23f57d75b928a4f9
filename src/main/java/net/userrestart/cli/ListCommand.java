// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarkStore;
import net.userrestart.report.Json;
import net.userrestart.report.Report;
import net.userrestart.report.Table;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Plan;
import net.userrestart.restart.Planner;
import net.userrestart.restart.Request;
import net.userrestart.restart.UnitResult;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemManager;
import net.userrestart.systemd.SystemdException;
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
    Log log = output.log(spec.commandLine().getErr(), context.env());
    Host host = context.host();
    if (!Steps.online(host, log)) {
      return ExitCodes.OK;
    }
    Duration deadline = Users.deadline("--timeout", timeout);
    Map<Integer, String> active;
    Map<Integer, Long> pids = new LinkedHashMap<>();
    try (SystemManager pid1 = Steps.connect(host, deadline)) {
      active = Steps.activeManagers(host, pid1);
      for (int uid : active.keySet()) {
        pids.put(uid, pid1.managerPid(uid));
      }
    } catch (SystemdException e) {
      throw Steps.unavailable(e);
    }
    MarkStore.Pending pending = Steps.read(context.marks(), log);
    Request probe =
        new Request(
            Optional.empty(),
            List.of(),
            ManagerAction.NONE,
            false,
            deadline,
            Steps.JOBS_PER_CPU * host.cpus(),
            true);
    Plan plan = Planner.plan(probe, active, pending);
    List<Outcome> outcomes = Steps.run(host, plan, log, o -> {});
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      out.println(Json.write(json(outcomes, pids, pending)));
    } else {
      table(out, outcomes, pids, pending);
    }
    out.flush();
    return ExitCodes.OK;
  }

  private static List<String> wouldRestart(Outcome o) {
    return o.units().stream()
        .filter(u -> u.result().word().startsWith("would-"))
        .map(UnitResult::unit)
        .distinct()
        .toList();
  }

  private static String state(Outcome o) {
    return o.ok() ? "running" : Report.status(o);
  }

  private static void table(
      PrintWriter out, List<Outcome> outcomes, Map<Integer, Long> pids, MarkStore.Pending pending) {
    if (outcomes.isEmpty()) {
      out.println("No active user managers.");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"UID", "USER", "PID", "STATE", "PENDING ACTIVE UNITS"});
      for (Outcome o : outcomes) {
        List<String> units = wouldRestart(o);
        rows.add(
            new String[] {
              Integer.toString(o.user().uid()),
              o.user().name(),
              Long.toString(pids.getOrDefault(o.user().uid(), 0L)),
              state(o),
              o.ok() ? (units.isEmpty() ? "-" : String.join(" ", units)) : Report.error(o)
            });
      }
      Table.print(out, rows, 2);
      out.println();
      out.println(
          outcomes.size()
              + (outcomes.size() == 1 ? " user manager listed." : " user managers listed."));
    }
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

  private static Map<String, Object> json(
      List<Outcome> outcomes, Map<Integer, Long> pids, MarkStore.Pending pending) {
    List<Object> managers = new ArrayList<>();
    for (Outcome o : outcomes) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("uid", o.user().uid());
      m.put("user", o.user().name());
      m.put("pid", pids.getOrDefault(o.user().uid(), 0L));
      m.put("state", state(o));
      m.put("error", Report.error(o));
      m.put("pendingActiveUnits", wouldRestart(o));
      managers.add(m);
    }
    Map<String, Object> marks = new LinkedHashMap<>();
    marks.put("restart", units(pending.global(), Mark.Kind.RESTART));
    marks.put("reload", units(pending.global(), Mark.Kind.RELOAD));
    Map<String, Object> perUser = new LinkedHashMap<>();
    pending
        .perUser()
        .forEach(
            (uid, set) -> {
              Map<String, Object> u = new LinkedHashMap<>();
              u.put("restart", units(set, Mark.Kind.RESTART));
              u.put("reload", units(set, Mark.Kind.RELOAD));
              perUser.put(Integer.toString(uid), u);
            });
    marks.put("perUser", perUser);
    marks.put("invalid", pending.invalid());
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("managers", managers);
    all.put("marks", marks);
    return all;
  }

  private static List<String> units(Set<Mark> marks, Mark.Kind kind) {
    return marks.stream().filter(m -> m.kind() == kind).map(Mark::unit).toList();
  }
}
