// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the tests may do on this machine. */
public final class Privileges {
  private Privileges() {}

  /** Whether this process runs as root, which changing owners and the socket checks need. */
  public static boolean root() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    } catch (IOException | RuntimeException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }
}
