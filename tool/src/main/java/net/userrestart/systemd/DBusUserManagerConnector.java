// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
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
      checkPeer(uid, checked.owner(), link);
      return new DBusUserManager(link, deadline);
    } catch (SystemdException | RuntimeException e) {
      link.close();
      throw e instanceof SystemdException x
          ? x
          : SystemdException.failed(
              "connect", "cannot check the peer: " + SystemdException.rootCause(e));
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
      throw SystemdException.failed(
          "connect", "cannot read peer credentials: " + SystemdException.rootCause(e));
    }
    if (!peer.equals(owner)) {
      throw SystemdException.refused(
          "connect",
          "peer of the user manager socket runs as user " + peer.getName() + ", not uid " + uid);
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
