// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One open connection to a user's systemd manager. Every call is bounded by the deadline given
 * when it was opened.
 */
public interface UserManager extends AutoCloseable {

  /** The manager's {@code Version} property, read when the connection was opened. */
  String version();

  /**
   * How many times the first call went unanswered and was sent again. systemd leaves a call unread
   * that arrives in the same read as the SASL BEGIN; the connection is made so that this does not
   * happen, so anything but 0 says it did.
   */
  default int firstCallResent() {
    return 0;
  }

  /**
   * Asks the manager to re-execute itself. The manager answers by dropping the connection, so
   * this connection is dead afterwards; open a new one.
   */
  void reexecute() throws SystemdException;

  /** daemon-reload: waits for the reply, which comes once the manager has reloaded. */
  void reload() throws SystemdException;

  /**
   * When the manager last loaded its units (the newest of UnitsLoadTimestamp and
   * GeneratorsStartTimestamp, microseconds of the realtime clock) and its unit search path
   * (UnitPath). What decides whether a file changed since. A manager that cannot say fails.
   */
  default LoadState loadState() throws SystemdException {
    throw new SystemdException(SystemdException.Kind.FAILED, "decide", "the manager cannot say");
  }

  /**
   * Of {@code units}, those loaded in the manager (in any state), a template standing for its
   * loaded instances; a unit that is not loaded is not loaded by asking.
   */
  default Set<String> loaded(Collection<String> units) throws SystemdException {
    throw new SystemdException(SystemdException.Kind.FAILED, "decide", "the manager cannot say");
  }

  /**
   * The ActiveState of each named unit that is loaded ("active", "inactive"…; "not-found" for one
   * loaded without a unit file); a unit that is not loaded is absent, and is not loaded by asking.
   * For a template name such as {@code app@.service}, each loaded instance appears under its own
   * name instead.
   */
  Map<String, String> activeStates(Collection<String> units) throws SystemdException;

  /**
   * Enqueues {@code requests} and, when {@code marked}, the jobs of the units marked with systemd's
   * own Markers= ({@link Batch#marked()} is empty when this systemd has no EnqueueMarkedJobs). A
   * request systemd refuses does not stop the others. Job paths are systemd's own form, and there
   * are at most 1024 Markers= jobs: anything else a manager answers stops the batch as a failure.
   */
  Batch enqueue(List<JobRequest> requests, boolean marked);

  /**
   * Waits until every job has finished or the deadline passes. Returns the result of each job that
   * finished ("done", "failed"…) and the unit it was for; jobs still running are absent.
   */
  Map<String, JobResult> awaitJobs(Collection<String> jobs);

  @Override
  void close();

  /**
   * When a manager last loaded its units, and where from.
   *
   * @param loadedMicros realtime microseconds, the newest of UnitsLoadTimestamp and
   *     GeneratorsStartTimestamp
   * @param unitPath the unit search path, absolute normalised paths, at most {@link #MAX_PATHS}
   */
  record LoadState(long loadedMicros, List<String> unitPath) {
    public static final int MAX_PATHS = 64;

    public LoadState {
      unitPath = List.copyOf(unitPath);
    }
  }

  /** How a job ended, and which unit it was for. */
  record JobResult(String unit, String result) {}

  /** A job to enqueue: try-restart {@code unit}, or reload-or-try-restart it. */
  record JobRequest(String unit, JobAction action) {
    public JobRequest {
      if (action == JobAction.MARKED) {
        throw new IllegalArgumentException("marked jobs are enqueued by EnqueueMarkedJobs");
      }
    }
  }

  /** What the manager answered to one {@link JobRequest}. */
  sealed interface Enqueued {
    JobRequest request();

    /** Enqueued; {@code job} is the job's object path. */
    record Job(JobRequest request, String job) implements Enqueued {}

    /** Refused: no such unit, a unit that cannot be restarted… */
    record Refused(JobRequest request, SystemdException error) implements Enqueued {}
  }

  /**
   * What {@link #enqueue} got: the answers that came, in the order of the requests; the Markers=
   * jobs; and, when not everything was answered, why (the deadline, a lost connection, a failed
   * EnqueueMarkedJobs). The jobs enqueued before that still run, to be waited for or reported.
   */
  record Batch(
      List<Enqueued> jobs, Optional<List<String>> marked, Optional<SystemdException> stopped) {
    public Batch {
      jobs = List.copyOf(jobs);
    }
  }
}
