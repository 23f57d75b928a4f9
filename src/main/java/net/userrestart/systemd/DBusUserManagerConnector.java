// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.exceptions.DBusException;

/**
 * Connects as root, peer to peer, to {@code /run/user/UID/systemd/private}. There is no bus daemon
 * there: no Hello, no name, and signals arrive whether asked for or not.
 */
public final class DBusUserManagerConnector implements UserManagerConnector, AutoCloseable {
  /** Pause between attempts while a manager is not reachable (re-executing, starting). */
  private static final Duration RETRY_PAUSE = Duration.ofMillis(20);

  private final SocketGuard guard;
  /* dbus-java's SASL handshake has no timeout of its own: a watchdog interrupts it instead. */
  private final ScheduledExecutorService watchdog;

  public DBusUserManagerConnector(Path runtimeRoot) {
    this.guard = new SocketGuard(runtimeRoot);
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "connect-watchdog");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public UserManager connect(int uid, Deadline deadline) throws SystemdException {
    SystemdException last = null;
    long pause = RETRY_PAUSE.toMillis();
    while (!deadline.expired()) {
      try {
        DBusUserManager manager = open(uid, guard.check(uid), deadline);
        manager.handshake();
        return manager;
      } catch (SystemdException e) {
        if (e.kind() == SystemdException.Kind.REFUSED) {
          throw e;
        }
        // The deadline cuts the last attempt: keep what the manager really said before.
        if (last == null || e.kind() != SystemdException.Kind.TIMEOUT) {
          last = e;
        }
      }
      sleep(Math.min(pause, deadline.remainingMillis()));
      pause = Math.min(pause * 2, 200);
    }
    throw SystemdException.timeout(
        "connect",
        "no answer from the user manager within the deadline"
            + (last == null ? "" : " (" + last.getMessage() + ")"));
  }

  private DBusUserManager open(int uid, SocketGuard.Checked checked, Deadline deadline)
      throws SystemdException {
    Path socket = checked.socket();
    Alarm alarm = new Alarm(Thread.currentThread());
    ScheduledFuture<?> ring =
        watchdog.schedule(alarm::ring, deadline.remainingMillis(), TimeUnit.MILLISECONDS);
    PeerLink link;
    try {
      link = PeerLink.connect(socket);
    } catch (DBusException | IOException | RuntimeException e) {
      if (alarm.rang() || deadline.expired()) {
        throw SystemdException.timeout(
            "connect", "the user manager accepted the connection but did not answer in time");
      }
      throw SystemdException.failed("connect", "cannot connect to " + socket + ": " + rootCause(e));
    } finally {
      alarm.disarm();
      ring.cancel(false);
    }
    try {
      checkPeer(uid, checked.owner(), link);
      return new DBusUserManager(link, deadline);
    } catch (SystemdException | RuntimeException e) {
      link.close();
      throw e instanceof SystemdException x
          ? x
          : SystemdException.failed("connect", "cannot check the peer: " + rootCause(e));
    }
  }

  /*
   * The socket path was checked, but the user could have swapped it since: ask the kernel who is
   * at the other end. Principals compare by numeric id; the owner's came from the same stat that
   * showed the socket belongs to uid.
   */
  private static void checkPeer(int uid, UserPrincipal owner, PeerLink link)
      throws SystemdException {
    UserPrincipal peer;
    try {
      peer = link.peer();
    } catch (IOException | RuntimeException e) {
      // The kernel knows the peer of every connected socket: failing to read it means the peer
      // has gone already. Not a refusal: the next attempt may find the manager back.
      throw SystemdException.failed("connect", "cannot read peer credentials: " + rootCause(e));
    }
    if (!peer.equals(owner)) {
      throw SystemdException.refused(
          "connect",
          "peer of the user manager socket runs as user " + peer.getName() + ", not uid " + uid);
    }
  }

  /**
   * Interrupts a connect that runs past the deadline: a blocked connect(2) or SASL read on an
   * interruptible channel ends at once. Only while it is building, never a connection in use.
   */
  private static final class Alarm {
    private final Thread builder;
    private boolean building = true;
    private boolean rang;

    Alarm(Thread builder) {
      this.builder = builder;
    }

    synchronized void ring() {
      if (building) {
        rang = true;
        builder.interrupt();
      }
    }

    synchronized boolean rang() {
      return rang;
    }

    /** Ends the alarm's hold; clears an interrupt it caused so the caller goes on normally. */
    synchronized void disarm() {
      building = false;
      if (rang) {
        Thread.interrupted();
      }
    }
  }

  static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage();
    return message == null ? t.getClass().getSimpleName() : message;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(Math.max(0, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
  }
}
