// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import net.userrestart.marks.Mark.Kind;
import net.userrestart.testutil.StoreFiles;
import net.userrestart.testutil.LockHolder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("try") // locks and peers held for their side effect
class MarkStoreTest {
  @TempDir Path root;
  MarkStore store;

  @BeforeEach
  void setUp() {
    store = new MarkStore(root);
  }

  static Mark restart(String unit) {
    return new Mark(Kind.RESTART, unit);
  }

  static Mark reload(String unit) {
    return new Mark(Kind.RELOAD, unit);
  }

  private void touch(String relative) throws IOException {
    Path file = root.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[0]);
  }

  private boolean exists(String relative) {
    return Files.exists(root.resolve(relative));
  }

  /** Every regular file below the root except the lock, relative and sorted. */
  private List<String> files() throws IOException {
    return StoreFiles.list(root);
  }

  // ---- mark and read ----

  @Test
  void markWritesEmptyFilesWhereTheReadmeSays() throws Exception {
    store.mark(restart("foo.service"), OptionalInt.empty());
    store.mark(reload("foo\\x2dbar.service"), OptionalInt.empty());
    store.mark(restart("app@.service"), OptionalInt.of(1000));
    store.mark(reload("x.timer"), OptionalInt.of(1000));
    assertEquals(
        List.of(
            "reload/foo\\x2dbar.service",
            "restart/foo.service",
            "user/1000/reload/x.timer",
            "user/1000/restart/app@.service"),
        files());
    assertEquals(0, Files.size(root.resolve("restart/foo.service")));
  }

  @Test
  void markingTwiceIsOneMark() throws Exception {
    store.mark(restart("foo.service"), OptionalInt.empty());
    store.mark(restart("foo.service"), OptionalInt.empty());
    assertEquals(Set.of(restart("foo.service")), store.read().global());
  }

  @Test
  void markRefusesInvalidNamesAndWritesNothing() throws Exception {
    for (String bad : List.of("../x", "../../etc/passwd", "", "foo", "a b.service", "x\n.service")) {
      MarkStoreException e =
          assertThrows(MarkStoreException.class, () -> store.mark(restart(bad), OptionalInt.empty()));
      assertFalse(e.busy());
    }
    assertEquals(List.of(), files());
  }

  @Test
  void readSeparatesGlobalAndPerUserMarks() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    store.mark(reload("b.service"), OptionalInt.empty());
    store.mark(restart("c.service"), OptionalInt.of(1000));
    store.mark(reload("a.service"), OptionalInt.of(1001));
    MarkStore.Pending pending = store.read();
    assertEquals(Set.of(restart("a.service"), reload("b.service")), pending.global());
    assertEquals(
        Map.of(1000, Set.of(restart("c.service")), 1001, Set.of(reload("a.service"))),
        pending.perUser());
    assertEquals(List.of(), pending.invalid());
    assertEquals(
        Set.of(restart("a.service"), reload("b.service"), restart("c.service")),
        pending.marks(1000));
    assertEquals(Set.of(restart("a.service"), reload("b.service")), pending.marks(4242));
  }

  @Test
  void readOfAnEmptyOrMissingStoreIsEmpty() throws Exception {
    MarkStore.Pending pending = new MarkStore(root.resolve("does-not-exist")).read();
    assertEquals(Set.of(), pending.global());
    assertEquals(Map.of(), pending.perUser());
    assertEquals(List.of(), store.read().invalid());
  }

  @Test
  void invalidFileNamesAreReportedAndNeverReturned() throws Exception {
    touch("restart/good.service");
    touch("restart/foo.txt");
    touch("restart/foo");
    touch("restart/a b.service");
    touch("restart/@x.service");
    touch("reload/a@b@c.service");
    touch("user/1000/restart/x\u0001.service");
    Files.createDirectories(root.resolve("restart/dir.service"));
    Files.createSymbolicLink(root.resolve("restart/link.service"), root.resolve("restart/good.service"));
    MarkStore.Pending pending = store.read();
    assertEquals(Set.of(restart("good.service")), pending.global());
    assertEquals(Map.of(), pending.perUser());
    List<String> invalid = pending.invalid();
    assertEquals(8, invalid.size(), invalid.toString());
    for (String name :
        List.of("foo.txt", "/foo:", "a b.service", "@x.service", "a@b@c.service", "x\u0001.service",
            "dir.service", "link.service")) {
      assertTrue(invalid.stream().anyMatch(i -> i.contains(name)), name + " in " + invalid);
    }
    assertTrue(invalid.stream().anyMatch(i -> i.contains("dir.service: not a regular file")));
    // Left in place for a human to see.
    assertTrue(exists("restart/foo.txt"));
  }

  @Test
  void invalidNamesAreNotClaimed() throws Exception {
    touch("restart/foo.txt");
    touch("user/1000/restart/bad name.service");
    touch("user/1000/restart/ok.service");
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000), List.of(1000));
      assertEquals(Set.of(restart("ok.service")), claim.marks(1000));
      assertEquals(2, claim.invalid().size());
      claim.settle(1000, claim.marks(1000));
      claim.finish();
    }
    assertTrue(exists("restart/foo.txt"));
    assertTrue(exists("user/1000/restart/bad name.service"));
    assertFalse(exists("user/1000/restart/foo.txt"));
    assertFalse(exists("user/1000/restart/ok.service"));
  }

  @Test
  void dotFilesAreTemporaryAndIgnored() throws Exception {
    touch("restart/.foo.service.tmp");
    touch("restart/.#lock");
    touch("reload/.service");
    touch("user/1000/restart/.x.service");
    MarkStore.Pending pending = store.read();
    assertEquals(Set.of(), pending.global());
    assertEquals(Map.of(), pending.perUser());
    assertEquals(List.of(), pending.invalid());
  }

  @Test
  void userFoldersThatAreNotUidsAreReported() throws Exception {
    touch("user/someone/restart/a.service");
    MarkStore.Pending pending = store.read();
    assertEquals(Map.of(), pending.perUser());
    assertTrue(pending.invalid().stream().anyMatch(i -> i.contains("someone: not a UID")), pending.invalid().toString());
  }

  @Test
  void nonCanonicalUidFoldersAreReported() throws Exception {
    touch("user/007/restart/a.service");
    MarkStore.Pending pending = store.read();
    assertTrue(pending.invalid().stream().anyMatch(i -> i.contains("007")), pending.invalid().toString());
  }

  @Test
  void onlyUidsThatFitAreRead() throws Exception {
    touch("user/0/restart/a.service");
    touch("user/2147483647/restart/b.service");
    touch("user/2147483648/restart/c.service");
    touch("user/12345678901/restart/d.service");
    touch("user/-1/restart/e.service");
    MarkStore.Pending pending = store.read();
    assertEquals(Set.of(0, 2147483647), pending.perUser().keySet());
    assertEquals(3, pending.invalid().size(), pending.invalid().toString());
  }

  // ---- corrupt store ----

  @Test
  void aRegularFileWhereAFolderBelongsIsACorruptStore() throws Exception {
    touch("restart");
    MarkStoreException read = assertThrows(MarkStoreException.class, store::read);
    assertFalse(read.busy());
    assertTrue(read.getMessage().contains("not a directory"), read.getMessage());
    assertThrows(MarkStoreException.class, () -> store.mark(restart("a.service"), OptionalInt.empty()));
    try (Lock lock = store.lock()) {
      assertThrows(
          MarkStoreException.class, () -> store.claim(lock, List.of(1000), List.of(1000)));
    }
  }

  @Test
  void aRegularFileAsThePerUserFolderIsACorruptStore() throws Exception {
    touch("user");
    assertThrows(MarkStoreException.class, store::read);
  }

  @Test
  void aRootThatIsAFileCannotBeLocked() throws Exception {
    Path file = root.resolve("file");
    Files.write(file, new byte[0]);
    MarkStoreException e = assertThrows(MarkStoreException.class, () -> new MarkStore(file).lock());
    assertFalse(e.busy());
  }

  // ---- the lock ----

  @Test
  void lockWritesThePidAndClearsItOnClose() throws Exception {
    try (Lock lock = store.lock()) {
      assertEquals(
          ProcessHandle.current().pid() + "\n",
          Files.readString(root.resolve("lock"), StandardCharsets.US_ASCII));
    }
    assertEquals("", Files.readString(root.resolve("lock")));
    // Released: it can be taken again.
    store.lock().close();
  }

  @Test
  void aClosedLockCannotBeUsed() throws Exception {
    Lock lock = store.lock();
    lock.close();
    assertThrows(IllegalStateException.class, () -> store.claim(lock, List.of(), List.of()));
  }

  @Test
  void lockIsExclusiveAcrossProcesses() throws Exception {
    Process holder = LockHolder.start(root);
    try {
      MarkStoreException e = assertThrows(MarkStoreException.class, store::lock);
      assertTrue(e.busy());
      assertTrue(e.getMessage().contains("pid " + holder.pid()), e.getMessage());
    } finally {
      LockHolder.stop(holder);
    }
    store.lock().close();
  }

  @Test
  void aLockHeldHereKeepsOtherProcessesOut() throws Exception {
    try (Lock lock = store.lock()) {
      assertEquals("busy", LockHolder.tryOnce(root));
    }
    assertEquals("locked", LockHolder.tryOnce(root));
  }

  @Test
  void lockIsExclusiveWithinTheJvm() throws Exception {
    try (Lock first = store.lock()) {
      MarkStoreException e = assertThrows(MarkStoreException.class, () -> new MarkStore(root).lock());
      assertTrue(e.busy());
      assertTrue(e.getMessage().contains("another run"), e.getMessage());
    }
  }

  @Test
  void aFailedSecondLockInTheJvmKeepsTheFirstHeld() throws Exception {
    try (Lock first = store.lock()) {
      try {
        new MarkStore(root).lock().close();
      } catch (MarkStoreException | RuntimeException expected) {
        // busy, in whatever form
      }
      assertEquals("busy", LockHolder.tryOnce(root), "the first lock must still be held");
    }
  }

  // ---- claim and settle ----

  @Test
  void marksForEveryUserAreClaimedOnceAndGivenOnlyToUsersThatStillNeedThem() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    store.mark(reload("b.service"), OptionalInt.empty());
    store.mark(restart("c.service"), OptionalInt.of(1001));
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000, 1001, 1002), List.of(1000, 1001));
      // Nothing is written per user before the run: claiming costs the same for any number.
      assertEquals(
          List.of(
              ".claimed/reload/b.service",
              ".claimed/restart/a.service",
              "user/1001/.claimed/restart/c.service"),
          files());
      // Claimed marks still show as pending.
      assertEquals(Set.of(restart("a.service"), reload("b.service")), store.read().global());
      assertEquals(Set.of(restart("a.service"), reload("b.service")), claim.marks(1000));
      assertEquals(
          Set.of(restart("a.service"), reload("b.service"), restart("c.service")),
          claim.marks(1001));
      claim.settle(1000, claim.marks(1000)); // all done
      claim.settle(1001, Set.of(restart("a.service"))); // b and c failed
      assertEquals(
          List.of(
              ".claimed/reload/b.service",
              ".claimed/restart/a.service",
              "user/1001/reload/b.service",
              "user/1001/restart/c.service"),
          files());
      claim.finish(); // 1002 was not chosen: it keeps every mark
    }
    assertEquals(
        List.of(
            "user/1001/reload/b.service",
            "user/1001/restart/c.service",
            "user/1002/reload/b.service",
            "user/1002/restart/a.service"),
        files());
  }

  @Test
  void claimDropsMarksOfUsersWithoutAnActiveManager() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    store.mark(restart("gone.service"), OptionalInt.of(2000));
    store.mark(restart("kept.service"), OptionalInt.of(1000));
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000), List.of(1000));
      assertFalse(exists("user/2000"));
      claim.settle(2000, Set.of()); // not active: nothing to give back
      claim.finish();
    }
    assertEquals(List.of("user/1000/restart/a.service", "user/1000/restart/kept.service"), files());
  }

  @Test
  void aManagerStillStartingKeepsItsOwnMarksAndGetsThoseForEveryUser() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    store.mark(reload("b.service"), OptionalInt.empty());
    store.mark(restart("own.service"), OptionalInt.of(1001));
    store.mark(restart("gone.service"), OptionalInt.of(2000));
    try (Lock lock = store.lock()) {
      // 1000 active and chosen; 1001 activating: kept, not worked on; 2000 has no manager.
      MarkStore.Claim claim = store.claim(lock, List.of(1000, 1001), List.of(1000));
      assertEquals(Set.of(restart("a.service"), reload("b.service")), claim.marks(1000));
      assertTrue(exists("user/1001/restart/own.service"), "claimed or dropped: " + files());
      assertFalse(exists("user/2000"));
      claim.settle(1000, claim.marks(1000));
      claim.finish();
    }
    assertEquals(
        List.of(
            "user/1001/reload/b.service",
            "user/1001/restart/a.service",
            "user/1001/restart/own.service"),
        files());
  }

  @Test
  void withNoActiveUserMarksForEveryUserAreForgotten() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    try (Lock lock = store.lock()) {
      store.claim(lock, List.of(), List.of()).finish();
    }
    assertEquals(List.of(), files());
  }

  @Test
  void marksClaimedByARunThatDiedAreClaimedAgain() throws Exception {
    touch("user/1000/.claimed/restart/a.service");
    touch("user/1000/.claimed/reload/b.service");
    touch("user/2000/.claimed/restart/c.service");
    touch(".claimed/restart/d.service");
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000), List.of(1000));
      assertEquals(
          Set.of(restart("a.service"), reload("b.service"), restart("d.service")),
          claim.marks(1000));
      claim.finish(); // no outcome for 1000: it keeps everything
    }
    assertEquals(
        List.of(
            "user/1000/reload/b.service",
            "user/1000/restart/a.service",
            "user/1000/restart/d.service"),
        files());
  }

  @Test
  void aRunThatDiesBeforeFinishingLeavesMarksForEveryUserToTheNext() throws Exception {
    store.mark(restart("a.service"), OptionalInt.empty());
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000, 1001), List.of(1000, 1001));
      claim.settle(1000, claim.marks(1000)); // the run dies before 1001's outcome
    }
    try (Lock lock = store.lock()) {
      assertEquals(
          Set.of(restart("a.service")),
          store.claim(lock, List.of(1000, 1001), List.of(1001)).marks(1001));
    }
  }

  @Test
  void pendingMarksComeInNameAndUidOrder() throws Exception {
    for (String unit : List.of("d.service", "b.service", "c.service", "a.service")) {
      store.mark(restart(unit), OptionalInt.empty());
    }
    for (int uid : List.of(1002, 1000, 1001)) {
      store.mark(restart("own.service"), OptionalInt.of(uid));
    }
    MarkStore.Pending pending = store.read();
    assertEquals(
        List.of("a.service", "b.service", "c.service", "d.service"),
        pending.global().stream().map(Mark::unit).toList());
    assertEquals(List.of(1000, 1001, 1002), List.copyOf(pending.perUser().keySet()));
  }

  @Test
  void claimReportsWhatIsNotAMarkOnce() throws Exception {
    Files.createDirectories(root.resolve("user/007"));
    try (Lock lock = store.lock()) {
      assertEquals(1, store.claim(lock, List.of(1000), List.of(1000)).invalid().size());
    }
  }

  @Test
  void settleForgetsOnlyTheDoneOnes() throws Exception {
    store.mark(restart("done.service"), OptionalInt.of(1000));
    store.mark(reload("pending.service"), OptionalInt.of(1000));
    store.mark(restart("other.service"), OptionalInt.of(1001));
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000, 1001), List.of(1000));
      assertEquals(Set.of(restart("done.service"), reload("pending.service")), claim.marks(1000));
      // Claimed marks are out of the way of a new mark, and still show as pending.
      assertEquals(
          List.of(
              "user/1000/.claimed/reload/pending.service",
              "user/1000/.claimed/restart/done.service",
              "user/1001/restart/other.service"),
          files());
      assertEquals(
          Map.of(
              1000, Set.of(restart("done.service"), reload("pending.service")),
              1001, Set.of(restart("other.service"))),
          store.read().perUser());
      claim.settle(1000, Set.of(restart("done.service")));
      claim.finish();
    }
    assertEquals(List.of("user/1000/reload/pending.service", "user/1001/restart/other.service"), files());
  }

  @Test
  void settleWithNothingDoneRestoresEverything() throws Exception {
    store.mark(restart("a.service"), OptionalInt.of(1000));
    store.mark(reload("b.service"), OptionalInt.of(1000));
    try (Lock lock = store.lock()) {
      store.claim(lock, List.of(1000), List.of(1000)).settle(1000, Set.of());
    }
    assertEquals(List.of("user/1000/reload/b.service", "user/1000/restart/a.service"), files());
  }

  @Test
  void aMarkWrittenAfterTheClaimSurvivesSettle() throws Exception {
    store.mark(restart("a.service"), OptionalInt.of(1000));
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000), List.of(1000));
      store.mark(restart("a.service"), OptionalInt.of(1000)); // a new package upgrade meanwhile
      store.mark(restart("a.service"), OptionalInt.empty());
      claim.settle(1000, claim.marks(1000));
      claim.finish();
    }
    assertEquals(List.of("restart/a.service", "user/1000/restart/a.service"), files());
  }

  @Test
  void claimOfAUserWithoutMarksIsEmpty() throws Exception {
    try (Lock lock = store.lock()) {
      MarkStore.Claim claim = store.claim(lock, List.of(1000), List.of(1000));
      assertEquals(Set.of(), claim.marks(1000));
      claim.settle(1000, Set.of());
      claim.finish();
    }
    assertEquals(List.of(), files());
  }

  @Test
  void aClaimLeftUnsettledIsRecoveredByTheNextRun() throws Exception {
    store.mark(restart("a.service"), OptionalInt.of(1000));
    try (Lock lock = store.lock()) {
      store.claim(lock, List.of(1000), List.of(1000)); // the run dies here
    }
    assertEquals(List.of("user/1000/.claimed/restart/a.service"), files());
    try (Lock lock = store.lock()) {
      assertEquals(
          Set.of(restart("a.service")),
          store.claim(lock, List.of(1000), List.of(1000)).marks(1000));
    }
  }
}
