// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.restart.Outcome;
import net.userrestart.restart.UnitResult;

/** One JSON object for the whole run, on one line. */
final class JsonReport implements Report {
  @Override
  public void write(List<Outcome> outcomes, boolean dryRun, PrintWriter out) {
    List<Object> users = new ArrayList<>();
    for (Outcome o : outcomes) {
      Map<String, Object> user = new LinkedHashMap<>();
      user.put("uid", o.user().uid());
      user.put("user", o.user().name());
      user.put("outcome", Report.status(o));
      user.put("ok", o.ok());
      user.put("action", Report.action(o));
      user.put("step", Report.step(o));
      user.put("error", Report.error(o));
      user.put("durationMs", o.took().toMillis());
      List<Object> units = new ArrayList<>();
      for (UnitResult r : o.units()) {
        Map<String, Object> unit = new LinkedHashMap<>();
        unit.put("unit", r.unit());
        unit.put("action", r.action().word());
        unit.put("result", r.result().word());
        if (!r.detail().isEmpty()) {
          unit.put("error", r.detail());
        }
        units.add(unit);
      }
      user.put("units", units);
      users.add(user);
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("dryRun", dryRun);
    run.put("ok", Report.failed(outcomes) == 0);
    run.put("users", users);
    out.println(Json.write(run));
    out.flush();
  }
}
