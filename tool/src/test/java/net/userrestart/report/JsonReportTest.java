// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import static net.userrestart.report.ReportFixtures.ALL;
import static net.userrestart.report.ReportFixtures.FAILED;
import static net.userrestart.report.ReportFixtures.RESTARTED;
import static net.userrestart.report.ReportFixtures.write;
import static net.userrestart.testutil.MiniJson.array;
import static net.userrestart.testutil.MiniJson.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.restart.ManagerAction;
import net.userrestart.restart.ManagerNeed;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.Result.NoJob;
import net.userrestart.restart.Step;
import net.userrestart.restart.UnitResult;
import net.userrestart.systemd.JobAction;
import net.userrestart.testutil.MiniJson;
import org.junit.jupiter.api.Test;

class JsonReportTest {
  static final Report JSON = Report.of(true, false);

  static List<Map<String, Object>> users(String text) {
    return array(object(MiniJson.parse(text)).get("users")).stream().map(MiniJson::object).toList();
  }

  @Test
  void oneObjectOnOneLine() {
    String text = write(JSON, ALL, false);
    assertEquals(1, text.lines().count());
    Map<String, Object> run = object(MiniJson.parse(text));
    assertEquals(List.of("dryRun", "ok", "users"), List.copyOf(run.keySet()));
    assertEquals(false, run.get("dryRun"));
    assertEquals(false, run.get("ok"));
    assertEquals(7, array(run.get("users")).size());
  }

  @Test
  void everyOutcomeKind() {
    List<Map<String, Object>> users = users(write(JSON, ALL, false));
    List<Object[]> expected =
        Arrays.asList(
            // uid, user, outcome, ok, action, step, error, durationMs
            new Object[] {1000L, "dev", "restarted", true, "daemon-reexec", null, null, 1500L},
            new Object[] {1001L, "ops", "restarted", true, "none", null, null, 20L},
            new Object[] {1002L, "guest", "planned", true, "daemon-reload", null, null, 5L},
            new Object[] {1003L, "build", "skipped", true, null, null, "no active user manager", 0L},
            new Object[] {1004L, "qa", "failed", false, null, "restart", "app.service: failed", 250L},
            new Object[] {
              1005L, "web", "refused", false, null, "connect",
              "/run/user/1005/systemd/private is a symlink", 0L
            },
            new Object[] {
              1006L, "db", "timed-out", false, null, "wait-jobs",
              "jobs did not finish within the deadline", 15000L
            });
    String[] keys = {"uid", "user", "outcome", "ok", "action", "step", "error", "durationMs"};
    for (int i = 0; i < expected.size(); i++) {
      Map<String, Object> u = users.get(i);
      assertEquals(List.of(
              "uid", "user", "outcome", "ok", "action", "step", "error", "manager", "durationMs",
              "units"),
          List.copyOf(u.keySet()));
      for (int k = 0; k < keys.length; k++) {
        assertEquals(expected.get(i)[k], u.get(keys[k]), keys[k] + " of " + u);
      }
    }
  }

  @Test
  void unitsCarryAnErrorOnlyWhenThereIsOne() {
    Map<String, Object> qa = users(write(JSON, ALL, false)).get(4);
    List<Map<String, Object>> units = array(qa.get("units")).stream().map(MiniJson::object).toList();
    assertEquals(Map.of("unit", "app.service", "action", "try-restart", "result", "failed", "reason", "marked"),
        units.get(0));
    assertEquals(
        Map.of(
            "unit", "b.service", "action", "try-restart", "result", "error", "error", "NoSuchUnit: gone",
            "reason", "marked"),
        units.get(1));
  }

  @Test
  void runIsOkWhenEveryUserIs() {
    Map<String, Object> run =
        object(MiniJson.parse(write(JSON, List.of(ReportFixtures.PLANNED, ReportFixtures.SKIPPED), true)));
    assertEquals(true, run.get("ok"));
    assertEquals(true, run.get("dryRun"));
    Map<String, Object> empty = object(MiniJson.parse(write(JSON, List.of(), false)));
    assertEquals(true, empty.get("ok"));
    assertEquals(List.of(), empty.get("users"));
  }

  @Test
  void quietDoesNotChangeJson() {
    assertEquals(write(JSON, ALL, false), write(Report.of(true, true), ALL, false));
  }

  @Test
  void hostileStringsAreEscaped() {
    String name = "a\"b\\c\nd\re\tf\u0000g\u0001h\u001fi\u007fj/k\u00e9\u2028";
    String message = "quote \" and \\x2d and \b\f";
    Outcome o =
        new Outcome.Failed(
            ReportFixtures.user(1, name),
            Step.CONNECT,
            message,
            List.of(new UnitResult("x\\x2dy.service", JobAction.TRY_RESTART, NoJob.ERROR, "line1\nline2")),
            Duration.ZERO);
    String text = write(JSON, List.of(o), false);
    assertEquals(1, text.lines().count(), text);
    String line = text.stripTrailing();
    for (char c : line.toCharArray()) {
      assertFalse(c < 0x20, "raw control character " + (int) c + " in " + line);
    }
    assertFalse(text.contains("\u007f"), text);
    assertFalse(text.contains("\u2028"), text);
    // Text from outside is shown escaped, in JSON as in the human report: no reader of the JSON
    // can be handed a control character either.
    Map<String, Object> user = users(text).get(0);
    assertEquals("a\"b\\c\\x0ad\\x0de\\x09f\\x00g\\x01h\\x1fi\\x7fj/k\u00e9\\u2028", user.get("user"));
    assertEquals("quote \" and \\x2d and \\x08\\x0c", user.get("error"));
    Map<String, Object> unit = object(array(user.get("units")).get(0));
    assertEquals("x\\x2dy.service", unit.get("unit"));
    assertEquals("line1\\x0aline2", unit.get("error"));
  }

  @Test
  void jsonWriterHandlesEveryValueKind() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("null", null);
    m.put("t", true);
    m.put("n", 42);
    m.put("l", -7L);
    m.put("list", List.of("a", 1, List.of()));
    m.put("map", Map.of());
    m.put("other", ManagerAction.RELOAD);
    String text = Json.write(m);
    assertEquals(
        "{\"null\":null,\"t\":true,\"n\":42,\"l\":-7,\"list\":[\"a\",1,[]],\"map\":{},\"other\":\"RELOAD\"}",
        text);
    Map<String, Object> back = object(MiniJson.parse(text));
    assertNull(back.get("null"));
    assertTrue(back.containsKey("null"));
  }

  @Test
  void jsonEscapes() {
    assertEquals("\"\\\"\"", Json.write("\""));
    assertEquals("\"\\\\\"", Json.write("\\"));
    assertEquals("\"\\n\\r\\t\"", Json.write("\n\r\t"));
    assertEquals("\"\\u0000\\u0001\\u001f\\u007f\"", Json.write("\u0000\u0001\u001f\u007f"));
    assertEquals("\"\\u0008\\u000c\"", Json.write("\b\f"));
  }

  @Test
  void managerDecisionAndItsReason() {
    Outcome decided =
        new Outcome.Restarted(
            RESTARTED.user(),
            ManagerNeed.reload("1 loaded unit changed on disk: app\u001b[31m.service"),
            RESTARTED.units(),
            Duration.ofMillis(30));
    Map<String, Object> u = users(write(JSON, List.of(decided), false)).get(0);
    assertEquals("daemon-reload", u.get("action"));
    Map<String, Object> manager = object(u.get("manager"));
    assertEquals("reload", manager.get("decision"));
    assertEquals("1 loaded unit changed on disk: app\\x1b[31m.service", manager.get("reason"));
    assertEquals(null, users(write(JSON, List.of(FAILED), false)).get(0).get("manager"));
  }
}
