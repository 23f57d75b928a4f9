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
  /* The D-Bus error name of the reply that caused this, or null. */
  private final String dbusError;

  public SystemdException(Kind kind, String step, String message) {
    this(kind, step, message, (String) null);
  }

  public SystemdException(Kind kind, String step, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.step = step;
    this.dbusError = null;
  }

  public Kind kind() {
    return kind;
  }

  /** What was being done: connect, reexecute, try-restart… */
  public String step() {
    return step;
  }

  /** The D-Bus name of the error the peer replied with (org.freedesktop.DBus.Error.…), or null. */
  public String dbusError() {
    return dbusError;
  }

  /** A failure because the peer replied with the D-Bus error {@code name}. */
  static SystemdException errorReply(String step, String name, String text) {
    return new SystemdException(Kind.FAILED, step, name + ": " + text, name);
  }

  private SystemdException(Kind kind, String step, String message, String dbusError) {
    super(message);
    this.kind = kind;
    this.step = step;
    this.dbusError = dbusError;
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

  /** The innermost cause's message: what dbus-java and the JDK wrap several times over. */
  static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage();
    return message == null ? t.getClass().getSimpleName() : message;
  }
}
