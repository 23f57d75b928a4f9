// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.Map;
import net.userrestart.marks.MarkStore;
import net.userrestart.systemd.Host;

/** What the commands work with; tests pass their own. */
record Context(Host host, MarkStore marks, Map<String, String> env) {
  Context {
    env = Map.copyOf(env);
  }
}
