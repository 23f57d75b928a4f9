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
import org.freedesktop.dbus.DBusAsyncReply;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.AbstractConnection;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;

/**
 * PID 1, peer to peer over its private socket as systemctl does when run as root, else over the
 * system bus.
 */
public final class DBusSystemManager implements SystemManager {
  private static final Pattern USER_MANAGER = Pattern.compile("user@(\\d+)\\.service");
  /** PID 1's own socket: root only, no bus daemon in between, no Hello, no name to resolve. */
  private static final Path PRIVATE_SOCKET = Path.of("/run/systemd/private");
  /** The first wait for the first answer on the private socket; doubled on each retry. */
  private static final long FIRST_CALL_WAIT_MILLIS = 25;

  private final AbstractConnection connection;
  private final Duration timeout;
  /* Over the bus, the broker has answered Hello already: no call can be lost. */
  private boolean answered;

  private DBusSystemManager(AbstractConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
    this.answered = !(connection instanceof DirectConnection);
  }

  /** Connects to PID 1, bounded by {@code timeout} (the handshake has no timeout of its own). */
  public static DBusSystemManager connect(Duration timeout) throws SystemdException {
    FutureTask<AbstractConnection> task = new FutureTask<>(DBusSystemManager::open);
    Thread t = new Thread(task, "pid1-connect");
    t.setDaemon(true);
    t.start();
    try {
      return new DBusSystemManager(task.get(timeout.toMillis(), TimeUnit.MILLISECONDS), timeout);
    } catch (TimeoutException e) {
      task.cancel(true);
      throw SystemdException.timeout(
          "list-users", "PID 1 did not answer within " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw SystemdException.failed(
          "list-users", "cannot connect to the system bus: " + DBusUserManagerConnector.rootCause(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SystemdException.failed("list-users", "interrupted");
    }
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

  private <T extends DBusInterface> T remote(String path, Class<T> type) throws DBusException {
    if (connection instanceof DirectConnection direct) {
      return direct.getRemoteObject(path, type);
    }
    return ((DBusConnection) connection).getRemoteObject(Manager1.BUS_NAME, path, type);
  }

  @Override
  public List<Integer> activeUserManagers() throws SystemdException {
    Object rows;
    try {
      rows =
          call(
              remote(Manager1.OBJECT_PATH, Manager1.class),
              "ListUnitsByPatterns",
              List.of("active", "reloading"),
              List.of("user@*.service"));
    } catch (DBusException | DBusExecutionException e) {
      throw SystemdException.failed("list-users", "ListUnitsByPatterns failed: " + e.getMessage());
    }
    List<Integer> uids = new ArrayList<>();
    if (rows instanceof List<?> list) {
      for (Object row : list) {
        if (row instanceof UnitStatus status) {
          Matcher m = USER_MANAGER.matcher(status.name());
          if (m.matches()) {
            try {
              uids.add(Integer.parseInt(m.group(1)));
            } catch (NumberFormatException ignored) {
              // Not a UID systemd would accept; such a unit cannot exist.
            }
          }
        }
      }
    }
    uids.sort(null);
    return uids;
  }

  @Override
  public long managerPid(int uid) throws SystemdException {
    try {
      Object unit =
          call(remote(Manager1.OBJECT_PATH, Manager1.class), "GetUnit", "user@" + uid + ".service");
      String path = unit instanceof DBusPath p ? p.getPath() : String.valueOf(unit);
      Object value =
          call(remote(path, Properties.class), "Get", "org.freedesktop.systemd1.Service", "MainPID");
      return value instanceof Number n ? n.longValue() : 0;
    } catch (DBusException | DBusExecutionException e) {
      throw SystemdException.failed("list-users", "cannot read the manager PID: " + e.getMessage());
    }
  }

  /**
   * Calls a read-only method and returns its reply. Peer to peer, the first call may be lost when
   * it arrives in the same read as the SASL BEGIN (as with user managers): until a first answer
   * came, the call is sent again, waiting longer each time.
   */
  private Object call(DBusInterface target, String method, Object... args)
      throws DBusException, SystemdException {
    long until = System.nanoTime() + timeout.toNanos();
    long wait = answered ? timeout.toMillis() : FIRST_CALL_WAIT_MILLIS;
    List<DBusAsyncReply<?>> sent = new ArrayList<>();
    while (until - System.nanoTime() > 0) {
      DBusAsyncReply<?> reply = connection.callMethodAsync(target, method, args);
      sent.add(reply);
      long left = (until - System.nanoTime()) / 1_000_000;
      reply.getCall().getReply(Math.max(1, Math.min(wait, left)));
      for (DBusAsyncReply<?> r : sent) {
        if (r.hasReply()) {
          answered = true;
          return r.getReply();
        }
      }
      wait *= 2;
    }
    throw SystemdException.timeout("list-users", "PID 1 did not answer " + method);
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}
