// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.Map;
import java.util.Set;

/**
 * What Main reads of a command line before picocli parses it: enough to start slow work early or to
 * skip it, never to decide what the command does. A wrong guess costs only time (a user named
 * "mark" looks like the mark command).
 */
record Preview(String subcommand, boolean help, boolean version, int verbosity, boolean empty) {
  private static final Set<String> SUBCOMMANDS = Set.of("mark", "list", "sandbox");
  /* The short options followed by a value (--user, --jobs). */
  private static final String TAKE_VALUES = "uj";

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
        // Short options, alone or together (-qh, -vv, -qvv), up to one that takes a value: the
        // rest of "-uvera" is a user name, not -v.
        for (int i = 1; i < arg.length() && TAKE_VALUES.indexOf(arg.charAt(i)) < 0; i++) {
          help |= arg.charAt(i) == 'h';
          version |= arg.charAt(i) == 'V';
          verbosity += arg.charAt(i) == 'v' ? 1 : 0;
        }
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
