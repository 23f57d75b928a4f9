// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

/** What this tool reads of one row of {@code ListUnits*}, the D-Bus struct {@code (ssssssouso)}. */
record UnitStatus(String name, String loadState, String activeState) {
  /** Loaded without a unit file: referenced, but nothing on disk defines it. */
  boolean notFound() {
    return "not-found".equals(loadState);
  }
}
