// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/** What is done to each user manager before its units are restarted. */
public enum ManagerAction {
  /** daemon-reexec: the manager runs the new systemd binary and rereads unit files. */
  REEXECUTE("daemon-reexec"),
  /** daemon-reload: rereads unit files only. */
  RELOAD("daemon-reload"),
  /** Nothing: restart units only. */
  NONE("none");

  private final String verb;

  ManagerAction(String verb) {
    this.verb = verb;
  }

  /** The systemctl verb, as the report shows it. */
  public String verb() {
    return verb;
  }
}
