// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
   * The ActiveState of each named unit ("active", "inactive", "not-found"…). For a template name
   * such as {@code app@.service}, each loaded instance appears under its own name instead.
   */
  Map<String, String> activeStates(Collection<String> units) throws SystemdException;

  /** Enqueues a try-restart job; returns the job's object path. */
  String tryRestart(String unit) throws SystemdException;

  /** Enqueues a reload-or-try-restart job; returns the job's object path. */
  String reloadOrTryRestart(String unit) throws SystemdException;

  /**
   * Enqueues jobs for units marked with systemd's own {@code Markers=}; empty when this systemd
   * does not have the method.
   */
  Optional<List<String>> enqueueMarkedJobs() throws SystemdException;

  /**
   * Waits until every job has finished or the deadline passes. Returns the result of each job that
   * finished ("done", "failed"…) and the unit it was for; jobs still running are absent.
   */
  Map<String, JobResult> awaitJobs(Collection<String> jobs);

  @Override
  void close();

  /** How a job ended, and which unit it was for. */
  record JobResult(String unit, String result) {}
}
