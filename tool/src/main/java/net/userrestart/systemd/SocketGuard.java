// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * Checks a user manager's private socket before root connects to it.
 *
 * <p>{@code /run/user/UID} belongs to the user, who can replace anything below it: with a symlink
 * to PID 1's {@code /run/systemd/private}, to another user's socket, or with a file of their own.
 * Every component from the runtime root down is examined without following links, by numeric
 * uid. The check is repeated against the peer's credentials after connecting, which closes the
 * window between the two.
 */
public final class SocketGuard {
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFDIR = 0040000;

  /* A user name as printed in a refusal: longer ones are cut. */
  private static final int MAX_NAME = 64;

  private final Path runtimeRoot;
  private final Lookups lookups = new Lookups();

  /** {@code runtimeRoot} is normally {@code /run/user}. */
  public SocketGuard(Path runtimeRoot) {
    this.runtimeRoot = runtimeRoot;
  }

  /** The socket path of user {@code uid}'s manager. */
  public Path socketOf(int uid) {
    return runtimeRoot.resolve(Integer.toString(uid)).resolve("systemd").resolve("private");
  }

  /** A socket that passed the checks. */
  public record Checked(Path socket) {}

  /** Returns the socket if it is safe to connect to, else throws a REFUSED exception. */
  public Checked check(int uid) throws SystemdException {
    Path dir = runtimeRoot.resolve(Integer.toString(uid));
    Path systemdDir = dir.resolve("systemd");
    Path socket = systemdDir.resolve("private");
    expect(runtimeRoot, S_IFDIR, -1);
    expect(dir, S_IFDIR, uid);
    expect(systemdDir, S_IFDIR, uid);
    expect(socket, S_IFSOCK, uid);
    return new Checked(socket);
  }

  /**
   * Checks, once connected, that the peer runs as {@code uid}: the user could have swapped the
   * socket since {@link #check}. The kernel's answer (SO_PEERCRED) reaches Java only as a
   * principal, which the JDK makes with user and group database lookups (NSS: sssd, LDAP…, which
   * can hang); so does the socket owner's principal it is compared with. Both run on a thread of
   * their own, waited for until {@code deadline}. The owner's principal comes from the stat that
   * shows the socket is still {@code uid}'s; principals are equal when their numbers are.
   */
  void checkPeer(int uid, Checked checked, PeerLink link, Deadline deadline)
      throws SystemdException {
    checkPeer(uid, checked, link::peer, deadline);
  }

  /** {@link #checkPeer(int, Checked, PeerLink, Deadline)}, the peer told by {@code peer}. */
  void checkPeer(int uid, Checked checked, Callable<UserPrincipal> peer, Deadline deadline)
      throws SystemdException {
    Optional<PeerCheck> result;
    try {
      result = lookups.until(deadline.nanos(), () -> compare(uid, checked.socket(), peer));
    } catch (ExecutionException e) {
      // The kernel knows the peer of every connected socket: failing to read it means the peer
      // has gone already. Not a refusal: the next attempt may find the manager back.
      throw SystemdException.failed(
          "connect", "cannot read peer credentials: " + SystemdException.rootCause(e.getCause()));
    }
    if (result.isEmpty()) {
      throw SystemdException.timeout(
          "connect", "the user database did not name the peer of the socket within the deadline");
    }
    if (!result.get().owner()) {
      throw SystemdException.refused(
          "connect",
          "peer of the user manager socket runs as user "
              + UnitName.printable(result.get().peer(), MAX_NAME)
              + ", not uid "
              + uid);
    }
  }

  /** Whether the peer is the socket's owner, and who the peer is. */
  private record PeerCheck(boolean owner, String peer) {}

  private static PeerCheck compare(int uid, Path socket, Callable<UserPrincipal> peer)
      throws Exception {
    UserPrincipal who = peer.call();
    Map<String, Object> attrs =
        Files.readAttributes(socket, "unix:uid,owner", LinkOption.NOFOLLOW_LINKS);
    boolean owner =
        attrs.get("uid") instanceof Integer u && u == uid && who.equals(attrs.get("owner"));
    return new PeerCheck(owner, who.getName());
  }

  /*
   * Mode and uid come from one stat(2), so they describe the same file; both are numbers, which
   * need no user database lookup.
   */
  private static void expect(Path path, int type, int owner) throws SystemdException {
    Map<String, Object> attrs;
    try {
      attrs = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      // Not refused: a manager that is starting creates it soon, so the caller may retry.
      throw SystemdException.failed("connect", path + " does not exist");
    } catch (IOException | UnsupportedOperationException e) {
      throw SystemdException.refused("connect", "cannot examine " + path + ": " + e.getMessage());
    }
    int mode = (Integer) attrs.get("mode");
    int uid = (Integer) attrs.get("uid");
    if ((mode & S_IFMT) != type) {
      throw SystemdException.refused(
          "connect", path + " is " + describe(mode) + ", not " + describe(type));
    }
    // The runtime root itself must be root's; below it, the user's own (or root's).
    if (owner < 0 ? uid != 0 : uid != owner && !(type == S_IFDIR && uid == 0)) {
      throw SystemdException.refused(
          "connect", path + " is owned by uid " + uid + ", not " + (owner < 0 ? 0 : owner));
    }
  }

  private static String describe(int mode) {
    switch (mode & S_IFMT) {
      case S_IFSOCK:
        return "a socket";
      case S_IFDIR:
        return "a directory";
      case 0120000:
        return "a symlink";
      case 0100000:
        return "a regular file";
      default:
        return "a special file";
    }
  }
}
