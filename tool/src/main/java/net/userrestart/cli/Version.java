// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest, which Maven fills in. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Version.class.getPackage().getImplementationVersion();
    return new String[] {"systemd-user-restart " + (v == null ? "(development build)" : v)};
  }
}
