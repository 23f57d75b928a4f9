// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.Map;
import java.util.Set;

/**
 * What Main reads of a command line before picocli parses it: enough to start slow work early or to
 * skip it. A wrong guess there costs only time (a user named "mark" looks like the mark command).
 * Only {@code plainAllUsers} decides what is done, and only for the one command line it reads with
 * certainty: {@code --all-users}, with {@code --quiet} or not.
 */
record Preview(
    String subcommand,
    boolean help,
    boolean version,
    int verbosity,
    boolean empty,
    boolean plainAllUsers,
    boolean quiet) {
  private static final Set<String> SUBCOMMANDS = Set.of("mark", "list", "stale", "sandbox");
  /* The short options followed by a value (--user, --jobs). */
  private static final String TAKE_VALUES = "uj";

  static Preview of(String[] args) {
    String subcommand = null;
    boolean help = false;
    boolean version = false;
    boolean quiet = false;
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
      } else if (arg.equals("--quiet")) {
        quiet = true;
      } else if (arg.startsWith("-") && !arg.startsWith("--")) {
        // Short options, alone or together (-qh, -vv, -qvv), up to one that takes a value: the
        // rest of "-uvera" is a user name, not -v.
        for (int i = 1; i < arg.length() && TAKE_VALUES.indexOf(arg.charAt(i)) < 0; i++) {
          help |= arg.charAt(i) == 'h';
          version |= arg.charAt(i) == 'V';
          quiet |= arg.charAt(i) == 'q';
          verbosity += arg.charAt(i) == 'v' ? 1 : 0;
        }
      }
    }
    return new Preview(
        subcommand, help, version, verbosity, args.length == 0, plainAllUsers(args), quiet);
  }

  /*
   * --all-users once, and at most --quiet once besides (short or long): what the rpm file triggers
   * run, and certain in what it asks, so that the restart can begin before picocli has parsed it
   * (EarlyRestart). Nothing else is certain before picocli parses: any other word could be a unit,
   * an option taking a value, a typo, or a repeat picocli refuses.
   */
  private static boolean plainAllUsers(String[] args) {
    int all = 0;
    int quiet = 0;
    for (String arg : args) {
      if (arg.equals("--all-users") || arg.equals("-a")) {
        all++;
      } else if (arg.equals("--quiet") || arg.equals("-q")) {
        quiet++;
      } else {
        return false;
      }
    }
    return all == 1 && quiet <= 1;
  }

  /** Whether the command asks PID 1 for the user managers first thing: restart, list, stale do. */
  boolean asksPid1() {
    return !empty
        && !help
        && !version
        && (subcommand == null || subcommand.equals("list") || subcommand.equals("stale"));
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
