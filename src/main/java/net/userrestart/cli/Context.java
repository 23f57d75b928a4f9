// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.Map;
import java.util.Optional;
import net.userrestart.marks.MarkStore;
import net.userrestart.systemd.Host;

/**
 * What the commands work with; tests pass their own. {@code early} is the restart Main began before
 * the command line was parsed, when there is one.
 */
record Context(Host host, MarkStore marks, Map<String, String> env, Optional<EarlyRestart> early) {
  Context {
    env = Map.copyOf(env);
  }

  Context(Host host, MarkStore marks, Map<String, String> env) {
    this(host, marks, env, Optional.empty());
  }

  Context withEarly(EarlyRestart restart) {
    return new Context(host, marks, env, Optional.of(restart));
  }
}
