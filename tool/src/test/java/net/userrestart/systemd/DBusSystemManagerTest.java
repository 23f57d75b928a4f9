// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.userrestart.testutil.Threads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PID 1's side, against a fake peer standing in for its private socket. */
class DBusSystemManagerTest {
  @TempDir Path dir;
  FakePeer peer;
  List<String> threadsBefore;

  @BeforeEach
  void setUp() {
    threadsBefore = Threads.live();
    peer = new FakePeer(dir.resolve("private"));
    peer.units.put("user@1000.service", "active");
    peer.units.put("user@1001.service", "inactive");
    peer.units.put("user@0.service", "active");
    peer.units.put("user-runtime-dir@1000.service", "active");
  }

  @AfterEach
  void tearDown() throws Exception {
    peer.close();
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 5000), "threads left behind");
  }

  @Test
  void listsTheActiveUserManagersAskingAgainWhenTheFirstCallIsIgnored() throws Exception {
    peer.ignoreFirstCalls(1).start();
    try (DBusSystemManager pid1 = DBusSystemManager.start(peer.socket()).await(Duration.ofSeconds(5))) {
      assertEquals(List.of(0, 1000), pid1.activeUserManagers());
    }
    assertTrue(peer.callsOf("ListUnitsByPatterns") >= 2, peer.calls().toString());
  }

  @Test
  void managersStillStartingAreListedApartFromThoseWorkedOn() throws Exception {
    peer.units.put("user@1002.service", "reloading");
    peer.units.put("user@1003.service", "activating");
    peer.units.put("user@1004.service", "refreshing");
    peer.units.put("user@1005.service", "deactivating");
    peer.units.put("user@1006.service", "failed");
    peer.start();
    try (DBusSystemManager pid1 = DBusSystemManager.start(peer.socket()).await(Duration.ofSeconds(5))) {
      assertEquals(List.of(0, 1000, 1002), pid1.activeUserManagers());
      assertEquals(List.of(1003, 1004), pid1.startingUserManagers());
      // Both come from the one list made while connecting. A busy machine may answer after the
      // first call's short wait, which sends that call again: those are counted, not a second list.
      long listed = peer.callsOf("ListUnitsByPatterns");
      assertTrue(listed >= 1 && listed <= 1 + pid1.callsSentAgain(), peer.calls().toString());
    }
  }

  @Test
  void theManagersMainPidsAreAskedAtTheirUnitsPathsAllAtOnce() throws Exception {
    Map<String, Long> pids =
        Map.of("/org/freedesktop/systemd1/unit/user_401000_2eservice", 4242L,
            "/org/freedesktop/systemd1/unit/user_400_2eservice", 4343L,
            "/org/freedesktop/systemd1/unit/user_401002_2eservice", 0L);
    // Nothing is answered before the fourth call has come: calls sent one after the other, each
    // waiting for its reply, would get none.
    List<FakePeer.Call> held = new ArrayList<>();
    peer.on("Get", (call, session) -> {
      held.add(call);
      if (held.size() < 4) {
        return;
      }
      for (FakePeer.Call c : held) {
        Long pid = pids.get(c.path());
        if (!c.arg(1).equals("MainPID")) {
          session.error(c, "org.freedesktop.DBus.Error.UnknownProperty", c.arg(1));
        } else if (pid == null) {
          session.error(c, "org.freedesktop.systemd1.NoSuchUnit", "no unit at " + c.path());
        } else {
          session.reply(c, "v", new FakePeer.Variant("u", pid));
        }
      }
    }).start();
    try (DBusSystemManager pid1 = DBusSystemManager.start(peer.socket()).await(Duration.ofSeconds(5))) {
      // 1001 has no unit (stopped since it was listed), 1002 no main PID: neither is given.
      assertEquals(Map.of(1000, 4242L, 0, 4343L), pid1.managerPids(List.of(1000, 0, 1001, 1002)));
    }
    assertEquals(4, peer.callsOf("Get"));
    assertEquals(0, peer.callsOf("GetUnit"));
  }

  @Test
  void givingUpStopsTheConnectingThreadAndItsCalls() throws Exception {
    peer.on("ListUnitsByPatterns", (call, session) -> {}).start();
    SystemdException e =
        assertThrows(
            SystemdException.class,
            () -> DBusSystemManager.start(peer.socket()).await(Duration.ofMillis(300)));
    assertEquals(SystemdException.Kind.TIMEOUT, e.kind());
    assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
    // The thread is interrupted: it must close its connection, not keep asking.
    assertEquals(List.of(), Threads.leakedSince(threadsBefore, 3000), "threads left behind");
    long asked = peer.callsOf("ListUnitsByPatterns");
    Threads.sleep(300);
    assertEquals(asked, peer.callsOf("ListUnitsByPatterns"));
    assertTrue(asked < 10, asked + " calls");
  }

  @Test
  void aClosedConnectionIsAFailureNotAnUncheckedException() throws Exception {
    peer.start();
    try (DBusSystemManager pid1 = DBusSystemManager.start(peer.socket()).await(Duration.ofSeconds(5))) {
      peer.close();
      Threads.sleep(200);
      SystemdException e = assertThrows(SystemdException.class, () -> pid1.managerPids(List.of(1000)));
      assertEquals("list-users", e.step());
    }
  }
}
