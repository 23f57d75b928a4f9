// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Names of users missing from /etc/passwd, for labels: NSS within a short wait, else none. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserNamesTest {
  static final Duration WAIT = Duration.ofMillis(300);

  @Test
  void aNameNssGivesInTimeIsUsed() {
    UserNames names = new UserNames(uid -> uid == 5000 ? "alice@example.org" : null, WAIT);
    assertEquals(Optional.of("alice@example.org"), names.of(5000));
    assertEquals(Optional.empty(), names.of(5001));
  }

  @Test
  void aDirectoryThatNeverAnswersCostsOneWaitAndTheNamesOnly() {
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger asked = new AtomicInteger();
    UserNames names =
        new UserNames(
            uid -> {
              asked.incrementAndGet();
              try {
                never.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return "late";
            },
            WAIT);
    long start = System.nanoTime();
    assertEquals(Optional.empty(), names.of(5000));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMillis < 10_300, "waited " + tookMillis + " ms for a 300 ms wait");
    // The rest of the run does not ask again: a hundred users cost one wait, not a hundred.
    for (int uid = 5001; uid < 5100; uid++) {
      assertEquals(Optional.empty(), names.of(uid));
    }
    assertEquals(1, asked.get());
    never.countDown();
  }

  @Test
  void namesUnfitToPrintAreNotUsed() {
    for (String bad : new String[] {"", "evil\u001b[2Jname", "a b", "x".repeat(65), "5000", "caf\u00e9"}) {
      UserNames names = new UserNames(uid -> bad, WAIT);
      assertEquals(Optional.empty(), names.of(5000), bad);
    }
  }

  @Test
  void aLookupThatFailsGivesNoName() {
    UserNames names =
        new UserNames(
            uid -> {
              throw new IllegalStateException("nss down");
            },
            WAIT);
    assertEquals(Optional.empty(), names.of(5000));
  }
}
