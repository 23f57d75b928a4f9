// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.freedesktop.dbus.connections.AbstractConnection;
import org.freedesktop.dbus.connections.impl.BaseConnectionBuilder;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;

/**
 * PID 1, peer to peer over its private socket as systemctl does when run as root, else over the
 * system bus.
 */
public final class DBusSystemManager implements SystemManager {
  private static final String BUS_NAME = "org.freedesktop.systemd1";
  private static final Pattern USER_MANAGER = Pattern.compile("user@(\\d+)\\.service");

  /** PID 1's own socket: root only, no bus daemon in between, no Hello, no name to resolve. */
  private static final Path PRIVATE_SOCKET = Path.of("/run/systemd/private");

  /** Bounds the list made ahead, before the caller's own timeout is known. */
  private static final Duration AHEAD_TIMEOUT = Duration.ofSeconds(15);

  /* The list of user managers takes about 200 bytes per user: room for tens of thousands. */
  private static final int MAX_BODY = 8 * 1024 * 1024;

  private final Link link;
  private final Duration timeout;
  /*
   * What ListUnitsByPatterns is asked for: the managers worked on (active, reloading) and those
   * whose marks are kept (starting, refreshing, or waiting to restart: systemd matches the states
   * against ActiveState and SubState both).
   */
  private static final List<String> LISTED_STATES =
      List.of("active", "reloading", "activating", "refreshing", "auto-restart", "auto-restart-queued");

  private static final List<String> WORKED_ON = List.of("active", "reloading");

  /* The user managers listed on the connecting thread, or null when that failed. */
  private final Listed listedAhead;

  private DBusSystemManager(Link link, Duration timeout, Listed ahead) {
    this.link = link;
    this.timeout = timeout;
    this.listedAhead = ahead;
  }

  /**
   * PID 1's private socket, read on the caller's thread like a user manager's, or the system bus
   * through a dbus-java connection, where a bus daemon routes by name.
   */
  private sealed interface Link {
    /** A read-only call's reply, or null when none came by {@code untilNanos}. */
    Message call(
        String path, String iface, String member, String signature, long untilNanos, Object... args)
        throws SystemdException;

    /**
     * The same read-only call on each of {@code paths}; the replies in that order, null where none
     * came by {@code untilNanos}. One after the other here; {@link Private} sends them all at once.
     */
    default List<Message> callEach(
        List<String> paths, String iface, String member, String signature, long untilNanos, Object... args)
        throws SystemdException {
      List<Message> replies = new ArrayList<>();
      for (String path : paths) {
        replies.add(call(path, iface, member, signature, untilNanos, args));
      }
      return replies;
    }

    void close();
  }

  private record Private(PeerLink peer) implements Link {
    @Override
    public Message call(
        String path, String iface, String member, String signature, long untilNanos, Object... args)
        throws SystemdException {
      try {
        return peer.ask("list-users", path, iface, member, signature, untilNanos, args);
      } catch (IOException e) {
        throw PeerLink.failure("list-users", "PID 1", e);
      }
    }

    /* All sent before any reply is read: one round trip, not one per path. */
    @Override
    public List<Message> callEach(
        List<String> paths, String iface, String member, String signature, long untilNanos, Object... args)
        throws SystemdException {
      try {
        List<Long> serials = new ArrayList<>();
        for (String path : paths) {
          serials.add(peer.send("list-users", path, iface, member, signature, untilNanos, args).getSerial());
        }
        return peer.replies(serials, untilNanos, null);
      } catch (IOException e) {
        throw PeerLink.failure("list-users", "PID 1", e);
      }
    }

    @Override
    public void close() {
      peer.close();
    }
  }

  /* The system bus delivers the first call whole: one call, one wait. */
  private record Bus(AbstractConnection connection) implements Link {
    @Override
    public Message call(
        String path, String iface, String member, String signature, long untilNanos, Object... args)
        throws SystemdException {
      MethodCall call =
          Calls.methodCall(
              "list-users",
              connection.getMessageFactory(),
              BUS_NAME,
              path,
              iface,
              member,
              signature,
              args);
      try {
        connection.sendMessage(call);
      } catch (RuntimeException e) {
        // dbus-java throws unchecked when the bus has gone.
        throw SystemdException.failed(
            "list-users", "cannot send " + member + ": " + SystemdException.rootCause(e));
      }
      return call.getReply(Math.max(1, (untilNanos - System.nanoTime()) / 1_000_000));
    }

    @Override
    public void close() {
      connection.disconnect();
    }
  }

  /**
   * Starts connecting to PID 1 on a thread of its own, which {@link Opening#await} bounds by the
   * caller's timeout (a dbus-java connection cannot be bounded otherwise). That thread also lists
   * the user managers, which is what every caller asks first.
   */
  public static Opening start() {
    return start(PRIVATE_SOCKET);
  }

  /** {@link #start()} at another socket (tests); only PID 1's own falls back to the bus. */
  static Opening start(Path socket) {
    FutureTask<Ahead> task = new FutureTask<>(() -> openAndList(socket));
    Thread t = new Thread(task, "pid1-connect");
    t.setDaemon(true);
    t.start();
    return new Opening(task);
  }

  /** What the connecting thread hands over. */
  private record Ahead(Link link, Listed listed) {}

  /** The UIDs of the user managers worked on, and of those still starting; each ascending. */
  private record Listed(List<Integer> active, List<Integer> starting) {}

  /** A connection to PID 1 on its way. */
  public static final class Opening {
    private final FutureTask<Ahead> task;

    private Opening(FutureTask<Ahead> task) {
      this.task = task;
    }

    /** Waits for the connection, at most {@code timeout} from now. */
    public DBusSystemManager await(Duration timeout) throws SystemdException {
      try {
        Ahead ahead = task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return new DBusSystemManager(ahead.link(), timeout, ahead.listed());
      } catch (TimeoutException e) {
        // The thread stops at the interrupt and closes what it opened; if it has just finished,
        // close its connection here.
        if (!task.cancel(true)) {
          try {
            task.get().link().close();
          } catch (ExecutionException | InterruptedException | RuntimeException ignored) {
            // Nothing was opened, or it is being closed already.
          }
        }
        throw SystemdException.timeout(
            "list-users", "PID 1 did not answer within " + timeout.toMillis() + " ms");
      } catch (ExecutionException e) {
        throw SystemdException.failed(
            "list-users", "cannot connect to the system bus: " + SystemdException.rootCause(e));
      } catch (InterruptedException e) {
        task.cancel(true);
        Thread.currentThread().interrupt();
        throw SystemdException.failed("list-users", "interrupted");
      }
    }
  }

  private static Ahead openAndList(Path socket)
      throws DBusException, IOException, InterruptedException {
    Link link = open(socket);
    Listed listed = null;
    try {
      listed = new DBusSystemManager(link, AHEAD_TIMEOUT, null).listUserManagers();
    } catch (SystemdException e) {
      // Asked again when the caller asks, which reports the failure in the usual way.
    }
    if (Thread.interrupted()) {
      link.close();
      throw new InterruptedException("given up on");
    }
    return new Ahead(link, listed);
  }

  private static Link open(Path socket) throws DBusException, IOException, InterruptedException {
    if (!socket.equals(PRIVATE_SOCKET) || Files.isWritable(socket)) {
      try {
        return new Private(
            PeerLink.connect(socket, System.nanoTime() + AHEAD_TIMEOUT.toNanos(), null, MAX_BODY));
      } catch (IOException | RuntimeException e) {
        if (Thread.interrupted()) {
          throw new InterruptedException("given up on");
        }
        if (!socket.equals(PRIVATE_SOCKET)) {
          throw e;
        }
        // PID 1 too old or busy for its private socket: the bus below is the way systemctl falls
        // back to as well.
      }
    }
    return new Bus(oneThreadEach(DBusConnectionBuilder.forSystemBus()).build());
  }

  @Override
  public List<Integer> activeUserManagers() throws SystemdException {
    return listed().active();
  }

  @Override
  public List<Integer> startingUserManagers() throws SystemdException {
    return listed().starting();
  }

  private Listed listed() throws SystemdException {
    return listedAhead != null ? listedAhead : listUserManagers();
  }

  private Listed listUserManagers() throws SystemdException {
    Object rows =
        call(
            Calls.PATH,
            Calls.MANAGER,
            "ListUnitsByPatterns",
            "asas",
            LISTED_STATES,
            List.of("user@*.service"));
    List<Integer> active = new ArrayList<>();
    List<Integer> starting = new ArrayList<>();
    for (UnitStatus status : Calls.units(rows)) {
      Matcher m = USER_MANAGER.matcher(status.name());
      OptionalInt uid = m.matches() ? Uids.parse(m.group(1)) : OptionalInt.empty();
      // Not a UID systemd would accept when empty; such a unit cannot exist.
      if (uid.isPresent()) {
        (WORKED_ON.contains(status.activeState()) ? active : starting).add(uid.getAsInt());
      }
    }
    active.sort(null);
    starting.sort(null);
    return new Listed(List.copyOf(active), List.copyOf(starting));
  }

  /* MainPID of each user@UID.service object, at the path GetUnit would give: no GetUnit call each. */
  @Override
  public Map<Integer, Long> managerPids(Collection<Integer> uids) throws SystemdException {
    List<Integer> order = List.copyOf(uids);
    List<String> paths = order.stream().map(uid -> Calls.unitPath("user@" + uid + ".service")).toList();
    List<Message> replies =
        link.callEach(
            paths,
            Calls.PROPERTIES,
            "Get",
            "ss",
            System.nanoTime() + timeout.toNanos(),
            "org.freedesktop.systemd1.Service",
            "MainPID");
    Map<Integer, Long> pids = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      Message reply = replies.get(i);
      if (reply == null) {
        throw SystemdException.timeout("list-users", "PID 1 did not answer Get MainPID");
      }
      try {
        if (Calls.value("list-users", "Get", reply) instanceof Number n && n.longValue() > 0) {
          pids.put(order.get(i), n.longValue());
        }
      } catch (SystemdException e) {
        if (e.dbusError() == null) {
          throw e;
        }
        // No such unit (stopped since it was listed): no PID to give.
      }
    }
    return pids;
  }

  /** Calls a read-only method of PID 1 and returns the first value of its reply. */
  private Object call(String path, String iface, String member, String signature, Object... args)
      throws SystemdException {
    Message reply =
        link.call(path, iface, member, signature, System.nanoTime() + timeout.toNanos(), args);
    if (reply == null) {
      throw SystemdException.timeout("list-users", "PID 1 did not answer " + member);
    }
    return Calls.value("list-users", member, reply);
  }

  /* Calls sent again because no reply came in time: tests tell them from a second list. */
  int callsSentAgain() {
    return link instanceof Private p ? p.peer().resent() : 0;
  }

  @Override
  public void close() {
    link.close();
  }

  /*
   * dbus-java starts a thread pool per kind of incoming message for every connection; one thread
   * each is plenty for a client that makes a handful of calls.
   */
  private static <R extends BaseConnectionBuilder<R, ?>> R oneThreadEach(R builder) {
    return builder
        .receivingThreadConfig()
        .withSignalThreadCount(1)
        .withErrorHandlerThreadCount(1)
        .withMethodCallThreadCount(1)
        .withMethodReturnThreadCount(1)
        .connectionConfig();
  }
}
