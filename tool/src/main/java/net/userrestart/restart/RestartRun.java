// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import net.userrestart.log.Log;
import net.userrestart.log.Shown;
import net.userrestart.marks.Lock;
import net.userrestart.marks.MarkStore;
import net.userrestart.marks.MarkStoreException;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.restart.RunStoppedException.Reason;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemManager;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UserManagerConnector;

/**
 * The restart use case, in order: ask PID 1 which user managers are active, lock the mark store
 * and claim its marks, plan, work on each chosen manager, settle the marks; the outcomes. Also its
 * dry run and the listing, which change nothing. What stops a run before any user manager is
 * reached is a {@link RunStoppedException}.
 */
public final class RestartRun {
  private static final Path PROC = Path.of("/proc");
  private static final Path ROOT = Path.of("/");

  private final Host host;
  private final MarkStore store;
  private final Log log;
  private final StaleUnits staleUnits;

  public RestartRun(Host host, MarkStore store, Log log) {
    this(host, store, log, StaleUnits.none());
  }

  /** @param staleUnits where {@code --stale} finds the units that run replaced files */
  public RestartRun(Host host, MarkStore store, Log log, StaleUnits staleUnits) {
    this.host = host;
    this.store = store;
    this.log = log;
    this.staleUnits = staleUnits;
  }

  /**
   * Does what {@code request} asks, or for a dry run reads what it would do. {@code finished} sees
   * each user's outcome as soon as it is known, on the calling thread.
   */
  public List<Outcome> run(Request request, Consumer<Outcome> finished)
      throws RunStoppedException {
    checkHost();
    Map<Integer, String> active;
    Set<Integer> kept;
    NeedCheck needs = null;
    try (SystemManager pid1 = pid1(request.timeout())) {
      active = activeManagers(pid1);
      kept = keptUsers(pid1, active);
      if (request.action() == ManagerAction.AS_NEEDED) {
        needs = new NeedCheck(PROC, ROOT, managerPids(pid1, Planner.chosen(request, active)));
      }
    }
    return request.dryRun()
        ? dryRun(request, active, needs, finished)
        : restart(request, active, kept, needs, finished);
  }

  /* A manager whose PID cannot be had is re-executed: what it runs cannot be read. */
  private Map<Integer, Long> managerPids(SystemManager pid1, Map<Integer, String> chosen) {
    try {
      return pid1.managerPids(chosen.keySet());
    } catch (SystemdException e) {
      log.debug("no main PIDs from PID 1: " + e.getMessage());
      return Map.of();
    }
  }

  /*
   * The users whose marks are kept: those whose manager is active, and those whose manager is still
   * starting (activating, refreshing, waiting to restart), which will run the new files but may
   * have been asked nothing yet. Marks of every other user are dropped.
   */
  private static Set<Integer> keptUsers(SystemManager pid1, Map<Integer, String> active)
      throws RunStoppedException {
    Set<Integer> kept = new TreeSet<>(active.keySet());
    try {
      kept.addAll(pid1.startingUserManagers());
    } catch (SystemdException e) {
      throw pid1Unavailable(e);
    }
    return kept;
  }

  /**
   * The active user managers with what the next run would restart there (a dry run of every
   * user, without re-exec or Markers=), and the pending marks.
   */
  public Listing list(Duration timeout) throws RunStoppedException {
    Map<Integer, String> active = new LinkedHashMap<>();
    Map<Integer, Long> pids = new LinkedHashMap<>();
    for (ActiveManager m : activeManagers(timeout)) {
      active.put(m.uid(), m.name());
      pids.put(m.uid(), m.pid());
    }
    MarkStore.Pending pending = read();
    Request probe =
        new Request(
            Optional.empty(),
            List.of(),
            ManagerAction.NONE,
            false,
            timeout,
            Request.JOBS_PER_CPU * host.cpus(),
            true,
            false);
    List<Listing.Manager> managers = new ArrayList<>();
    for (Outcome o : work(Planner.plan(probe, active, pending), null, o -> {})) {
      int uid = o.user().uid();
      managers.add(new Listing.Manager(o.user(), pids.getOrDefault(uid, 0L), o, wouldDo(o)));
    }
    return new Listing(managers, pending);
  }

  /** An active user manager as PID 1 lists it: its user, and the manager's own PID (0 unknown). */
  public record ActiveManager(int uid, String name, long pid) {}

  /** The active user managers, in UID order, with their PIDs; for commands that only look. */
  public List<ActiveManager> activeManagers(Duration timeout) throws RunStoppedException {
    checkHost();
    List<ActiveManager> managers = new ArrayList<>();
    try (SystemManager pid1 = pid1(timeout)) {
      Map<Integer, String> active = activeManagers(pid1);
      Map<Integer, Long> pids = pid1.managerPids(active.keySet());
      active.forEach((uid, name) -> managers.add(new ActiveManager(uid, name, pids.getOrDefault(uid, 0L))));
    } catch (SystemdException e) {
      throw pid1Unavailable(e);
    }
    return managers;
  }

  /*
   * Where there is nothing to do (not booted with systemd, a chroot, $SYSTEMD_OFFLINE…), or where
   * nothing can be done: only root reaches every user's manager.
   */
  private void checkHost() throws RunStoppedException {
    Optional<String> offline = host.offlineReason();
    if (offline.isPresent()) {
      throw new RunStoppedException(Reason.OFFLINE, offline.get());
    }
    if (!host.isRoot()) {
      throw new RunStoppedException(
          Reason.NOT_ROOT, "must be run as root: only root may reach every user's manager");
    }
  }

  private SystemManager pid1(Duration timeout) throws RunStoppedException {
    try {
      return host.systemManager(timeout);
    } catch (SystemdException e) {
      throw pid1Unavailable(e);
    }
  }

  /* The UIDs of the active user managers, in order, with their user names. */
  private Map<Integer, String> activeManagers(SystemManager pid1) throws RunStoppedException {
    try {
      Map<Integer, String> active = new LinkedHashMap<>();
      for (int uid : pid1.activeUserManagers()) {
        active.put(uid, host.userName(uid));
      }
      return active;
    } catch (SystemdException e) {
      throw pid1Unavailable(e);
    }
  }

  private static RunStoppedException pid1Unavailable(SystemdException e) {
    return new RunStoppedException(
        Reason.PID1_UNAVAILABLE, "cannot ask PID 1 for the user managers: " + e.getMessage());
  }

  private List<Outcome> dryRun(
      Request request, Map<Integer, String> active, NeedCheck needs, Consumer<Outcome> finished)
      throws RunStoppedException {
    return work(Planner.plan(request, active, read(), stale(request, active)), needs, finished);
  }

  /* Each user's marks are settled as soon as its outcome is known, while the others still run. */
  private List<Outcome> restart(
      Request request,
      Map<Integer, String> active,
      Set<Integer> kept,
      NeedCheck needs,
      Consumer<Outcome> finished)
      throws RunStoppedException {
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, kept, Planner.chosen(request, active).keySet());
      warnInvalid(claim.invalid());
      Plan plan = Planner.plan(request, active, claim, stale(request, active));
      List<Outcome> outcomes =
          work(
              plan,
              needs,
              o -> {
                finished.accept(o);
                settle(claim, o);
              });
      try {
        claim.finish();
      } catch (MarkStoreException e) {
        // The restarts happened; at worst a mark is redone by the next run.
        log.error("mark store: " + e.getMessage());
      }
      return outcomes;
    } catch (MarkStoreException e) {
      throw storeFailure(e);
    }
  }

  /*
   * The stale units of the chosen users, when asked for. Looked for once, before any manager is
   * acted on: a re-exec changes no unit's processes, and the units are restarted after it, with
   * the marked ones. Should /proc be unreadable, the marked units are still restarted.
   */
  private Map<Integer, Set<String>> stale(Request request, Map<Integer, String> active) {
    if (!request.stale()) {
      return Map.of();
    }
    try {
      return staleUnits.find(Planner.chosen(request, active).keySet());
    } catch (IOException e) {
      log.warning("cannot look for stale units, restarting marked units only: " + e.getMessage());
      return Map.of();
    }
  }

  private void settle(MarkStore.Claim claim, Outcome o) {
    int uid = o.user().uid();
    try {
      claim.settle(uid, o.settled(claim.marks(uid)));
    } catch (MarkStoreException e) {
      // The restart happened; at worst a mark is redone by the next run.
      log.error(o.user().label() + ": " + e.getMessage());
    }
  }

  private List<Outcome> work(Plan plan, NeedCheck needs, Consumer<Outcome> finished) {
    try (UserManagerConnector connector = host.userManagers()) {
      return new Restarter(new UserWorker(connector, log, needs)).run(plan, finished);
    }
  }

  /* Everything pending in the store, warning about what is not a mark. */
  private MarkStore.Pending read() throws RunStoppedException {
    try {
      MarkStore.Pending pending = store.read();
      warnInvalid(pending.invalid());
      return pending;
    } catch (MarkStoreException e) {
      throw storeFailure(e);
    }
  }

  private void warnInvalid(List<String> invalid) {
    invalid.forEach(
        bad -> log.warning("ignoring invalid mark " + Shown.of(bad)));
  }

  private static RunStoppedException storeFailure(MarkStoreException e) {
    return new RunStoppedException(
        e.busy() ? Reason.STORE_BUSY : Reason.STORE_UNUSABLE, e.getMessage());
  }

  /* The units a dry run found running, each once (a unit may be marked for restart and reload). */
  private static List<String> wouldDo(Outcome o) {
    return o.units().stream()
        .filter(u -> u.result() == NoJob.WOULD_RESTART || u.result() == NoJob.WOULD_RELOAD)
        .map(UnitResult::unit)
        .distinct()
        .toList();
  }
}
