// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Ends what a sandbox started, as far as it got: kills every process of its cgroups and its
 * commands', waits for them to be gone and removes the cgroups. {@code unshare}, {@code init} and
 * the namespace ids are null when boot did not get that far.
 */
record Teardown(
    HostCgroup cgroup,
    HostCgroup execCgroups,
    Process unshare,
    ProcessHandle init,
    String mountNamespace,
    String pidNamespace) {
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  /** Tears down; returns what was left behind, for the caller to report. */
  List<String> run() {
    List<String> left = new ArrayList<>();
    // Commands still running get killed with their whole cgroup, as on timeout.
    execCgroups.kill();
    if (unshare == null) {
      removeCgroups(left);
      return left;
    }
    // Kill init and everything in the namespaces; unshare then reaps init and exits on its own,
    // which leaves no zombie behind.
    cgroup.kill();
    if (init != null) {
      init.destroyForcibly();
    }
    if (!HostProcesses.waitFor(unshare, STEP_TIMEOUT)) {
      unshare.destroyForcibly();
      if (!HostProcesses.waitFor(unshare, STEP_TIMEOUT)) {
        left.add("unshare (pid " + unshare.pid() + ") does not exit");
      }
    }
    if (init != null && !HostProcesses.awaitGone(init, STEP_TIMEOUT)) {
      left.add("init (pid " + init.pid() + ") is still alive");
    }
    for (HostCgroup c : List.of(cgroup, execCgroups)) {
      if (!c.awaitEmpty(STEP_TIMEOUT)) {
        left.add("processes remain in " + c.path());
      }
    }
    removeCgroups(left);
    // Commands run by exec() hold the namespaces only until their child inside was killed.
    for (String[] ns : new String[][] {{"mnt", mountNamespace}, {"pid", pidNamespace}}) {
      if (ns[1] != null) {
        List<Long> pids = HostProcesses.awaitNamespaceEmpty(ns[0], ns[1], STEP_TIMEOUT);
        if (!pids.isEmpty()) {
          left.add("processes still in the sandbox's " + ns[0] + " namespace: " + pids);
        }
      }
    }
    return left;
  }

  private void removeCgroups(List<String> left) {
    for (HostCgroup c : List.of(cgroup, execCgroups)) {
      try {
        c.remove(STEP_TIMEOUT);
      } catch (IOException e) {
        left.add("cannot remove " + c.path() + ": " + e);
      }
    }
  }
}
