// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.List;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;

/** The part of {@code org.freedesktop.systemd1.Manager} this tool calls, in PID 1 and user managers. */
@DBusInterfaceName("org.freedesktop.systemd1.Manager")
public interface Manager1 extends DBusInterface {
  String BUS_NAME = "org.freedesktop.systemd1";
  String OBJECT_PATH = "/org/freedesktop/systemd1";
  String INTERFACE = "org.freedesktop.systemd1.Manager";

  List<UnitStatus> ListUnitsByPatterns(List<String> states, List<String> patterns);

  List<UnitStatus> ListUnitsByNames(List<String> names);

  DBusPath GetUnit(String name);

  DBusPath TryRestartUnit(String name, String mode);

  DBusPath ReloadOrTryRestartUnit(String name, String mode);

  List<DBusPath> EnqueueMarkedJobs();

  void Reexecute();

  void Reload();

  /** Sent by the manager when a job finished; the only way to learn a job's result. */
  final class JobRemoved extends DBusSignal {
    private final long id;
    private final String job;
    private final String unit;
    private final String result;

    public JobRemoved(String path, UInt32 id, DBusPath job, String unit, String result)
        throws DBusException {
      super(path, id, job, unit, result);
      this.id = id.longValue();
      this.job = job.getPath();
      this.unit = unit;
      this.result = result;
    }

    public long id() {
      return id;
    }

    public String job() {
      return job;
    }

    public String unit() {
      return unit;
    }

    public String result() {
      return result;
    }
  }
}
