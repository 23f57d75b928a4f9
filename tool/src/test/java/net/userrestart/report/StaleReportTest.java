// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import static net.userrestart.testutil.MiniJson.array;
import static net.userrestart.testutil.MiniJson.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.userrestart.marks.Mark;
import net.userrestart.stale.Remedy;
import net.userrestart.stale.StaleResult;
import net.userrestart.stale.StaleUnit;
import net.userrestart.stale.StaleUnit.ReplacedFile;
import net.userrestart.testutil.MiniJson;
import org.junit.jupiter.api.Test;

class StaleReportTest {
  static final StaleUnit MANAGER =
      new StaleUnit(1000, "dev", "user@1000.service", Remedy.REEXEC, 1100, 1,
          List.of(new ReplacedFile("/usr/lib/systemd/systemd", List.of("systemd-256-1.x86_64"))), 0, Optional.empty());
  static final StaleUnit FOO =
      new StaleUnit(1000, "dev", "foo.service", Remedy.RESTART, 1200, 2,
          List.of(
              new ReplacedFile("/usr/bin/foo", List.of("foo-2-1.x86_64")),
              new ReplacedFile("/usr/lib64/lib\n\u001b[2Jodd\u202e.so", List.of())),
          3, Optional.of(Mark.Kind.RELOAD));
  static final StaleUnit BAR =
      new StaleUnit(1001, "o\u009bps", "bar.service", Remedy.RESTART, 0, 1,
          List.of(new ReplacedFile("/usr/bin/bar", List.of("bar-1-1.noarch", "bar-compat-1-1.noarch"))), 0,
          Optional.empty());

  static String write(StaleResult r, boolean json) {
    StringWriter out = new StringWriter();
    StaleReport.write(r, json, new PrintWriter(out));
    return out.toString();
  }

  static StaleResult result(List<StaleUnit> units, boolean packages, boolean marks) {
    return new StaleResult(3, units, packages, marks, 0, 30, 0, 0);
  }

  @Test
  void aTableOfUnitsWithTheirFilesThenTheSummary() {
    assertEquals(
        List.of(
            "USER            UNIT                              MAIN PID  MARKED  REPLACED FILES IN USE",
            "dev (1000)      user@1000.service (needs reexec)      1100  -       /usr/lib/systemd/systemd (systemd-256-1.x86_64)",
            "dev (1000)      foo.service                           1200  reload  /usr/bin/foo (foo-2-1.x86_64),"
                + " /usr/lib64/lib\\x0a\\x1b[2Jodd\\u202e.so (no package) and 3 more",
            "o\\x9bps (1001)  bar.service                              -  no      /usr/bin/bar (bar-1-1.noarch, bar-compat-1-1.noarch)",
            "",
            "2 user services of 2 users still run replaced files; 1 user manager needs a re-exec."),
        write(result(List.of(MANAGER, FOO, BAR), true, true), false).lines().toList());
  }

  @Test
  void withoutPackagesOrMarksTheColumnsSaySo() {
    String out = write(result(List.of(FOO), false, false), false);
    assertTrue(out.contains("1200  ?       /usr/bin/foo, /usr/lib64/lib"), out);
    assertTrue(out.endsWith("1 user service of 1 user still run replaced files.\n"), out);
  }

  @Test
  void nothingStale() {
    assertEquals(
        "No user service runs replaced files (3 user managers looked at).\n",
        write(result(List.of(), true, true), false));
  }

  @Test
  void longPathsAreCut() {
    String shown = StaleReport.shown("/" + "x".repeat(500), StaleReport.PATH_SHOWN);
    assertEquals(StaleReport.PATH_SHOWN + 1, shown.length());
    assertTrue(shown.endsWith("…"));
  }

  @Test
  void jsonHasEveryUnitAndTheCounts() {
    Map<String, Object> all = object(MiniJson.parse(write(result(List.of(MANAGER, FOO, BAR), true, true), true)));
    assertEquals(2L, all.get("staleUnits"));
    assertEquals(2L, all.get("staleUsers"));
    assertEquals(1L, all.get("managersToReexec"));
    assertEquals(3L, all.get("managers"));
    List<Object> units = array(all.get("units"));
    assertEquals(3, units.size());
    Map<String, Object> manager = object(units.get(0));
    assertEquals("reexec", manager.get("action"));
    assertNull(manager.get("marked"));
    Map<String, Object> foo = object(units.get(1));
    assertEquals("foo.service", foo.get("unit"));
    assertEquals(1200L, foo.get("mainPid"));
    assertEquals("reload", foo.get("marked"));
    assertEquals(3L, foo.get("moreFiles"));
    Map<String, Object> odd = object(array(foo.get("files")).get(1));
    assertEquals("/usr/lib64/lib\n\u001b[2Jodd\u202e.so", odd.get("path"), "JSON escapes; it keeps the path");
    assertEquals(List.of(), odd.get("packages"));
    assertEquals("no", object(units.get(2)).get("marked"));

    Map<String, Object> unknown = object(MiniJson.parse(write(result(List.of(FOO), false, false), true)));
    Map<String, Object> u = object(array(unknown.get("units")).get(0));
    assertNull(u.get("marked"));
    assertNull(object(array(u.get("files")).get(0)).get("packages"));
    assertFalse((Boolean) unknown.get("packagesKnown"));
  }
}
