// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.nio.file.Path;
import java.util.Map;
import net.userrestart.marks.MarkStore;
import net.userrestart.restart.TriggerConfig;
import net.userrestart.systemd.Host;

/**
 * What the commands work with; tests pass their own.
 *
 * @param proc the /proc the stale scan reads
 * @param config the triggers' configuration file
 */
record Context(Host host, MarkStore marks, Map<String, String> env, Path proc, Path config) {
  Context {
    env = Map.copyOf(env);
  }

  /** With the system's /proc and configuration file. */
  Context(Host host, MarkStore marks, Map<String, String> env) {
    this(host, marks, env, Path.of("/proc"), TriggerConfig.PATH);
  }
}
