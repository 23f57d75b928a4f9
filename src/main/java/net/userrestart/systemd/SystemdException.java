// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

/** A step of talking to a systemd manager that did not succeed; {@link #kind()} says how. */
public final class SystemdException extends Exception {
  private static final long serialVersionUID = 1L;

  /** How a step failed: callers report each kind differently. */
  public enum Kind {
    /** The socket or its peer is not what it must be; nothing was sent. */
    REFUSED,
    /** The deadline passed before the step finished. */
    TIMEOUT,
    /** The manager answered with an error, or the connection broke. */
    FAILED
  }

  private final Kind kind;
  private final String step;

  public SystemdException(Kind kind, String step, String message) {
    super(message);
    this.kind = kind;
    this.step = step;
  }

  public SystemdException(Kind kind, String step, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.step = step;
  }

  public Kind kind() {
    return kind;
  }

  /** What was being done: connect, reexecute, try-restart… */
  public String step() {
    return step;
  }

  static SystemdException refused(String step, String message) {
    return new SystemdException(Kind.REFUSED, step, message);
  }

  static SystemdException timeout(String step, String message) {
    return new SystemdException(Kind.TIMEOUT, step, message);
  }

  static SystemdException failed(String step, String message) {
    return new SystemdException(Kind.FAILED, step, message);
  }
}
