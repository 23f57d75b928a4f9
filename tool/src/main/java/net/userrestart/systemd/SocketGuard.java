// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;

/**
 * Checks a user manager's private socket before root connects to it.
 *
 * <p>{@code /run/user/UID} belongs to the user, who can replace anything below it: with a symlink
 * to PID 1's {@code /run/systemd/private}, to another user's socket, or with a file of their own.
 * Every component from the runtime root down is examined without following links. The check is
 * repeated against the peer's credentials after connecting, which closes the window between the
 * two.
 */
public final class SocketGuard {
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFDIR = 0040000;

  private final Path runtimeRoot;

  /** {@code runtimeRoot} is normally {@code /run/user}. */
  public SocketGuard(Path runtimeRoot) {
    this.runtimeRoot = runtimeRoot;
  }

  /** The socket path of user {@code uid}'s manager. */
  public Path socketOf(int uid) {
    return runtimeRoot.resolve(Integer.toString(uid)).resolve("systemd").resolve("private");
  }

  /** A socket that passed the checks, and its owner as the kernel names the peer. */
  public record Checked(Path socket, UserPrincipal owner) {}

  /** Returns the socket if it is safe to connect to, else throws a REFUSED exception. */
  public Checked check(int uid) throws SystemdException {
    Path dir = runtimeRoot.resolve(Integer.toString(uid));
    Path systemdDir = dir.resolve("systemd");
    Path socket = systemdDir.resolve("private");
    expect(runtimeRoot, S_IFDIR, -1, "unix:mode,uid");
    expect(dir, S_IFDIR, uid, "unix:mode,uid");
    expect(systemdDir, S_IFDIR, uid, "unix:mode,uid");
    return new Checked(
        socket, (UserPrincipal) expect(socket, S_IFSOCK, uid, "unix:mode,uid,owner").get("owner"));
  }

  /*
   * Mode, uid and owner come from one stat(2), so they describe the same file. The owner, a
   * principal, costs a user database lookup: it is read for the socket alone, which the peer's
   * credentials are compared with.
   */
  private static Map<String, Object> expect(Path path, int type, int owner, String attributes)
      throws SystemdException {
    Map<String, Object> attrs;
    try {
      attrs = Files.readAttributes(path, attributes, LinkOption.NOFOLLOW_LINKS);
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
    return attrs;
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
