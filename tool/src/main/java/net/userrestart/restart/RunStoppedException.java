// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/** A run stopped before any user manager was reached; {@link #reason()} says why. */
public final class RunStoppedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a run stopped; each is reported in its own way. */
  public enum Reason {
    /** Not booted with systemd, a chroot, $SYSTEMD_OFFLINE…: nothing to do, which is no error. */
    OFFLINE,
    /** Only root may reach every user's manager. */
    NOT_ROOT,
    /** PID 1 could not be asked for the user managers. */
    PID1_UNAVAILABLE,
    /** Another run holds the mark store's lock. */
    STORE_BUSY,
    /** The mark store cannot be read or written. */
    STORE_UNUSABLE
  }

  private final Reason reason;

  RunStoppedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
