// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertEquals(job, Calls.path("try-restart", new DBusPath(job)));
    SystemdException e =
        assertThrows(
            SystemdException.class, () -> Calls.path("try-restart", new Object[] {"x", 1}));
    assertEquals(SystemdException.Kind.FAILED, e.kind());
    assertTrue(e.getMessage().contains("[x, 1]"), e.getMessage());
  }

  @Test
  void noReplyIsATimeoutNamingTheMethod() {
    SystemdException e =
        assertThrows(SystemdException.class, () -> Calls.value("reload", "Reload", null));
    assertEquals(SystemdException.Kind.TIMEOUT, e.kind());
    assertEquals("Reload got no reply within the deadline", e.getMessage());
  }
}
