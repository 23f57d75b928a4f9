// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

/** Exit code and captured output of a command run inside a sandbox. */
public record ExecResult(int exitCode, String stdout, String stderr) {

  public boolean ok() {
    return exitCode == 0;
  }

  /** Returns this result if the command succeeded, else throws naming {@code what} and stderr. */
  public ExecResult orThrow(String what) {
    if (!ok()) {
      throw new SandboxException(
          what + " failed with exit code " + exitCode + ": " + stderr.strip());
    }
    return this;
  }
}
