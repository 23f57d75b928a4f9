// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

/** A sandbox could not be booted, used or torn down; the message is a one-line reason first. */
public final class SandboxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SandboxException(String message) {
    super(message);
  }

  public SandboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
