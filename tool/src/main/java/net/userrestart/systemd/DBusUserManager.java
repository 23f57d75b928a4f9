// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import net.userrestart.log.Shown;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.UInt64;

/**
 * A user manager reached over its private socket; see {@link DBusUserManagerConnector}. Everything
 * happens on the caller's thread: a call is written, then messages are read until its reply,
 * keeping the JobRemoved signals that come in between (and before it: a job can end before the
 * reply that names it is read).
 */
final class DBusUserManager implements UserManager {
  /* A hostile peer can flood JobRemoved signals; remember a bounded number. */
  private static final int MAX_REMEMBERED_JOBS = 1024;

  /*
   * The most jobs EnqueueMarkedJobs may name: far more user units than any session runs, and
   * each becomes a line of the report. More is a protocol error of that user.
   */
  static final int MAX_MARKED_JOBS = 1024;

  /* The signature of a ListUnits* reply: rows of (name, description, load, active, sub…). */
  private static final String UNIT_ROWS = "a(ssssssouso)";

  /** A call of enqueue() not answered yet: one of the requests, or EnqueueMarkedJobs. */
  private sealed interface Awaited {
    /** The request at {@code index} of the list given to enqueue(). */
    record Request(int index, JobRequest request) implements Awaited {}

    /** The EnqueueMarkedJobs call. */
    record Marked() implements Awaited {}
  }

  private final PeerLink link;
  private final Deadline deadline;
  /* Jobs that finished, by path, the newest kept when a flood of signals overflows it. */
  private final Map<String, JobResult> finished =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JobResult> eldest) {
          return size() > MAX_REMEMBERED_JOBS;
        }
      };
  private final Consumer<DBusSignal> jobSignals = this::onSignal;
  /* A read or write failed, or close() was called: nothing more goes over this connection. */
  private boolean closed;
  private String version = "";

  DBusUserManager(PeerLink link, Deadline deadline) {
    this.link = link;
    this.deadline = deadline;
  }

  /**
   * Makes the first call, cheap and retried. A manager may ignore a call that arrives in the same
   * read as the SASL BEGIN, so a Reexecute must never be the first thing it receives.
   */
  void handshake() throws SystemdException {
    Message reply;
    try {
      reply =
          link.ask(
              "connect",
              Calls.PATH,
              Calls.PROPERTIES,
              "Get",
              "ss",
              deadline.nanos(),
              Calls.MANAGER,
              "Version");
    } catch (IOException e) {
      throw failure("connect", e);
    }
    if (reply == null) {
      throw SystemdException.timeout("connect", "the user manager did not answer a first call");
    }
    try {
      version = Shown.of(String.valueOf(Calls.value("connect", "Get", "v", reply)));
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
  public int firstCallResent() {
    return link.resent();
  }

  @Override
  public void reexecute() throws SystemdException {
    /* No reply comes: the manager drops the connection once its new self is up. The disconnect
     * is the answer; a reply can only be an error (permission, or not a manager at all). */
    try {
      long serial = send("reexecute", Calls.MANAGER, "Reexecute", null).getSerial();
      Message m = link.reply(List.of(serial), deadline.nanos(), null);
      if (m instanceof Error error) {
        throw SystemdException.failed(
            "reexecute",
            "Reexecute failed: "
                + Shown.of(String.valueOf(error.getName()))
                + ": "
                + Calls.errorText(error));
      }
      if (m != null) {
        throw SystemdException.failed(
            "reexecute", "the user manager replied instead of re-executing");
      }
    } catch (EOFException e) {
      return;
    } catch (IOException e) {
      throw failure("reexecute", e);
    } finally {
      close();
    }
    throw SystemdException.timeout(
        "reexecute", "the user manager neither re-executed nor answered within the deadline");
  }

  @Override
  public void reload() throws SystemdException {
    call("reload", Calls.MANAGER, "Reload", null, "");
  }

  /*
   * Three properties asked at once. UnitsLoadTimestamp moves on every reload and re-exec;
   * GeneratorsStartTimestamp only at start-up, and is the only one of a systemd before 250.
   */
  @Override
  public LoadState loadState() throws SystemdException {
    String step = "decide";
    List<String> names = List.of("UnitsLoadTimestamp", "GeneratorsStartTimestamp", "UnitPath");
    Object[] values = new Object[names.size()];
    try {
      List<Long> serials = new ArrayList<>();
      for (String name : names) {
        serials.add(send(step, Calls.PROPERTIES, "Get", "ss", Calls.MANAGER, name).getSerial());
      }
      List<Message> replies = link.replies(serials, deadline.nanos(), jobSignals);
      for (int i = 0; i < names.size(); i++) {
        if (replies.get(i) == null) {
          throw SystemdException.timeout(step, "Get got no reply within the deadline");
        }
        try {
          values[i] = Calls.value(step, "Get", "v", replies.get(i));
        } catch (SystemdException e) {
          if (e.dbusError() == null) {
            throw e;
          }
          values[i] = null; // a property this systemd does not have
        }
      }
    } catch (IOException e) {
      throw failure(step, e);
    }
    long loaded = Math.max(micros(values[0]), micros(values[1]));
    if (loaded <= 0) {
      throw SystemdException.failed(step, "the user manager gave no time it loaded units");
    }
    return new LoadState(loaded, unitPath(step, values[2]));
  }

  /* A 't' comes as UInt64; one that does not fit a long is no time systemd gives. */
  private static long micros(Object value) {
    long v = value instanceof UInt64 u ? u.longValue() : value instanceof Long l ? l : 0;
    return Math.max(v, 0);
  }

  /* Only absolute, normalised, printable paths; anything else is a protocol error. */
  private static List<String> unitPath(String step, Object value) throws SystemdException {
    List<?> all = Calls.list(value);
    if (!(value instanceof List<?> || value instanceof Object[])
        || all.isEmpty()
        || all.size() > LoadState.MAX_PATHS) {
      throw SystemdException.failed(
          step, "protocol error: UnitPath is " + Calls.describe(value));
    }
    List<String> paths = new ArrayList<>();
    for (Object p : all) {
      if (!(p instanceof String s)
          || s.length() > 4096
          || !s.startsWith("/")
          || !Shown.isClean(s)
          || !Path.of(s).normalize().toString().equals(s)) {
        throw SystemdException.failed(
            step, "protocol error: not a unit path: " + Calls.describe(p));
      }
      paths.add(s);
    }
    return paths;
  }

  @Override
  public Set<String> loaded(Collection<String> units) throws SystemdException {
    Set<String> loaded = new TreeSet<>();
    for (UnitStatus status : listLoaded("decide", units)) {
      if (!status.notFound()) {
        loaded.add(status.name());
      }
    }
    return loaded;
  }

  @Override
  public Map<String, String> activeStates(Collection<String> units) throws SystemdException {
    Map<String, String> states = new HashMap<>();
    for (UnitStatus status : listLoaded("list-units", units)) {
      states.put(status.name(), status.notFound() ? "not-found" : status.activeState());
    }
    return states;
  }

  /*
   * The loaded units among units, a template standing for its instances. By pattern: asking by
   * name (ListUnitsByNames) would load each unit that is not, to answer, in every manager asked.
   * Rows for units not asked about (a user's own server may send any) are dropped.
   */
  private List<UnitStatus> listLoaded(String step, Collection<String> units)
      throws SystemdException {
    List<String> patterns = new ArrayList<>();
    for (String unit : units) {
      patterns.add(
          UnitName.isTemplate(unit)
              ? UnitName.instancePattern(unit)
              : UnitName.literalPattern(unit));
    }
    if (patterns.isEmpty()) {
      return List.of();
    }
    Object rows =
        call(step, Calls.MANAGER, "ListUnitsByPatterns", "asas", UNIT_ROWS, List.of(), patterns);
    return Calls.units(rows).stream().filter(row -> UnitName.isAmong(row.name(), units)).toList();
  }

  /*
   * The jobs of an EnqueueMarkedJobs reply: each a job path, at most MAX_MARKED_JOBS of them;
   * anything else is a protocol error. Empty for a systemd before 250, which has no markers:
   * nothing was marked there, so nothing is missed.
   */
  private static Optional<List<String>> markedJobs(Message reply) throws SystemdException {
    String step = "enqueue-marked";
    Object jobs;
    try {
      jobs = Calls.value(step, "EnqueueMarkedJobs", "ao", reply);
    } catch (SystemdException e) {
      if ("org.freedesktop.DBus.Error.UnknownMethod".equals(e.dbusError())) {
        return Optional.empty();
      }
      throw e;
    }
    List<?> all = Calls.list(jobs);
    if (all.size() > MAX_MARKED_JOBS) {
      throw SystemdException.failed(
          step,
          String.format(
              "protocol error: %d marked jobs, more than the %d allowed",
              all.size(), MAX_MARKED_JOBS));
    }
    List<String> paths = new ArrayList<>();
    for (Object job : all) {
      paths.add(Calls.jobPath(step, job));
    }
    return Optional.of(paths);
  }

  /*
   * Every call is written before any answer is read: one round trip per user instead of one per
   * job, which counts most when the manager is busy re-executing its neighbours' work. Answers are
   * matched to calls by serial, in whatever order they come.
   */
  @Override
  public Batch enqueue(List<JobRequest> requests, boolean marked) {
    Map<Long, Awaited> awaited = new HashMap<>();
    Enqueued[] answers = new Enqueued[requests.size()];
    Message markedReply = null;
    SystemdException stopped = null;
    try {
      for (int i = 0; i < requests.size(); i++) {
        JobRequest r = requests.get(i);
        long serial = send("restart", Calls.MANAGER, member(r), "ss", r.unit(), "replace").getSerial();
        awaited.put(serial, new Awaited.Request(i, r));
      }
      if (marked) {
        long serial = send("enqueue-marked", Calls.MANAGER, "EnqueueMarkedJobs", null).getSerial();
        awaited.put(serial, new Awaited.Marked());
      }
      while (!awaited.isEmpty()) {
        Message m = link.reply(awaited.keySet(), deadline.nanos(), jobSignals);
        if (m == null) {
          throw SystemdException.timeout(
              "restart",
              awaited.size() + " of the jobs asked for got no answer within the deadline");
        }
        Awaited a = awaited.remove(m.getReplySerial());
        if (a instanceof Awaited.Request r) {
          answers[r.index()] = answer(r.request(), m);
        } else {
          markedReply = m;
        }
      }
      if (marked) {
        return new Batch(answered(answers), markedJobs(markedReply), Optional.empty());
      }
    } catch (IOException e) {
      stopped = failure("restart", e);
    } catch (SystemdException e) {
      stopped = e;
    }
    return new Batch(answered(answers), Optional.empty(), Optional.ofNullable(stopped));
  }

  private static List<Enqueued> answered(Enqueued[] answers) {
    return Arrays.stream(answers).filter(Objects::nonNull).toList();
  }

  /*
   * A request's answer: its job, or the manager's refusal. A reply that is no job path is a
   * protocol error of this request, reported as its refusal.
   */
  private static Enqueued answer(JobRequest r, Message reply) {
    String step = r.action().word();
    try {
      return new Enqueued.Job(r, Calls.jobPath(step, Calls.value(step, member(r), "o", reply)));
    } catch (SystemdException e) {
      return new Enqueued.Refused(r, e);
    }
  }

  private static String member(JobRequest r) {
    return r.action() == JobAction.RELOAD_OR_TRY_RESTART ? "ReloadOrTryRestartUnit" : "TryRestartUnit";
  }

  @Override
  public Map<String, JobResult> awaitJobs(Collection<String> jobs) {
    Map<String, JobResult> results = new HashMap<>();
    while (true) {
      for (String job : jobs) {
        JobResult r = finished.get(job);
        if (r != null) {
          results.put(job, r);
        }
      }
      if (results.size() == jobs.size() || closed) {
        return results;
      }
      try {
        Message m = link.next(deadline.nanos());
        if (m == null) {
          return results; // the deadline
        }
        if (m instanceof DBusSignal signal) {
          jobSignals.accept(signal);
        }
      } catch (IOException e) {
        closed = true;
      }
    }
  }

  private MethodCall send(
      String step, String iface, String member, String signature, Object... args)
      throws SystemdException, IOException {
    if (closed) {
      throw SystemdException.failed(step, "the connection to the user manager is closed");
    }
    return link.send(step, Calls.PATH, iface, member, signature, deadline.nanos(), args);
  }

  /**
   * Calls a manager method and waits for its reply within the deadline; {@code replySignature} is
   * the method's own.
   */
  private Object call(
      String step,
      String iface,
      String member,
      String signature,
      String replySignature,
      Object... args)
      throws SystemdException {
    Message reply;
    try {
      long serial = send(step, iface, member, signature, args).getSerial();
      reply = link.reply(List.of(serial), deadline.nanos(), jobSignals);
    } catch (IOException e) {
      throw failure(step, e);
    }
    // No value (Reload) is a success with nothing to return; no reply at all is a timeout.
    return Calls.value(step, member, replySignature, reply);
  }

  private SystemdException failure(String step, IOException e) {
    closed = true;
    return PeerLink.failure(step, "the user manager", e);
  }

  /* Keeps what a JobRemoved says: the only way to learn how a job ended. */
  private void onSignal(DBusSignal signal) {
    // The signature first: dbus-java parses the body only when asked, and only JobRemoved's is.
    if (!"JobRemoved".equals(signal.getName())
        || !Calls.MANAGER.equals(signal.getInterface())
        || !"uoss".equals(signal.getSig())) {
      return;
    }
    Object[] p;
    try {
      p = signal.getParameters();
    } catch (DBusException | RuntimeException e) {
      return;
    }
    // What is kept reaches the report: a unit name and a result word, nothing else.
    if (p != null
        && p.length == 4
        && p[1] instanceof DBusPath job
        && Calls.isJobPath(job.getPath())
        && p[2] instanceof String unit
        && p[3] instanceof String result
        && UnitName.problem(unit) == null
        && Calls.isWord(result)) {
      finished.put(job.getPath(), new JobResult(unit, result));
    }
  }

  @Override
  public void close() {
    closed = true;
    link.close();
  }
}
