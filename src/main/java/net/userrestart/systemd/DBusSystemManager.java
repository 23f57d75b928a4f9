// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

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
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.Message;

/** PID 1 over the system bus. */
public final class DBusSystemManager implements SystemManager {
  private static final Pattern USER_MANAGER = Pattern.compile("user@(\\d+)\\.service");

  private final DBusConnection connection;
  private final Duration timeout;

  private DBusSystemManager(DBusConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
  }

  /** Connects to the system bus, bounded by {@code timeout} (the handshake has no timeout of its own). */
  public static DBusSystemManager connect(Duration timeout) throws SystemdException {
    FutureTask<DBusConnection> task =
        new FutureTask<>(
            () ->
                DBusConnectionBuilder.forSystemBus()
                    .receivingThreadConfig()
                    .withSignalThreadCount(1)
                    .withErrorHandlerThreadCount(1)
                    .withMethodCallThreadCount(1)
                    .withMethodReturnThreadCount(1)
                    .connectionConfig()
                    .build());
    Thread t = new Thread(task, "system-bus-connect");
    t.setDaemon(true);
    t.start();
    try {
      return new DBusSystemManager(task.get(timeout.toMillis(), TimeUnit.MILLISECONDS), timeout);
    } catch (TimeoutException e) {
      task.cancel(true);
      throw SystemdException.timeout("list-users", "the system bus did not answer in " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw SystemdException.failed(
          "list-users", "cannot connect to the system bus: " + DBusUserManagerConnector.rootCause(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SystemdException.failed("list-users", "interrupted");
    }
  }

  @Override
  public List<Integer> activeUserManagers() throws SystemdException {
    Object rows;
    try {
      Manager1 pid1 =
          connection.getRemoteObject(Manager1.BUS_NAME, Manager1.OBJECT_PATH, Manager1.class);
      DBusAsyncReply<?> reply =
          connection.callMethodAsync(
              pid1,
              "ListUnitsByPatterns",
              List.of("active", "reloading"),
              List.of("user@*.service"));
      Message answer = reply.getCall().getReply(timeout.toMillis());
      if (answer == null) {
        throw SystemdException.timeout("list-users", "PID 1 did not answer ListUnitsByPatterns");
      }
      rows = reply.getReply();
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
      Manager1 pid1 =
          connection.getRemoteObject(Manager1.BUS_NAME, Manager1.OBJECT_PATH, Manager1.class);
      DBusAsyncReply<?> unit = connection.callMethodAsync(pid1, "GetUnit", "user@" + uid + ".service");
      if (unit.getCall().getReply(timeout.toMillis()) == null) {
        throw SystemdException.timeout("list-users", "PID 1 did not answer GetUnit");
      }
      Object reply = unit.getReply();
      String path = reply instanceof DBusPath p ? p.getPath() : String.valueOf(reply);
      Properties props = connection.getRemoteObject(Manager1.BUS_NAME, path, Properties.class);
      DBusAsyncReply<?> pid =
          connection.callMethodAsync(props, "Get", "org.freedesktop.systemd1.Service", "MainPID");
      if (pid.getCall().getReply(timeout.toMillis()) == null) {
        throw SystemdException.timeout("list-users", "PID 1 did not answer Get MainPID");
      }
      Object value = pid.getReply();
      return value instanceof Number n ? n.longValue() : 0;
    } catch (DBusException | DBusExecutionException e) {
      throw SystemdException.failed("list-users", "cannot read the manager PID: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}
