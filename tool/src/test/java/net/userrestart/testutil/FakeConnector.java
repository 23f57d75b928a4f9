// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.testutil;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import net.userrestart.systemd.Deadline;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UnitName;
import net.userrestart.systemd.UserManager;
import net.userrestart.systemd.UserManager.Batch;
import net.userrestart.systemd.UserManager.Enqueued;
import net.userrestart.systemd.UserManager.JobRequest;
import net.userrestart.systemd.UserManagerConnector;

/**
 * User managers in memory. Each UID gets a {@link FakeUser} that says how its manager behaves and
 * records what was done to it.
 */
public final class FakeConnector implements UserManagerConnector {
  private final Map<Integer, FakeUser> users = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private volatile boolean closed;

  /** The script and record of user {@code uid}'s manager. */
  public FakeUser user(int uid) {
    return users.computeIfAbsent(uid, FakeUser::new);
  }

  @Override
  public UserManager connect(int uid, Deadline deadline) throws SystemdException {
    FakeUser user = user(uid);
    int now = open.incrementAndGet();
    maxOpen.accumulateAndGet(now, Math::max);
    try {
      return user.connect(deadline, open);
    } catch (SystemdException | RuntimeException e) {
      open.decrementAndGet();
      throw e;
    }
  }

  /** The most managers that were connected at once (between connect and close). */
  public int maxConcurrent() {
    return maxOpen.get();
  }

  public boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }

  public static SystemdException refused(String message) {
    return new SystemdException(SystemdException.Kind.REFUSED, "connect", message);
  }

  public static SystemdException failed(String step, String message) {
    return new SystemdException(SystemdException.Kind.FAILED, step, message);
  }

  public static SystemdException timeout(String step, String message) {
    return new SystemdException(SystemdException.Kind.TIMEOUT, step, message);
  }

  /** How one user's manager behaves; set fields before the run, read {@link #calls()} after. */
  public static final class FakeUser {
    public final int uid;
    /** Thrown by every connect. */
    public volatile SystemdException connectError;
    /** Thrown by the second and later connects (after a re-execution). */
    public volatile SystemdException reconnectError;
    /** When set, connect waits on it (interruptibly) first. */
    public volatile CountDownLatch connectGate;
    /** How long each connect takes. */
    public volatile Duration connectDelay = Duration.ZERO;
    /** Thrown by connect instead of returning, to simulate a bug. */
    public volatile RuntimeException connectBug;
    /** Thrown by connect instead of returning: the heap exhausted, the stack overflowed. */
    public volatile Error connectCrash;
    public volatile SystemdException reexecuteError;
    public volatile SystemdException reloadError;
    public volatile SystemdException listError;
    /** Unit name to ActiveState ("not-found": loaded without a file); an absent name is not loaded. */
    public final Map<String, String> states = new ConcurrentHashMap<>();
    /** Unit name to the result of its job; absent means "done", "unfinished" means none comes. */
    public final Map<String, String> jobResults = new ConcurrentHashMap<>();
    /** Unit name to the error its try-restart or reload-or-try-restart call gets. */
    public final Map<String, SystemdException> restartErrors = new ConcurrentHashMap<>();
    /** What EnqueueMarkedJobs returns: empty for a systemd without it, else unit names. */
    public volatile Optional<List<String>> markedUnits = Optional.empty();
    public volatile String version = "253";

    private final List<String> calls = new ArrayList<>();
    private final AtomicInteger connects = new AtomicInteger();
    private final AtomicInteger closes = new AtomicInteger();
    private final AtomicInteger jobCounter = new AtomicInteger();
    private final Map<String, String> jobUnits = new ConcurrentHashMap<>();

    FakeUser(int uid) {
      this.uid = uid;
    }

    /** What was done, in order: connect, reexecute, list [units], try-restart UNIT, … close. */
    public List<String> calls() {
      synchronized (calls) {
        return List.copyOf(calls);
      }
    }

    public int connects() {
      return connects.get();
    }

    public int closes() {
      return closes.get();
    }

    private void record(String call) {
      synchronized (calls) {
        calls.add(call);
      }
    }

    UserManager connect(Deadline deadline, AtomicInteger open) throws SystemdException {
      int n = connects.incrementAndGet();
      record("connect");
      CountDownLatch gate = connectGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          record("interrupted");
          throw timeout("connect", "interrupted");
        }
      }
      if (!connectDelay.isZero()) {
        Threads.sleep(connectDelay.toMillis());
      }
      if (connectBug != null) {
        throw connectBug;
      }
      if (connectCrash != null) {
        throw connectCrash;
      }
      if (connectError != null) {
        throw connectError;
      }
      if (n > 1 && reconnectError != null) {
        throw reconnectError;
      }
      return new Manager(open);
    }

    private final class Manager implements UserManager {
      private final AtomicInteger open;
      private boolean closed;

      Manager(AtomicInteger open) {
        this.open = open;
      }

      @Override
      public String version() {
        return version;
      }

      @Override
      public void reexecute() throws SystemdException {
        record("reexecute");
        close(); // the manager drops the connection, as the real one does
        if (reexecuteError != null) {
          throw reexecuteError;
        }
      }

      @Override
      public void reload() throws SystemdException {
        record("reload");
        if (reloadError != null) {
          throw reloadError;
        }
      }

      @Override
      public Map<String, String> activeStates(Collection<String> units) throws SystemdException {
        record("list " + List.copyOf(units));
        if (listError != null) {
          throw listError;
        }
        Map<String, String> result = new LinkedHashMap<>();
        states.forEach(
            (name, state) -> {
              if (UnitName.isAmong(name, units)) {
                result.put(name, state);
              }
            });
        return result;
      }

      /* One call after the other, as a client that waits for each answer would. */
      @Override
      public Batch enqueue(List<JobRequest> requests, boolean marked) {
        List<Enqueued> jobs = new ArrayList<>();
        for (JobRequest r : requests) {
          record(r.action().word() + " " + r.unit());
          SystemdException e = restartErrors.get(r.unit());
          if (e != null && e.kind() == SystemdException.Kind.TIMEOUT) {
            return new Batch(jobs, Optional.empty(), Optional.of(e));
          } else if (e != null) {
            jobs.add(new Enqueued.Refused(r, e));
          } else {
            jobs.add(new Enqueued.Job(r, newJob(r.unit())));
          }
        }
        if (!marked) {
          return new Batch(jobs, Optional.empty(), Optional.empty());
        }
        record("enqueue-marked");
        Optional<List<String>> markedJobs =
            markedUnits.map(units -> units.stream().map(this::newJob).toList());
        return new Batch(jobs, markedJobs, Optional.empty());
      }

      private String newJob(String unit) {
        String path = "/org/freedesktop/systemd1/job/" + jobCounter.incrementAndGet();
        jobUnits.put(path, unit);
        return path;
      }

      @Override
      public Map<String, JobResult> awaitJobs(Collection<String> jobs) {
        record("await " + jobs.size());
        Map<String, JobResult> done = new HashMap<>();
        for (String job : jobs) {
          String unit = jobUnits.get(job);
          String result = unit == null ? "unfinished" : jobResults.getOrDefault(unit, "done");
          if (!result.equals("unfinished")) {
            done.put(job, new JobResult(unit, result));
          }
        }
        return done;
      }

      @Override
      public synchronized void close() {
        if (!closed) {
          closed = true;
          open.decrementAndGet();
          closes.incrementAndGet();
          record("close");
        }
      }
    }
  }
}
