// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import net.userrestart.marks.Mark;
import net.userrestart.systemd.JobAction;
import net.userrestart.systemd.UnitName;

/**
 * What happened to one unit in one user manager.
 *
 * @param unit the unit name (an instance, for a marked template)
 * @param action what was, or would be, done to it
 * @param result how it ended
 * @param detail an error message, or empty
 * @param reason why the unit was acted on
 */
public record UnitResult(String unit, JobAction action, Result result, String detail, Reason reason) {

  /** The result for a unit acted on because it was marked. */
  public UnitResult(String unit, JobAction action, Result result, String detail) {
    this(unit, action, result, detail, Reason.MARKED);
  }

  /** Whether the unit ended up as asked, or had nothing to do. */
  public boolean ok() {
    return result.ok();
  }

  /** Whether this unit's mark can be forgotten: the job finished or there was nothing to do. */
  public boolean settled() {
    return result.settled();
  }

  /** The job a mark asks for. */
  static JobAction actionFor(Mark.Kind kind) {
    return switch (kind) {
      case RESTART -> JobAction.TRY_RESTART;
      case RELOAD -> JobAction.RELOAD_OR_TRY_RESTART;
    };
  }

  /** Whether this is a result for {@code mark}: its unit (or an instance of it), its action. */
  public boolean isFor(Mark mark) {
    return action == actionFor(mark.kind())
        && (unit.equals(mark.unit()) || UnitName.isInstanceOf(unit, mark.unit()));
  }
}
