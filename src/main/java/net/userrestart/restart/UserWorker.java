// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.systemd.Deadline;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UnitName;
import net.userrestart.systemd.UserManager;
import net.userrestart.systemd.UserManager.Enqueued;
import net.userrestart.systemd.UserManager.JobRequest;
import net.userrestart.systemd.UserManager.JobResult;
import net.userrestart.systemd.UserManagerConnector;

/** Does the plan's work on one user manager. Never throws: every ending is an {@link Outcome}. */
public final class UserWorker {
  private final UserManagerConnector connector;
  private final Log log;

  public UserWorker(UserManagerConnector connector, Log log) {
    this.connector = connector;
    this.log = log;
  }

  /** Runs the plan for {@code user}; the deadline starts now. */
  public Outcome run(Plan plan, UserTarget user) {
    long start = System.nanoTime();
    Deadline deadline = Deadline.in(plan.timeout());
    List<UnitResult> results = new ArrayList<>();
    // Jobs enqueued and not yet in results: reported as unfinished if a later step fails.
    Map<String, UnitResult> jobs = new LinkedHashMap<>();
    String step = "connect";
    UserManager manager = null;
    try {
      manager = connector.connect(user.uid(), deadline);
      log.debug(who(user) + "connected, systemd " + manager.version() + resent(manager));
      if (!plan.dryRun()) {
        if (plan.action() == ManagerAction.REEXECUTE) {
          step = "reexecute";
          manager.reexecute();
          step = "reconnect";
          manager = connector.connect(user.uid(), deadline);
          log.debug(who(user) + "re-executed, systemd " + manager.version() + resent(manager));
        } else if (plan.action() == ManagerAction.RELOAD) {
          step = "reload";
          manager.reload();
        }
      }
      step = "list-units";
      Map<Mark, List<String>> running = activeUnits(manager, user, results);
      if (plan.dryRun()) {
        for (Map.Entry<Mark, List<String>> e : running.entrySet()) {
          for (String unit : e.getValue()) {
            results.add(new UnitResult(unit, UnitResult.actionFor(e.getKey()), "would-" + e.getKey().kind().folder(), ""));
          }
        }
        if (plan.enqueueMarked()) {
          results.add(new UnitResult("(Markers=)", "marked", "would-restart", ""));
        }
        return new Outcome.Planned(user, plan.action(), results, since(start));
      }
      step = "restart";
      List<JobRequest> requests = new ArrayList<>();
      for (Map.Entry<Mark, List<String>> e : running.entrySet()) {
        for (String unit : e.getValue()) {
          requests.add(new JobRequest(unit, e.getKey().kind() == Mark.Kind.RELOAD));
        }
      }
      UserManager.Batch batch = manager.enqueue(requests, plan.enqueueMarked());
      for (Enqueued q : batch.jobs()) {
        // No map keyed by the request: a record's generated hashCode is linked at its first call,
        // about 15 ms, on the way of every user.
        String unit = q.request().unit();
        String action = q.request().action();
        if (q instanceof Enqueued.Job job) {
          jobs.put(job.job(), new UnitResult(unit, action, "unfinished", ""));
        } else if (q instanceof Enqueued.Refused refused) {
          String why = refused.error().getMessage();
          log.warning(who(user) + "failed to " + action + " " + unit + ", continuing: " + why);
          results.add(new UnitResult(unit, action, "error", why));
        }
      }
      if (plan.enqueueMarked()) {
        if (batch.marked().isEmpty() && batch.stopped().isEmpty()) {
          log.debug(who(user) + "systemd " + manager.version() + " has no EnqueueMarkedJobs, skipping");
        }
        for (String job : batch.marked().orElse(List.of())) {
          jobs.putIfAbsent(job, new UnitResult("", "marked", "unfinished", ""));
        }
      }
      if (batch.stopped().isPresent()) {
        throw batch.stopped().get(); // the jobs enqueued so far are reported as unfinished
      }
      step = "wait-jobs";
      Map<String, JobResult> done = manager.awaitJobs(jobs.keySet());
      boolean unfinished = false;
      for (Map.Entry<String, UnitResult> e : jobs.entrySet()) {
        String job = e.getKey();
        UnitResult pending = e.getValue();
        JobResult r = done.get(job);
        String unit = r != null && pending.unit().isEmpty() ? r.unit() : pending.unit();
        unfinished |= r == null;
        results.add(
            new UnitResult(
                unit.isEmpty() ? job : unit,
                pending.action(),
                r == null ? "unfinished" : r.result(),
                ""));
      }
      jobs.clear();
      if (unfinished) {
        return new Outcome.TimedOut(user, step, "jobs did not finish within the deadline", results, since(start));
      }
      if (allOk(results)) {
        return new Outcome.Restarted(user, plan.action(), results, since(start));
      }
      return new Outcome.Failed(user, "restart", failures(results), results, since(start));
    } catch (SystemdException e) {
      results.addAll(jobs.values());
      step = e.step();
      switch (e.kind()) {
        case REFUSED:
          return new Outcome.Refused(user, e.getMessage(), since(start));
        case TIMEOUT:
          return new Outcome.TimedOut(user, step, e.getMessage(), results, since(start));
        default:
          return new Outcome.Failed(user, step, e.getMessage(), results, since(start));
      }
    } catch (RuntimeException e) {
      // dbus-java can throw unchecked on hostile input; one user must not take down the run.
      results.addAll(jobs.values());
      return new Outcome.Failed(user, step, "internal error: " + e, results, since(start));
    } finally {
      if (manager != null) {
        manager.close();
      }
    }
  }

  /** The units each mark stands for that are running now; the others are reported as such. */
  private static Map<Mark, List<String>> activeUnits(
      UserManager manager, UserTarget user, List<UnitResult> results)
      throws SystemdException {
    Set<String> names = new LinkedHashSet<>();
    for (Mark mark : user.marks()) {
      names.add(mark.unit());
    }
    Map<String, String> states = manager.activeStates(names);
    Map<Mark, List<String>> running = new LinkedHashMap<>();
    for (Mark mark : user.marks()) {
      List<String> units = new ArrayList<>();
      if (UnitName.isTemplate(mark.unit())) {
        for (String unit : new TreeSet<>(states.keySet())) {
          if (UnitName.isInstanceOf(unit, mark.unit()) && isRunning(states.get(unit))) {
            units.add(unit);
          }
        }
      } else {
        String state = states.getOrDefault(mark.unit(), "not-found");
        if (isRunning(state)) {
          units.add(mark.unit());
        } else {
          results.add(new UnitResult(mark.unit(), UnitResult.actionFor(mark), state.equals("not-found") ? "not-found" : "inactive", ""));
        }
      }
      if (!units.isEmpty()) {
        running.put(mark, units);
      } else if (UnitName.isTemplate(mark.unit())) {
        // No instance runs: nothing to do, which the report shows and which settles the mark.
        results.add(new UnitResult(mark.unit(), UnitResult.actionFor(mark), "inactive", ""));
      }
    }
    return running;
  }

  private static boolean allOk(List<UnitResult> results) {
    for (UnitResult r : results) {
      if (!r.ok()) {
        return false;
      }
    }
    return true;
  }

  private static boolean isRunning(String state) {
    return state.equals("active") || state.equals("reloading") || state.equals("activating");
  }

  private static String failures(List<UnitResult> results) {
    StringBuilder b = new StringBuilder();
    for (UnitResult r : results) {
      if (!r.ok()) {
        b.append(b.length() == 0 ? "" : ", ").append(r.unit()).append(": ").append(r.result());
      }
    }
    return b.toString();
  }

  private static String resent(UserManager manager) {
    int n = manager.firstCallResent();
    return n == 0
        ? ""
        : " (the first call went unanswered " + (n == 1 ? "once" : n + " times") + ", sent again)";
  }

  private static String who(UserTarget user) {
    return user.label() + ": ";
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
