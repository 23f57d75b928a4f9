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
import java.util.stream.Collectors;
import net.userrestart.log.Log;
import net.userrestart.marks.Mark;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.systemd.Deadline;
import net.userrestart.systemd.JobAction;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UnitName;
import net.userrestart.systemd.UserManager;
import net.userrestart.systemd.UserManager.Batch;
import net.userrestart.systemd.UserManager.Enqueued;
import net.userrestart.systemd.UserManager.JobRequest;
import net.userrestart.systemd.UserManager.JobResult;
import net.userrestart.systemd.UserManagerConnector;

/** Does the plan's work on one user manager. Never throws: every ending is an {@link Outcome}. */
public final class UserWorker {
  private final UserManagerConnector connector;
  private final Log log;
  private final NeedCheck needs;

  public UserWorker(UserManagerConnector connector, Log log) {
    this(connector, log, null);
  }

  /** @param needs decides for a plan whose action is {@link ManagerAction#AS_NEEDED} */
  public UserWorker(UserManagerConnector connector, Log log, NeedCheck needs) {
    this.connector = connector;
    this.log = log;
    this.needs = needs;
  }

  /** Runs the plan for {@code user}; the deadline starts now. */
  public Outcome run(Plan plan, UserTarget user) {
    Attempt attempt = new Attempt(plan, user);
    try {
      return attempt.run();
    } catch (SystemdException e) {
      return attempt.failed(e);
    } catch (RuntimeException e) {
      // dbus-java can throw unchecked on hostile input; one user must not take down the run.
      return attempt.failed(e);
    } finally {
      attempt.close();
    }
  }

  /** The work on one manager: one method per step, and what is known so far. */
  private final class Attempt {
    private final Plan plan;
    private final UserTarget user;
    private final long start = System.nanoTime();
    private final Deadline deadline;
    private final List<UnitResult> results = new ArrayList<>();
    /* Jobs enqueued and not yet in results, by job path: unfinished if a later step fails. */
    private final Map<String, UnitResult> jobs = new LinkedHashMap<>();
    /* Why each job is asked for. */
    private final Map<JobRequest, Reason> reasons = new LinkedHashMap<>();
    private Step step = Step.CONNECT;
    private UserManager manager;
    private ManagerNeed need;

    Attempt(Plan plan, UserTarget user) {
      this.plan = plan;
      this.user = user;
      this.deadline = Deadline.in(plan.timeout());
    }

    Outcome run() throws SystemdException {
      connect();
      need = decide();
      if (!plan.dryRun()) {
        switch (need.action()) {
          case REEXECUTE -> {
            reexecute();
            reconnect();
          }
          case RELOAD -> reload();
          case NONE, AS_NEEDED -> {}
        }
      }
      List<JobRequest> requests = listUnits();
      if (plan.dryRun()) {
        return planned(requests);
      }
      enqueue(requests);
      return waitJobs();
    }

    /* What the manager needs: as asked, or, with --reexec=needed, as the check finds. */
    private ManagerNeed decide() {
      if (plan.action() != ManagerAction.AS_NEEDED) {
        return ManagerNeed.asked(plan.action());
      }
      step = Step.DECIDE;
      if (needs == null) {
        return ManagerNeed.reexec("no check available");
      }
      ManagerNeed decided = needs.decide(user.uid(), manager);
      log.debug(who() + "manager: " + decided.line());
      return decided;
    }

    private void connect() throws SystemdException {
      step = Step.CONNECT;
      manager = connector.connect(user.uid(), deadline);
      log.debug(who() + "connected, systemd " + manager.version() + resent());
    }

    /* The manager drops this connection once its new self is up. */
    private void reexecute() throws SystemdException {
      step = Step.REEXECUTE;
      manager.reexecute();
    }

    private void reconnect() throws SystemdException {
      step = Step.RECONNECT;
      manager = connector.connect(user.uid(), deadline);
      log.debug(who() + "re-executed, systemd " + manager.version() + resent());
    }

    private void reload() throws SystemdException {
      step = Step.RELOAD;
      manager.reload();
    }

    /*
     * The jobs to ask for: one per unit each mark stands for that runs now, then a try-restart of
     * each stale unit that runs and no mark restarts already. The others are reported as such.
     */
    private List<JobRequest> listUnits() throws SystemdException {
      step = Step.LIST_UNITS;
      Set<String> names =
          user.marks().stream()
              .map(Mark::unit)
              .collect(Collectors.toCollection(LinkedHashSet::new));
      names.addAll(user.stale());
      Map<String, String> states = manager.activeStates(names);
      List<JobRequest> requests = new ArrayList<>();
      for (Mark mark : user.marks()) {
        List<String> units = running(mark, states);
        if (!units.isEmpty()) {
          for (String unit : units) {
            JobRequest r = new JobRequest(unit, UnitResult.actionFor(mark.kind()));
            if (reasons.putIfAbsent(r, Reason.MARKED) == null) {
              requests.add(r);
            }
          }
        } else {
          // For a template, no instance runs: nothing to do, which also settles the mark.
          Result why =
              UnitName.isTemplate(mark.unit())
                  ? NoJob.INACTIVE
                  : UnitState.of(states.get(mark.unit())).noJob();
          results.add(new UnitResult(mark.unit(), UnitResult.actionFor(mark.kind()), why, ""));
        }
      }
      for (String unit : user.stale()) {
        JobRequest r = new JobRequest(unit, JobAction.TRY_RESTART);
        if (reasons.containsKey(r)) {
          reasons.put(r, Reason.BOTH);
        } else if (UnitState.of(states.get(unit)).running()) {
          reasons.put(r, Reason.STALE);
          requests.add(r);
        } else { // it stopped since the scan: nothing runs the old files
          Result why = UnitState.of(states.get(unit)).noJob();
          results.add(new UnitResult(unit, JobAction.TRY_RESTART, why, "", Reason.STALE));
        }
      }
      return requests;
    }

    private Outcome planned(List<JobRequest> requests) {
      for (JobRequest r : requests) {
        Result would = r.action() == JobAction.TRY_RESTART ? NoJob.WOULD_RESTART : NoJob.WOULD_RELOAD;
        results.add(new UnitResult(r.unit(), r.action(), would, "", reasons.get(r)));
      }
      if (plan.enqueueMarked()) {
        results.add(new UnitResult("(Markers=)", JobAction.MARKED, NoJob.WOULD_RESTART, ""));
      }
      return new Outcome.Planned(user, need, results, took());
    }

    /* One job per running unit, and systemd's own marked ones: all asked for at once. */
    private void enqueue(List<JobRequest> requests) throws SystemdException {
      step = Step.RESTART;
      Batch batch = manager.enqueue(requests, plan.enqueueMarked());
      batch.jobs().forEach(this::enqueued);
      if (plan.enqueueMarked()) {
        if (batch.marked().isEmpty() && batch.stopped().isEmpty()) {
          log.debug(who() + "systemd " + manager.version() + " has no EnqueueMarkedJobs, skipping");
        }
        for (String job : batch.marked().orElse(List.of())) {
          jobs.putIfAbsent(job, new UnitResult("", JobAction.MARKED, NoJob.UNFINISHED, ""));
        }
      }
      if (batch.stopped().isPresent()) {
        throw batch.stopped().get(); // the jobs enqueued so far are reported as unfinished
      }
    }

    private void enqueued(Enqueued answer) {
      JobRequest r = answer.request();
      if (answer instanceof Enqueued.Job job) {
        jobs.put(job.job(), new UnitResult(r.unit(), r.action(), NoJob.UNFINISHED, "", reason(r)));
      } else if (answer instanceof Enqueued.Refused refused) {
        String why = refused.error().getMessage();
        log.warning(
            who() + "failed to " + r.action().word() + " " + r.unit() + ", continuing: " + why);
        results.add(new UnitResult(r.unit(), r.action(), NoJob.ERROR, why, reason(r)));
      }
    }

    private Outcome waitJobs() {
      step = Step.WAIT_JOBS;
      Map<String, JobResult> done = manager.awaitJobs(jobs.keySet());
      jobs.forEach((job, pending) -> results.add(ended(job, pending, done.get(job))));
      boolean unfinished = !done.keySet().containsAll(jobs.keySet());
      jobs.clear();
      if (unfinished) {
        return new Outcome.TimedOut(
            user, step, "jobs did not finish within the deadline", results, took());
      }
      if (results.stream().allMatch(UnitResult::ok)) {
        return new Outcome.Restarted(user, need, results, took());
      }
      String failures =
          results.stream()
              .filter(r -> !r.ok())
              .map(r -> r.unit() + ": " + r.result().word())
              .collect(Collectors.joining(", "));
      return new Outcome.Failed(user, Step.RESTART, failures, results, took());
    }

    /* A marked job's unit is known only from its JobRemoved; one that never came shows its path. */
    private UnitResult ended(String job, UnitResult pending, JobResult r) {
      String unit = pending.unit().isEmpty() && r != null ? r.unit() : pending.unit();
      Result result = r == null ? NoJob.UNFINISHED : Result.ofJob(r.result());
      return new UnitResult(unit.isEmpty() ? job : unit, pending.action(), result, "", pending.reason());
    }

    private Reason reason(JobRequest r) {
      return reasons.getOrDefault(r, Reason.MARKED);
    }

    Outcome failed(SystemdException e) {
      results.addAll(jobs.values());
      return switch (e.kind()) {
        case REFUSED -> new Outcome.Refused(user, e.getMessage(), took());
        case TIMEOUT -> new Outcome.TimedOut(user, step, e.getMessage(), results, took());
        case FAILED -> new Outcome.Failed(user, step, e.getMessage(), results, took());
      };
    }

    Outcome failed(RuntimeException e) {
      results.addAll(jobs.values());
      return new Outcome.Failed(user, step, "internal error: " + e, results, took());
    }

    void close() {
      if (manager != null) {
        manager.close();
      }
    }

    private String resent() {
      int n = manager.firstCallResent();
      return n == 0
          ? ""
          : String.format(
              " (the first call went unanswered %s, sent again)", n == 1 ? "once" : n + " times");
    }

    private String who() {
      return user.label() + ": ";
    }

    private Duration took() {
      return Duration.ofNanos(System.nanoTime() - start);
    }
  }

  /* The units a mark stands for that run: the unit itself, or a template's running instances. */
  private static List<String> running(Mark mark, Map<String, String> states) {
    if (!UnitName.isTemplate(mark.unit())) {
      return UnitState.of(states.get(mark.unit())).running() ? List.of(mark.unit()) : List.of();
    }
    return new TreeSet<>(states.keySet())
        .stream()
            .filter(unit -> UnitName.isInstanceOf(unit, mark.unit()))
            .filter(unit -> UnitState.of(states.get(unit)).running())
            .toList();
  }
}
