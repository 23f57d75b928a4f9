// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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

  /*
   * PID 1's socket is root's: no guard, but it must be a socket owned by root, not a link. The
   * connection is read as a user manager's is (PID 1 speaks the same Manager interface), keeping
   * JobRemoved signals, which PID 1 sends to every connection on its private socket.
   */
  @Override
  public void reexecThroughPid1(int uid, Deadline deadline) throws SystemdException {
    String step = "reexecute";
    try {
      // By number: a name lookup may hang on the user database.
      Map<String, Object> attrs =
          Files.readAttributes(PID1_SOCKET, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
      boolean socket = attrs.get("mode") instanceof Integer mode && (mode & 0170000) == 0140000;
      if (!socket || !Integer.valueOf(0).equals(attrs.get("uid"))) {
        throw SystemdException.failed(step, PID1_SOCKET + " is not root's socket");
      }
    } catch (IOException e) {
      throw SystemdException.failed(step, "cannot use " + PID1_SOCKET + ": " + e.getMessage());
    }
    PeerLink link;
    try {
      link = PeerLink.connect(PID1_SOCKET, deadline.nanos(), "JobRemoved", MAX_HELD);
    } catch (IOException | RuntimeException e) {
      throw SystemdException.failed(
          step, "cannot connect to " + PID1_SOCKET + ": " + Shown.of(SystemdException.rootCause(e)));
    }
    try (DBusUserManager pid1 = new DBusUserManager(link, deadline)) {
      pid1.handshake();
      pid1.reloadUnit(step, "user@" + uid + ".service");
    }
  }

  private static final Path PID1_SOCKET = Path.of("/run/systemd/private");

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
