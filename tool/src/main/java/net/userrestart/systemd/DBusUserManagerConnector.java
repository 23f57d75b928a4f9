// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import net.userrestart.log.Shown;

/**
 * Connects as root, peer to peer, to {@code /run/user/UID/systemd/private}. There is no bus daemon
 * there: no Hello, no name, and signals arrive whether asked for or not.
 */
public final class DBusUserManagerConnector implements UserManagerConnector {
  /** Pause between attempts while a manager is not reachable (re-executing, starting). */
  private static final Duration RETRY_PAUSE = Duration.ofMillis(20);

  /**
   * The most bytes of replies and JobRemoved signals one connection may bring, all together: a
   * user manager's take a few kB (the largest lists the marked units, about 250 bytes each). The
   * socket is the user's: what answers there must not make root hold more, times the users worked
   * on at once (16 on two CPUs), than its 64 MiB heap has. dbus-java's parsed values take up to
   * about 6 times their bytes on the wire, so one user costs root at most about 2 MiB at a time.
   * Other signals and replies to no call of ours are skipped unparsed and count for nothing.
   */
  static final long MAX_HELD = 256 * 1024;

  private final SocketGuard guard;

  public DBusUserManagerConnector(Path runtimeRoot) {
    this.guard = new SocketGuard(runtimeRoot);
  }

  @Override
  public UserManager connect(int uid, Deadline deadline) throws SystemdException {
    SystemdException last = null;
    long pause = RETRY_PAUSE.toMillis();
    while (!deadline.expired()) {
      try {
        DBusUserManager manager = open(uid, guard.check(uid), deadline);
        try {
          manager.handshake();
        } catch (SystemdException e) {
          manager.close();
          throw e;
        }
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
    PeerLink link;
    try {
      link = PeerLink.connect(socket, deadline.nanos(), "JobRemoved", MAX_HELD);
    } catch (SocketTimeoutException e) {
      throw SystemdException.timeout(
          "connect", "the user manager accepted the connection but did not answer in time");
    } catch (IOException | RuntimeException e) {
      throw SystemdException.failed(
          "connect",
          "cannot connect to " + socket + ": " + Shown.of(SystemdException.rootCause(e)));
    }
    try {
      // The socket may have been swapped since it was checked: who is at the other end?
      guard.checkPeer(uid, checked, link, deadline);
      return new DBusUserManager(link, deadline);
    } catch (SystemdException | RuntimeException e) {
      link.close();
      throw e instanceof SystemdException x
          ? x
          : SystemdException.failed(
              "connect", "cannot check the peer: " + SystemdException.rootCause(e));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(Math.max(0, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
