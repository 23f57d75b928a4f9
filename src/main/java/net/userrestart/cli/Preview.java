// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.Map;
import java.util.Set;

/**
 * What Main reads of a command line before picocli parses it: enough to start slow work early or
 * to skip it, never to decide what the command does. A wrong guess costs only time (a user named
 * "mark" looks like the mark command).
 */
record Preview(String subcommand, boolean help, boolean version, int verbosity, boolean empty) {
  private static final Set<String> SUBCOMMANDS = Set.of("mark", "list", "sandbox");

  static Preview of(String[] args) {
    String subcommand = null;
    boolean help = false;
    boolean version = false;
    int verbosity = 0;
    for (String arg : args) {
      if (subcommand == null && SUBCOMMANDS.contains(arg)) {
        subcommand = arg;
      } else if (arg.equals("--help")) {
        help = true;
      } else if (arg.equals("--version")) {
        version = true;
      } else if (arg.equals("--verbose")) {
        verbosity++;
      } else if (arg.startsWith("-") && !arg.startsWith("--")) {
        // Short options, alone or together (-qh, -vv, -qvv).
        help |= arg.indexOf('h') > 0;
        version |= arg.indexOf('V') > 0;
        verbosity += (int) arg.chars().filter(c -> c == 'v').count();
      }
    }
    return new Preview(subcommand, help, version, verbosity, args.length == 0);
  }

  /** Whether the command asks PID 1 for the user managers first thing: restart and list do. */
  boolean asksPid1() {
    return !empty && !help && !version && (subcommand == null || subcommand.equals("list"));
  }

  /** Whether picocli needs the subcommands' models: one is named, or help lists them. */
  boolean needsSubcommands() {
    return subcommand != null || help;
  }

  /** -vv (or -v -v), or SYSTEMD_LOG_LEVEL=debug as for systemd's own tools. */
  boolean debug(Map<String, String> env) {
    return verbosity >= 2 || "debug".equals(env.get("SYSTEMD_LOG_LEVEL"));
  }
}
