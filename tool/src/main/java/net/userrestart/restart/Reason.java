// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/** Why a unit is acted on. */
public enum Reason {
  /** A mark, systemd's Markers=, or the command line asked for it. */
  MARKED("marked"),
  /** It runs replaced files ({@code --stale}), and nothing else asked for it. */
  STALE("stale"),
  /** Both. */
  BOTH("both");

  private final String word;

  Reason(String word) {
    this.word = word;
  }

  /** The word reports use. */
  public String word() {
    return word;
  }
}
