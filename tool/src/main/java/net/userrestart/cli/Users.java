// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import net.userrestart.log.Shown;
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
   * A time span as systemd writes one (seconds, or numbers with units: "30", "500ms", "2min 30s")
   * as a Duration, or a usage error naming {@code source}: the option, or the environment variable,
   * that gave {@code text}.
   */
  static Duration deadline(String source, String text) {
    double s = seconds(text);
    if (!(s > 0) || s > 86_400) {
      throw new ExitException(
          ExitCodes.USAGE,
          source
              + " must be a time span of more than 0 and at most 24h, such as 30, 90s or 2min,"
              + " not '"
              + Shown.of(text)
              + "'");
    }
    return Duration.ofMillis((long) (s * 1000));
  }

  /* The seconds a time span stands for, or NaN. Not Double.parseDouble: it takes "5d" for 5. */
  private static double seconds(String text) {
    double total = 0;
    boolean any = false;
    int i = 0;
    int n = text.length();
    while (true) {
      i = skipSpaces(text, i);
      if (i == n) {
        return any ? total : Double.NaN;
      }
      int start = i;
      while (i < n && (isAsciiDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      String number = text.substring(start, i);
      i = skipSpaces(text, i);
      int unitStart = i;
      while (i < n && Character.isLetter(text.charAt(i))) {
        i++;
      }
      double unit = unit(text.substring(unitStart, i));
      try {
        total += Double.parseDouble(number) * unit;
      } catch (NumberFormatException e) {
        return Double.NaN; // no digits, or two dots
      }
      any = true;
    }
  }

  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  /* Seconds per unit, with the names systemd's parse_sec() takes; none is seconds. */
  private static double unit(String name) {
    return switch (name) {
      case "", "s", "sec", "second", "seconds" -> 1;
      case "ms", "msec" -> 1e-3;
      case "us", "usec", "µs" -> 1e-6;
      case "m", "min", "minute", "minutes" -> 60;
      case "h", "hr", "hour", "hours" -> 3600;
      case "d", "day", "days" -> 86_400;
      default -> Double.NaN;
    };
  }

  static void checkUnits(List<String> units) {
    for (String unit : units) {
      String problem = UnitName.problem(unit);
      if (problem != null) {
        throw new ExitException(ExitCodes.USAGE, "'" + Shown.of(unit) + "': " + problem);
      }
    }
  }
}
