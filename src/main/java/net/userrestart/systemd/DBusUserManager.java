// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;

/** A user manager reached over its private socket; see {@link DBusUserManagerConnector}. */
final class DBusUserManager implements UserManager {
  /**
   * The first wait for the first answer; doubled on each retry. A call that arrived with BEGIN
   * sits unread in the manager's buffer until more data comes, so asking again soon is what
   * unblocks it; a duplicate Get costs the manager nothing.
   */
  private static final Duration FIRST_CALL_WAIT = Duration.ofMillis(25);
  /* A hostile peer can flood JobRemoved signals; remember a bounded number. */
  private static final int MAX_REMEMBERED_JOBS = 1024;

  private final DirectConnection connection;
  private final Deadline deadline;
  private final CountDownLatch disconnected;
  /* Jobs that finished, by path, the newest kept when a flood of signals overflows it. */
  private final Map<String, JobResult> finished =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JobResult> eldest) {
          return size() > MAX_REMEMBERED_JOBS;
        }
      };
  private AutoCloseable jobHandler;
  private String version = "";

  DBusUserManager(DirectConnection connection, Deadline deadline, CountDownLatch disconnected)
      throws SystemdException {
    this.connection = connection;
    this.deadline = deadline;
    this.disconnected = disconnected;
    try {
      /* Registered before any call: JobRemoved can overtake the reply that names the job. */
      this.jobHandler = connection.addSigHandler(Manager1.JobRemoved.class, this::onJobRemoved);
    } catch (DBusException e) {
      connection.disconnect();
      throw SystemdException.failed("connect", "cannot set up the connection: " + e.getMessage());
    }
  }

  private void onJobRemoved(Manager1.JobRemoved signal) {
    // What is kept reaches the report: a unit name and a result word, nothing else.
    if (UnitName.problem(signal.unit()) != null || !signal.result().matches("[a-z-]{1,32}")) {
      return;
    }
    synchronized (finished) {
      finished.put(signal.job(), new JobResult(signal.unit(), signal.result()));
      finished.notifyAll();
    }
  }

  /**
   * Makes the first call, cheap and retried. A manager may ignore a call that arrives in the same
   * read as the SASL BEGIN, so a Reexecute must never be the first thing it receives.
   */
  void handshake() throws SystemdException {
    List<MethodCall> sent = new ArrayList<>();
    Duration wait = FIRST_CALL_WAIT;
    try {
      while (!deadline.expired()) {
        sent.add(send("connect", Calls.PROPERTIES, "Get", "ss", Calls.MANAGER, "Version"));
        long until = System.nanoTime() + deadline.cap(wait).toNanos();
        while (System.nanoTime() < until) {
          for (MethodCall call : sent) {
            if (call.hasReply()) {
              version =
                  UnitName.printable(String.valueOf(firstAnswer(call.getReply())), Calls.MAX_TEXT);
              return;
            }
          }
          if (disconnected.getCount() == 0) {
            throw SystemdException.failed("connect", "the user manager closed the connection");
          }
          sent.get(sent.size() - 1).getReply(5);
        }
        wait = wait.multipliedBy(2);
      }
    } catch (SystemdException e) {
      close();
      throw e;
    }
    close();
    throw SystemdException.timeout("connect", "the user manager did not answer a first call");
  }

  private static Object firstAnswer(Message reply) throws SystemdException {
    try {
      return Calls.value("connect", "Get", reply);
    } catch (SystemdException e) {
      throw SystemdException.failed(
          "connect", "the user manager refused a first call: " + e.getMessage());
    }
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public void reexecute() throws SystemdException {
    /* No reply comes: the manager drops the connection and serializes itself. The disconnect is
     * the answer; a reply can only be an error (permission, or not a manager at all). */
    try {
      MethodCall reply = send("reexecute", Calls.MANAGER, "Reexecute", null);
      while (!deadline.expired()) {
        if (disconnected.await(Math.min(20, deadline.remainingMillis()), TimeUnit.MILLISECONDS)) {
          return;
        }
        if (reply.hasReply()) {
          // On a disconnect dbus-java fails pending calls with an error of its own, after it has
          // released the latch: the latch tells a re-exec from a real answer.
          if (disconnected.getCount() == 0) {
            return;
          }
          if (reply.getReply() instanceof Error error) {
            throw SystemdException.failed(
                "reexecute",
                "Reexecute failed: " + error.getName() + ": " + Calls.errorText(error));
          }
          throw SystemdException.failed(
              "reexecute", "the user manager replied instead of re-executing");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SystemdException.failed("reexecute", "interrupted");
    } finally {
      close();
    }
    throw SystemdException.timeout(
        "reexecute", "the user manager neither re-executed nor answered within the deadline");
  }

  @Override
  public void reload() throws SystemdException {
    call("reload", Calls.MANAGER, "Reload", null);
  }

  @Override
  public Map<String, String> activeStates(Collection<String> units) throws SystemdException {
    Map<String, String> states = new HashMap<>();
    List<String> names = new ArrayList<>();
    List<String> patterns = new ArrayList<>();
    for (String unit : units) {
      if (UnitName.isTemplate(unit)) {
        patterns.add(UnitName.instancePattern(unit));
      } else {
        names.add(unit);
      }
    }
    if (!names.isEmpty()) {
      collect(
          call("list-units", Calls.MANAGER, "ListUnitsByNames", "as", names),
          states,
          Set.copyOf(names));
    }
    if (!patterns.isEmpty()) {
      collect(
          call("list-units", Calls.MANAGER, "ListUnitsByPatterns", "asas", List.of(), patterns),
          states,
          null);
    }
    return states;
  }

  private static void collect(Object rows, Map<String, String> states, Set<String> only) {
    for (UnitStatus status : Calls.units(rows)) {
      if (only == null || only.contains(status.name())) {
        String state = "not-found".equals(status.loadState()) ? "not-found" : status.activeState();
        states.put(status.name(), state);
      }
    }
  }

  @Override
  public String tryRestart(String unit) throws SystemdException {
    return Calls.path(
        "try-restart", call("try-restart", Calls.MANAGER, "TryRestartUnit", "ss", unit, "replace"));
  }

  @Override
  public String reloadOrTryRestart(String unit) throws SystemdException {
    return Calls.path(
        "reload-or-try-restart",
        call(
            "reload-or-try-restart",
            Calls.MANAGER,
            "ReloadOrTryRestartUnit",
            "ss",
            unit,
            "replace"));
  }

  @Override
  public Optional<List<String>> enqueueMarkedJobs() throws SystemdException {
    Object jobs;
    try {
      jobs = call("enqueue-marked", Calls.MANAGER, "EnqueueMarkedJobs", null);
    } catch (SystemdException e) {
      // systemd before 250 has no markers; nothing was marked there, so nothing is missed.
      if ("org.freedesktop.DBus.Error.UnknownMethod".equals(e.dbusError())) {
        return Optional.empty();
      }
      throw e;
    }
    List<String> paths = new ArrayList<>();
    for (Object job : Calls.list(jobs)) {
      paths.add(job instanceof DBusPath path ? path.getPath() : String.valueOf(job));
    }
    return Optional.of(paths);
  }

  @Override
  public Map<String, JobResult> awaitJobs(Collection<String> jobs) {
    Map<String, JobResult> results = new HashMap<>();
    synchronized (finished) {
      while (true) {
        for (String job : jobs) {
          JobResult r = finished.get(job);
          if (r != null) {
            results.put(job, r);
          }
        }
        long left = deadline.remainingMillis();
        if (results.size() == jobs.size() || left <= 0 || disconnected.getCount() == 0) {
          return results;
        }
        try {
          finished.wait(Math.min(left, 50));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return results;
        }
      }
    }
  }

  private MethodCall send(String step, String iface, String member, String signature, Object... args)
      throws SystemdException {
    return Calls.send(step, connection, null, Calls.PATH, iface, member, signature, args);
  }

  /** Calls a manager method and waits for its reply within the deadline. */
  private Object call(String step, String iface, String member, String signature, Object... args)
      throws SystemdException {
    if (disconnected.getCount() == 0) {
      throw SystemdException.failed(step, "the connection to the user manager is closed");
    }
    MethodCall call = send(step, iface, member, signature, args);
    // No value (Reload) is a success with nothing to return.
    return Calls.value(step, member, call.getReply(Math.max(1, deadline.remainingMillis())));
  }

  @Override
  public void close() {
    try {
      if (jobHandler != null) {
        jobHandler.close();
        jobHandler = null;
      }
    } catch (Exception ignored) {
      // Closing the connection below drops the handler anyway.
    }
    connection.disconnect();
  }
}
