// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

/** What a job does to a user unit; {@link #word()} is how steps and reports name it. */
public enum JobAction {
  /** TryRestartUnit: restart the unit if it runs. */
  TRY_RESTART("try-restart"),
  /** ReloadOrTryRestartUnit: reload the unit if it runs, else restart it if it can. */
  RELOAD_OR_TRY_RESTART("reload-or-try-restart"),
  /** A job of EnqueueMarkedJobs, for a unit marked with systemd's own Markers=. */
  MARKED("marked");

  private final String word;

  JobAction(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }
}
