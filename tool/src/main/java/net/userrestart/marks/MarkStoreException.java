// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

/** The mark store cannot be used: unreadable, corrupt, or locked by another run. */
public final class MarkStoreException extends Exception {
  private static final long serialVersionUID = 1L;
  private final boolean busy;

  public MarkStoreException(String message, boolean busy) {
    super(message);
    this.busy = busy;
  }

  /** True when another run holds the lock. */
  public boolean busy() {
    return busy;
  }
}
