// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import net.userrestart.marks.Mark;
import net.userrestart.restart.UserTarget;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.UnitName;

/** Turns command-line words into checked values, or a usage error naming the word. */
final class Users {
  private Users() {}

  static List<UserTarget> resolve(Host host, List<String> words) {
    List<UserTarget> users = new ArrayList<>();
    for (String word : words) {
      OptionalInt uid = host.userId(word);
      if (uid.isEmpty()) {
        throw new ExitException(ExitCodes.USAGE, "no such user: " + word);
      }
      users.add(new UserTarget(uid.getAsInt(), host.userName(uid.getAsInt()), Set.<Mark>of()));
    }
    return users;
  }

  /**
   * A number of seconds as a Duration, or a usage error naming {@code source}: the option, or the
   * environment variable, that gave {@code seconds}.
   */
  static Duration deadline(String source, String seconds) {
    double s;
    try {
      s = Double.parseDouble(seconds.strip());
    } catch (NumberFormatException e) {
      s = Double.NaN;
    }
    if (!(s > 0) || s > 86_400) {
      throw new ExitException(
          ExitCodes.USAGE,
          source
              + " must be a number of seconds, more than 0 and at most 86400, not '"
              + printable(seconds)
              + "'");
    }
    return Duration.ofMillis((long) (s * 1000));
  }

  static void checkUnits(List<String> units) {
    for (String unit : units) {
      String problem = UnitName.problem(unit);
      if (problem != null) {
        throw new ExitException(ExitCodes.USAGE, "'" + printable(unit) + "': " + problem);
      }
    }
  }

  /** The name with control characters shown as escapes, so an error line stays one line. */
  static String printable(String s) {
    return UnitName.printable(s, Integer.MAX_VALUE);
  }
}
