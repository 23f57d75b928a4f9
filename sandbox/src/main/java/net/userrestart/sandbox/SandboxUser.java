// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

/** A lingering test user of a sandbox, whose user manager runs from boot on. */
public record SandboxUser(String name, int uid) {

  /** {@code XDG_RUNTIME_DIR} of the user, a path inside the sandbox. */
  public String runtimeDir() {
    return "/run/user/" + uid;
  }

  /** The user manager's private D-Bus socket, a path inside the sandbox. */
  public String privateSocket() {
    return runtimeDir() + "/systemd/private";
  }

  /** The user manager's service in the system manager. */
  public String managerUnit() {
    return "user@" + uid + ".service";
  }
}
