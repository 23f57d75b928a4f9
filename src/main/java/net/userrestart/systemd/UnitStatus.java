// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.types.UInt32;

/** One row of {@code ListUnits*}: the D-Bus struct {@code (ssssssouso)}. */
public final class UnitStatus extends Struct {
  @Position(0) private final String name;
  @Position(1) private final String description;
  @Position(2) private final String loadState;
  @Position(3) private final String activeState;
  @Position(4) private final String subState;
  @Position(5) private final String following;
  @Position(6) private final DBusPath unitPath;
  @Position(7) private final UInt32 jobId;
  @Position(8) private final String jobType;
  @Position(9) private final DBusPath jobPath;

  public UnitStatus(
      String name,
      String description,
      String loadState,
      String activeState,
      String subState,
      String following,
      DBusPath unitPath,
      UInt32 jobId,
      String jobType,
      DBusPath jobPath) {
    this.name = name;
    this.description = description;
    this.loadState = loadState;
    this.activeState = activeState;
    this.subState = subState;
    this.following = following;
    this.unitPath = unitPath;
    this.jobId = jobId;
    this.jobType = jobType;
    this.jobPath = jobPath;
  }

  public String name() {
    return name;
  }

  public String loadState() {
    return loadState;
  }

  public String activeState() {
    return activeState;
  }

  public String subState() {
    return subState;
  }
}
