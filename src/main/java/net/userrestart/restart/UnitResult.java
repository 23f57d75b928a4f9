// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Set;
import net.userrestart.marks.Mark;
import net.userrestart.systemd.UnitName;
import net.userrestart.systemd.UserManager.JobRequest;

/**
 * What happened to one unit in one user manager.
 *
 * @param unit the unit name (an instance, for a marked template)
 * @param action try-restart, reload-or-try-restart, or marked (systemd's own Markers=)
 * @param result the job result as systemd names it (done, failed, canceled, timeout, dependency,
 *     skipped…), or inactive, not-found, unfinished, would-restart, would-reload, error
 * @param detail an error message, or empty
 */
public record UnitResult(String unit, String action, String result, String detail) {
  private static final Set<String> OK =
      Set.of("done", "skipped", "inactive", "not-found", "would-restart", "would-reload");

  /** Whether the unit ended up as asked, or had nothing to do. */
  public boolean ok() {
    return OK.contains(result);
  }

  /** Whether this unit's mark can be forgotten: the job finished or there was nothing to do. */
  public boolean settled() {
    return !result.equals("unfinished") && !result.equals("error");
  }

  /** The action a mark asks for, as results name it. */
  public static String actionFor(Mark mark) {
    return JobRequest.action(mark.kind() == Mark.Kind.RELOAD);
  }

  /** Whether this is a result for {@code mark}: its unit (or an instance of it), its action. */
  public boolean isFor(Mark mark) {
    return action.equals(actionFor(mark))
        && (unit.equals(mark.unit()) || UnitName.isInstanceOf(unit, mark.unit()));
  }
}
