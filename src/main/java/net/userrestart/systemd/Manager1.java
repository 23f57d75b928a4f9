// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;

/**
 * {@code org.freedesktop.systemd1.Manager}, as dbus-java needs it to deliver the one signal this
 * tool reads. Methods are called with plain messages ({@link Calls}), so none are declared here.
 */
@DBusInterfaceName(Calls.MANAGER)
public interface Manager1 extends DBusInterface {

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
