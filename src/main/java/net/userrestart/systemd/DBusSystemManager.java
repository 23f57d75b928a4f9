// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.freedesktop.dbus.connections.AbstractConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
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
  /** The first wait for the first answer on the private socket; doubled on each retry. */
  private static final long FIRST_CALL_WAIT_MILLIS = 25;

  /** Bounds the list made ahead, before the caller's own timeout is known. */
  private static final Duration AHEAD_TIMEOUT = Duration.ofSeconds(15);

  private final AbstractConnection connection;
  private Duration timeout;
  /* Over the bus, the broker has answered Hello already: no call can be lost. */
  private boolean answered;
  /* The user managers listed on the connecting thread, handed out by the first ask. */
  private List<Integer> listedAhead;

  private DBusSystemManager(AbstractConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
    this.answered = !(connection instanceof DirectConnection);
  }

  /** Connects to PID 1, bounded by {@code timeout} (the handshake has no timeout of its own). */
  public static DBusSystemManager connect(Duration timeout) throws SystemdException {
    return start().await(timeout);
  }

  /**
   * Starts connecting to PID 1 on a thread of its own, so that the caller can go on with other
   * work (parsing the command line) meanwhile. That thread also lists the user managers, which is
   * what every caller asks first.
   */
  public static Opening start() {
    FutureTask<DBusSystemManager> task = new FutureTask<>(DBusSystemManager::openAndList);
    Thread t = new Thread(task, "pid1-connect");
    t.setDaemon(true);
    t.start();
    return new Opening(task);
  }

  /** A connection to PID 1 on its way. */
  public static final class Opening {
    private final FutureTask<DBusSystemManager> task;

    private Opening(FutureTask<DBusSystemManager> task) {
      this.task = task;
    }

    /** Waits for the connection, at most {@code timeout} from now. */
    public DBusSystemManager await(Duration timeout) throws SystemdException {
      try {
        DBusSystemManager pid1 = task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        pid1.timeout = timeout;
        return pid1;
      } catch (TimeoutException e) {
        task.cancel(true);
        throw SystemdException.timeout(
            "list-users", "PID 1 did not answer within " + timeout.toSeconds() + " s");
      } catch (ExecutionException e) {
        throw SystemdException.failed(
            "list-users",
            "cannot connect to the system bus: " + DBusUserManagerConnector.rootCause(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw SystemdException.failed("list-users", "interrupted");
      }
    }
  }

  private static DBusSystemManager openAndList() throws DBusException {
    DBusSystemManager pid1 = new DBusSystemManager(open(), AHEAD_TIMEOUT);
    try {
      pid1.listedAhead = pid1.listUserManagers();
    } catch (SystemdException e) {
      // Asked again when the caller asks, which reports the failure in the usual way.
    }
    return pid1;
  }

  private static AbstractConnection open() throws DBusException {
    if (Files.isWritable(PRIVATE_SOCKET)) {
      try {
        return DBusUserManagerConnector.oneThreadEach(
                DirectConnectionBuilder.forAddress("unix:path=" + PRIVATE_SOCKET))
            .transportConfig()
            .withTimeout(0)
            .back()
            .build();
      } catch (DBusException | RuntimeException e) {
        // PID 1 too old or busy for its private socket: the bus below is the way systemctl falls
        // back to as well.
      }
    }
    return DBusUserManagerConnector.oneThreadEach(DBusConnectionBuilder.forSystemBus()).build();
  }

  @Override
  public List<Integer> activeUserManagers() throws SystemdException {
    List<Integer> listed = listedAhead;
    listedAhead = null;
    return listed != null ? listed : listUserManagers();
  }

  private List<Integer> listUserManagers() throws SystemdException {
    Object rows =
        call(
            Calls.PATH,
            Calls.MANAGER,
            "ListUnitsByPatterns",
            "asas",
            List.of("active", "reloading"),
            List.of("user@*.service"));
    List<Integer> uids = new ArrayList<>();
    for (UnitStatus status : Calls.units(rows)) {
      Matcher m = USER_MANAGER.matcher(status.name());
      if (m.matches()) {
        try {
          uids.add(Integer.parseInt(m.group(1)));
        } catch (NumberFormatException ignored) {
          // Not a UID systemd would accept; such a unit cannot exist.
        }
      }
    }
    uids.sort(null);
    return uids;
  }

  @Override
  public long managerPid(int uid) throws SystemdException {
    String unit =
        Calls.path(
            "list-users",
            call(Calls.PATH, Calls.MANAGER, "GetUnit", "s", "user@" + uid + ".service"));
    Object value =
        call(unit, Calls.PROPERTIES, "Get", "ss", "org.freedesktop.systemd1.Service", "MainPID");
    return value instanceof Number n ? n.longValue() : 0;
  }

  /**
   * Calls a read-only method and returns its reply. Peer to peer, the first call may be lost when
   * it arrives in the same read as the SASL BEGIN (as with user managers): until a first answer
   * came, the call is sent again, waiting longer each time.
   */
  private Object call(String path, String iface, String member, String signature, Object... args)
      throws SystemdException {
    String destination = connection instanceof DirectConnection ? null : BUS_NAME;
    long until = System.nanoTime() + timeout.toNanos();
    long wait = answered ? timeout.toMillis() : FIRST_CALL_WAIT_MILLIS;
    List<MethodCall> sent = new ArrayList<>();
    try {
      while (until - System.nanoTime() > 0) {
        MethodCall call = Calls.send(connection, destination, path, iface, member, signature, args);
        sent.add(call);
        long left = (until - System.nanoTime()) / 1_000_000;
        call.getReply(Math.max(1, Math.min(wait, left)));
        for (MethodCall c : sent) {
          if (c.hasReply()) {
            answered = true;
            return Calls.value("list-users", member, c.getReply());
          }
        }
        wait *= 2;
      }
    } catch (DBusException e) {
      throw SystemdException.failed("list-users", member + " failed: " + e.getMessage());
    }
    throw SystemdException.timeout("list-users", "PID 1 did not answer " + member);
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}
