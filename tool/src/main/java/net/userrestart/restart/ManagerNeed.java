// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/**
 * What a user manager needs before its units are restarted, and why: a re-exec where it runs
 * replaced code, a reload where a file it has read changed, else nothing.
 *
 * @param action what is done: never {@link ManagerAction#AS_NEEDED}
 * @param reason why, for the report ("manager maps replaced /usr/lib/…", "--reexec=always");
 *     may hold paths read from /proc or a user's directories: shown only sanitised
 */
public record ManagerNeed(ManagerAction action, String reason) {
  public ManagerNeed {
    if (action == ManagerAction.AS_NEEDED) {
      throw new IllegalArgumentException("a need is decided: " + action);
    }
  }

  /** Nothing changed that this manager has read. */
  public static final ManagerNeed NONE_NEEDED = new ManagerNeed(ManagerAction.NONE, "none needed");

  /** What the command line asked for, without looking. */
  public static ManagerNeed asked(ManagerAction action) {
    return new ManagerNeed(action, switch (action) {
      case REEXECUTE -> "asked (--reexec=always)";
      case RELOAD -> "asked (--daemon-reload)";
      case NONE -> "asked (--reexec=never)";
      case AS_NEEDED -> throw new IllegalArgumentException("decided per manager");
    });
  }

  public static ManagerNeed reexec(String reason) {
    return new ManagerNeed(ManagerAction.REEXECUTE, reason);
  }

  public static ManagerNeed reload(String reason) {
    return new ManagerNeed(ManagerAction.RELOAD, reason);
  }

  /** The report's words: "re-exec: manager maps replaced …", "none needed". */
  public String line() {
    return this.equals(NONE_NEEDED) ? reason : action.word() + ": " + reason;
  }
}
