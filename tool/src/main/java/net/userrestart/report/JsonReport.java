// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.log.Shown;
import net.userrestart.restart.ManagerNeed;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.UnitResult;

/** One JSON object for the whole run, on one line. */
final class JsonReport implements Report {
  /* Room kept in a user's share for "units" and "unitsNotShown". */
  private static final int RESERVE = 64;

  @Override
  public void write(List<Outcome> outcomes, boolean dryRun, PrintWriter out) {
    List<Object> users = new ArrayList<>();
    for (Outcome o : outcomes) {
      users.add(user(o));
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("dryRun", dryRun);
    run.put("ok", Report.failed(outcomes) == 0);
    run.put("users", users);
    out.println(Json.write(run));
    out.flush();
  }

  /*
   * One user's object. Text that came from the user manager is escaped and cut; units are listed
   * while the user's share of the report lasts, and those left out are counted in unitsNotShown.
   */
  private static Map<String, Object> user(Outcome o) {
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("uid", o.user().uid());
    user.put("user", Shown.of(o.user().name()));
    user.put("outcome", Report.status(o));
    user.put("ok", o.ok());
    user.put("action", Report.action(o));
    user.put("step", shown(Report.step(o)));
    user.put("error", shown(Report.error(o)));
    user.put("manager", manager(Report.manager(o)));
    user.put("durationMs", o.took().toMillis());
    long left = Report.MAX_USER_BYTES - Report.utf8Length(Json.write(user)) - RESERVE;
    List<Object> units = new ArrayList<>();
    for (UnitResult r : o.units()) {
      Map<String, Object> unit = new LinkedHashMap<>();
      unit.put("unit", Shown.of(r.unit()));
      unit.put("action", r.action().word());
      unit.put("result", Shown.of(r.result().word()));
      unit.put("reason", r.reason().word());
      if (!r.detail().isEmpty()) {
        unit.put("error", Shown.of(r.detail()));
      }
      long bytes = Report.utf8Length(Json.write(unit)) + 1;
      if (bytes > left) {
        break;
      }
      left -= bytes;
      units.add(unit);
    }
    user.put("units", units);
    if (units.size() < o.units().size()) {
      user.put("unitsNotShown", o.units().size() - units.size());
    }
    return user;
  }

  /* What was decided for the manager and why: {"decision": "reload", "reason": "…"}, or null. */
  private static Map<String, Object> manager(ManagerNeed need) {
    if (need == null) {
      return null;
    }
    Map<String, Object> manager = new LinkedHashMap<>();
    manager.put("decision", need.action().word());
    manager.put("reason", Shown.of(need.reason()));
    return manager;
  }

  private static String shown(String text) {
    return text == null ? null : Shown.of(text);
  }
}
