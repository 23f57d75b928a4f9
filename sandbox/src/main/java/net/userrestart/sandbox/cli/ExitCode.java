// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

/** The exit codes of {@code systemd-user-restart sandbox}; its --help lists the same. */
enum ExitCode {
  /** Every expectation was met (demo: the marked unit restarted, the other kept). */
  OK(0),
  /** An expectation failed. */
  EXPECTATION_FAILED(1),
  /** Invalid command line. */
  USAGE(2),
  /** Not running as root. */
  NOT_ROOT(3),
  /** --root names no OS tree that can boot. */
  BAD_ROOT(4),
  /** The sandbox could not boot, or a step inside it failed. */
  SANDBOX(7),
  /** A bug: an unexpected exception. */
  INTERNAL(70);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  int code() {
    return code;
  }
}
