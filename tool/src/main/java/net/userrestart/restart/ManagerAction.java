// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/** What is done to each user manager before its units are restarted. */
public enum ManagerAction {
  /** daemon-reexec: the manager runs the new systemd binary and rereads unit files. */
  REEXECUTE("daemon-reexec", "re-exec"),
  /** daemon-reload: rereads unit files only. */
  RELOAD("daemon-reload", "reload"),
  /** Nothing: restart units only. */
  NONE("none", "none"),
  /** Decided per manager ({@link ManagerNeed}): one of the others. Never what was done. */
  AS_NEEDED("as-needed", "as needed");

  private final String verb;
  private final String word;

  ManagerAction(String verb, String word) {
    this.verb = verb;
    this.word = word;
  }

  /** The systemctl verb, as the report shows it. */
  public String verb() {
    return verb;
  }

  /** The short word of the report's manager line: re-exec, reload, none. */
  public String word() {
    return word;
  }
}
