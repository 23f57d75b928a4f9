// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

/** What makes a stale unit run the new files. */
public enum Remedy {
  /** A user unit: restart it. */
  RESTART("restart"),
  /** The user manager itself (user@UID.service): re-execute it. */
  REEXEC("reexec");

  private final String word;

  Remedy(String word) {
    this.word = word;
  }

  /** The word reports use. */
  public String word() {
    return word;
  }
}
