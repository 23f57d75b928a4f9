// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

/** The steps of the work on one user manager; {@link #word()} is how reports name them. */
public enum Step {
  /** Connecting to the manager's private socket, up to its answer to a first call. */
  CONNECT("connect"),
  /** Deciding what the manager needs (--reexec=needed): its maps, load time and files. */
  DECIDE("decide"),
  /** Asking the manager to re-execute itself, up to it dropping the connection. */
  REEXECUTE("reexecute"),
  /** Connecting again, to the re-executed manager. */
  RECONNECT("reconnect"),
  /** daemon-reload, up to its reply. */
  RELOAD("reload"),
  /** Reading the active state of the marked units. */
  LIST_UNITS("list-units"),
  /** Enqueueing the jobs; also where a job that ended badly is reported. */
  RESTART("restart"),
  /** Waiting for the jobs to end. */
  WAIT_JOBS("wait-jobs"),
  /** The worker as a whole, seen from outside: given up on, or ended by a bug. */
  RUN("run");

  private final String word;

  Step(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }
}
