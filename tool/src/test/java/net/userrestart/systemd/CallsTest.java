// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.Test;

class CallsTest {
  private static Object[] row(Object name, Object load, Object active) {
    return new Object[] {
      name, "", load, active, "running", "", new DBusPath("/u"), new UInt32(0), "",
      new DBusPath("/")
    };
  }

  @Test
  void aUnitsObjectPathIsItsNameEscapedAsSystemdEscapesIt() {
    assertEquals("/org/freedesktop/systemd1/unit/user_401000_2eservice", Calls.unitPath("user@1000.service"));
    assertEquals("/org/freedesktop/systemd1/unit/_31x_2dy_5cz", Calls.unitPath("1x-y\\z"));
    assertEquals("/org/freedesktop/systemd1/unit/a_c3_a9", Calls.unitPath("a\u00e9"));
  }

  @Test
  void unitRowsKeepWhatIsWellFormed() {
    List<?> rows =
        List.of(
            row("app.service", "loaded", "active"),
            row(42, "loaded", "active"),
            new Object[] {"short.service"},
            "not a row",
            row("gone.service", "not-found", "inactive"));
    assertEquals(
        List.of(
            new UnitStatus("app.service", "loaded", "active"),
            new UnitStatus("gone.service", "not-found", "inactive")),
        Calls.units(rows));
    assertEquals(List.of(), Calls.units("a string, not an array"));
    assertEquals(List.of(), Calls.units(null));
  }

  @Test
  void arraysComeAsListsOrObjectArrays() {
    assertEquals(List.of("a", "b"), Calls.list(new Object[] {"a", "b"}));
    assertEquals(List.of("a"), Calls.list(List.of("a")));
    assertEquals(List.of(), Calls.list(7));
  }

  @Test
  void aJobPathOrAFailureThatSaysWhatCameInstead() throws SystemdException {
    String job = "/org/freedesktop/systemd1/job/7";
    assertEquals(job, Calls.jobPath("try-restart", new DBusPath(job)));
    SystemdException e =
        assertThrows(
            SystemdException.class, () -> Calls.jobPath("try-restart", new Object[] {"x", 1}));
    assertEquals(SystemdException.Kind.FAILED, e.kind());
    assertTrue(e.getMessage().contains("an array of 2"), e.getMessage());
    e = assertThrows(
        SystemdException.class,
        () -> Calls.jobPath("try-restart", new DBusPath("/org/freedesktop/systemd1/job/1\u001b[2J")));
    assertTrue(e.getMessage().startsWith("protocol error: not a job path"), e.getMessage());
  }

  @Test
  void jobPathsAreSystemdsAndNothingElse() {
    for (String good : List.of("/org/freedesktop/systemd1/job/1", "/org/freedesktop/systemd1/job/4294967295")) {
      assertTrue(Calls.isJobPath(good), good);
    }
    for (String bad :
        List.of(
            "/org/freedesktop/systemd1/job/",
            "/org/freedesktop/systemd1/job/a",
            "/org/freedesktop/systemd1/job/12345678901",
            "/org/freedesktop/systemd1/job/1/2",
            "/org/freedesktop/systemd1/job/-1",
            "/org/freedesktop/systemd1/unit/app_2eservice",
            "/org/freedesktop/systemd1/job/1\n",
            "/x/org/freedesktop/systemd1/job/1",
            "")) {
      assertFalse(Calls.isJobPath(bad), bad);
    }
  }

  @Test
  void aWordIsLowerCaseLettersAndDashes() {
    assertTrue(Calls.isWord("done"));
    assertTrue(Calls.isWord("not-found"));
    assertFalse(Calls.isWord(""));
    assertFalse(Calls.isWord("Done"));
    assertFalse(Calls.isWord("a".repeat(33)));
    assertFalse(Calls.isWord("active\n"));
  }

  @Test
  void statesThatAreNoWordsLeaveTheirRowOut() {
    assertEquals(
        List.of(new UnitStatus("app.service", "loaded", "active")),
        Calls.units(
            List.of(
                row("app.service", "loaded", "active"),
                row("evil.service", "loaded", "active\u001b[31m"),
                row("big.service", "x".repeat(40), "active"))));
  }

  @Test
  void noReplyIsATimeoutNamingTheMethod() {
    SystemdException e =
        assertThrows(SystemdException.class, () -> Calls.value("reload", "Reload", null));
    assertEquals(SystemdException.Kind.TIMEOUT, e.kind());
    assertEquals("Reload got no reply within the deadline", e.getMessage());
  }
}
