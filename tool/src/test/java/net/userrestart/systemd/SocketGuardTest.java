// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import net.userrestart.testutil.Privileges;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks on {@code RUNTIME/UID/systemd/private} before root connects. Changing owners needs
 * root, so do these tests; the runtime root is a temporary folder, owned by root.
 */
class SocketGuardTest {
  static final int UID = 4242;
  static final int OTHER = 4343;

  @TempDir Path runtime;
  SocketGuard guard;

  @BeforeEach
  void setUp() {
    assumeTrue(Privileges.root(), "needs root to change owners");
    guard = new SocketGuard(runtime);
  }

  Path userDir() {
    return runtime.resolve(Integer.toString(UID));
  }

  Path systemdDir() {
    return userDir().resolve("systemd");
  }

  Path socket() {
    return systemdDir().resolve("private");
  }

  /** A socket file at {@code path}, left behind by a closed listener. */
  static void makeSocket(Path path) throws IOException {
    Files.createDirectories(path.getParent());
    ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path)).close();
  }

  static void chown(Path path, int uid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /** The layout a user manager makes: folders and socket owned by the user. */
  void goodLayout() throws IOException {
    makeSocket(socket());
    chown(userDir(), UID);
    chown(systemdDir(), UID);
    chown(socket(), UID);
  }

  SystemdException refused() {
    SystemdException e = assertThrows(SystemdException.class, () -> guard.check(UID));
    assertEquals(SystemdException.Kind.REFUSED, e.kind(), e.getMessage());
    assertEquals("connect", e.step());
    return e;
  }

  @Test
  void socketOfIsTheDocumentedPath() {
    assertEquals(runtime.resolve("4242/systemd/private"), guard.socketOf(UID));
  }

  @Test
  void acceptsTheUsersOwnSocket() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    assertEquals(socket(), checked.socket());
  }

  @Test
  void acceptsFoldersOwnedByRoot() throws Exception {
    makeSocket(socket());
    chown(socket(), UID);
    assertEquals(socket(), guard.check(UID).socket());
  }

  @Test
  void refusesASymlinkedSocket() throws Exception {
    goodLayout();
    Path elsewhere = runtime.resolve("elsewhere");
    makeSocket(elsewhere);
    chown(elsewhere, UID);
    Files.delete(socket());
    Files.createSymbolicLink(socket(), elsewhere);
    chown(socket(), UID);
    assertTrue(refused().getMessage().contains("is a symlink, not a socket"));
  }

  @Test
  void refusesASymlinkToPid1sSocket() throws Exception {
    goodLayout();
    Files.delete(socket());
    Files.createSymbolicLink(socket(), Path.of("/run/systemd/private"));
    refused();
  }

  @Test
  void refusesASymlinkedSystemdFolder() throws Exception {
    Path real = runtime.resolve("real");
    makeSocket(real.resolve("private"));
    chown(real, UID);
    chown(real.resolve("private"), UID);
    Files.createDirectories(userDir());
    chown(userDir(), UID);
    Files.createSymbolicLink(systemdDir(), real);
    chown(systemdDir(), UID);
    assertTrue(refused().getMessage().contains("is a symlink, not a directory"));
  }

  @Test
  void refusesASymlinkedUserFolder() throws Exception {
    Path real = runtime.resolve("real");
    makeSocket(real.resolve("systemd/private"));
    Files.createSymbolicLink(userDir(), real);
    refused();
  }

  @Test
  void refusesARegularFileInsteadOfTheSocket() throws Exception {
    Files.createDirectories(systemdDir());
    Files.write(socket(), new byte[0]);
    chown(socket(), UID);
    assertTrue(refused().getMessage().contains("is a regular file, not a socket"));
  }

  @Test
  void refusesAFolderInsteadOfTheSocket() throws Exception {
    Files.createDirectories(socket());
    chown(socket(), UID);
    refused();
  }

  @Test
  void refusesAFileInsteadOfAFolder() throws Exception {
    Files.createDirectories(userDir());
    Files.write(systemdDir(), new byte[0]);
    assertTrue(refused().getMessage().contains("not a directory"));
  }

  @Test
  void refusesASocketOwnedByAnotherUser() throws Exception {
    goodLayout();
    chown(socket(), OTHER);
    assertTrue(refused().getMessage().contains("owned by uid 4343, not 4242"));
  }

  @Test
  void refusesASocketOwnedByRoot() throws Exception {
    goodLayout();
    chown(socket(), 0);
    assertTrue(refused().getMessage().contains("owned by uid 0, not 4242"));
  }

  @Test
  void refusesAFolderOwnedByAnotherUser() throws Exception {
    goodLayout();
    chown(systemdDir(), OTHER);
    refused();
    chown(systemdDir(), UID);
    chown(userDir(), OTHER);
    refused();
  }

  @Test
  void refusesARuntimeRootNotOwnedByRoot() throws Exception {
    goodLayout();
    chown(runtime, UID);
    try {
      assertTrue(refused().getMessage().contains("owned by uid 4242, not 0"));
    } finally {
      chown(runtime, 0);
    }
  }

  @Test
  void aMissingSocketOrFolderFailsSoThatTheCallerMayRetry() throws Exception {
    SystemdException noUser = assertThrows(SystemdException.class, () -> guard.check(UID));
    assertEquals(SystemdException.Kind.FAILED, noUser.kind());
    assertTrue(noUser.getMessage().contains("does not exist"), noUser.getMessage());
    Files.createDirectories(systemdDir());
    chown(userDir(), UID);
    chown(systemdDir(), UID);
    SystemdException noSocket = assertThrows(SystemdException.class, () -> guard.check(UID));
    assertEquals(SystemdException.Kind.FAILED, noSocket.kind());
    assertTrue(noSocket.getMessage().contains(socket().toString()), noSocket.getMessage());
  }

  @Test
  void aMissingRuntimeRootFails() {
    SocketGuard g = new SocketGuard(runtime.resolve("nope"));
    SystemdException e = assertThrows(SystemdException.class, () -> g.check(UID));
    assertEquals(SystemdException.Kind.FAILED, e.kind());
  }

  @Test
  void aDanglingSymlinkIsRefusedNotMissing() throws Exception {
    Files.createDirectories(systemdDir());
    chown(userDir(), UID);
    chown(systemdDir(), UID);
    Files.createSymbolicLink(socket(), runtime.resolve("nowhere"));
    refused();
  }

  // ---- the peer, once connected ----

  /* The check's deadline, in tests that are not about it: a safety net. */
  static final Duration PATIENT = Duration.ofSeconds(30);

  @Test
  void aPeerRunningAsTheOwnerPasses() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    UserPrincipal owner = Files.getOwner(socket());
    guard.checkPeer(UID, checked, () -> owner, Deadline.in(PATIENT));
  }

  @Test
  void aPeerRunningAsAnotherUserIsRefused() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    UserPrincipal root = Files.getOwner(runtime);
    SystemdException e =
        assertThrows(
            SystemdException.class,
            () -> guard.checkPeer(UID, checked, () -> root, Deadline.in(PATIENT)));
    assertEquals(SystemdException.Kind.REFUSED, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("not uid 4242"), e.getMessage());
  }

  @Test
  void aSocketSwappedForAnotherUsersAfterTheCheckIsRefused() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    UserPrincipal owner = Files.getOwner(socket());
    chown(socket(), OTHER);
    SystemdException e =
        assertThrows(
            SystemdException.class,
            () -> guard.checkPeer(UID, checked, () -> owner, Deadline.in(PATIENT)));
    assertEquals(SystemdException.Kind.REFUSED, e.kind(), e.getMessage());
  }

  @Test
  void unreadablePeerCredentialsAreAFailureToRetry() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    SystemdException e =
        assertThrows(
            SystemdException.class,
            () ->
                guard.checkPeer(
                    UID,
                    checked,
                    () -> {
                      throw new IOException("socket closed");
                    },
                    Deadline.in(PATIENT)));
    assertEquals(SystemdException.Kind.FAILED, e.kind(), e.getMessage());
  }

  /* A user database (sssd, LDAP) that never answers must not hold the run past the deadline. */
  @Test
  void aUserDatabaseThatNeverAnswersTimesOutAtTheDeadline() throws Exception {
    goodLayout();
    SocketGuard.Checked checked = guard.check(UID);
    CountDownLatch never = new CountDownLatch(1);
    long start = System.nanoTime();
    SystemdException e =
        assertThrows(
            SystemdException.class,
            () ->
                guard.checkPeer(
                    UID,
                    checked,
                    () -> {
                      never.await();
                      return Files.getOwner(socket());
                    },
                    Deadline.in(Duration.ofMillis(500))));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(SystemdException.Kind.TIMEOUT, e.kind(), e.getMessage());
    assertTrue(tookMillis < 10_500, "returned after " + tookMillis + " ms, deadline 500 ms");
    never.countDown();
  }
}
