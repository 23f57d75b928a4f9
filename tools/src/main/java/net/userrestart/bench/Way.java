// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.util.List;

/**
 * One way of doing a transaction's user-manager work, raced against the others in the same
 * sandbox: our tool with its arguments, or one of upstream's shell ways.
 */
record Way(String label, Kind kind, List<String> toolArgs) {
  /** The labels of the work's two halves alone, for the bound ({@code --bound}). */
  static final String REEXEC_ALONE_LABEL = "reexec-alone";

  static final String RESTART_ALONE_LABEL = "restart-alone";

  Way {
    toolArgs = List.copyOf(toolArgs);
  }

  enum Kind {
    /** {@code systemd-user-restart --all-users --quiet} and the way's arguments, after our mark. */
    TOOL,
    /**
     * Upstream's current way (systemd 257 and later, Arch's hook): {@code systemctl reload
     * 'user@*.service'} re-executes every manager through PID 1, then {@code systemctl --user -M
     * UID@ enqueue-marked} per user, in parallel.
     */
    UPSTREAM_CURRENT,
    /**
     * The older helper: {@code systemctl --user -M UID@ daemon-reexec} for all users in parallel,
     * then {@code reload-or-restart --marked} likewise.
     */
    UPSTREAM_OLDER,
    /**
     * Half of the work alone, for the bound ({@code --bound}): {@code systemctl reload
     * 'user@*.service'}, every manager re-executed through PID 1 at once, no unit restarted, no
     * client of ours.
     */
    REEXEC_ALONE
  }

  static Way tool(String label, List<String> args) {
    return new Way(label, Kind.TOOL, args);
  }

  static Way upstreamCurrent() {
    return new Way("upstream", Kind.UPSTREAM_CURRENT, List.of());
  }

  static Way upstreamOlder() {
    return new Way("older", Kind.UPSTREAM_OLDER, List.of());
  }

  static Way reexecAlone() {
    return new Way(REEXEC_ALONE_LABEL, Kind.REEXEC_ALONE, List.of());
  }

  boolean ours() {
    return kind == Kind.TOOL;
  }
}
