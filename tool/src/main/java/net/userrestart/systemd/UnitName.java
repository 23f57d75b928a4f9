// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.util.Collection;
import java.util.Set;
import net.userrestart.log.Shown;

/** Validates unit names the way systemd does, before any of them can reach D-Bus. */
public final class UnitName {
  /** systemd's UNIT_NAME_MAX, less the terminating NUL. */
  public static final int MAX_LENGTH = 255;

  private static final Set<String> TYPES =
      Set.of(
          "service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path",
          "slice", "scope");

  private UnitName() {}

  /** Returns null when {@code name} is a valid unit name, else why it is not. */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "empty unit name";
    }
    if (name.length() > MAX_LENGTH) {
      return "unit name longer than " + MAX_LENGTH + " characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
      if (!ok) {
        return "invalid character " + printable(c) + " in unit name";
      }
    }
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return "unit name has no type suffix such as .service";
    }
    String type = name.substring(dot + 1);
    if (!TYPES.contains(type)) {
      return "unknown unit type ." + type;
    }
    String stem = name.substring(0, dot);
    int at = stem.indexOf('@');
    if (at == 0) {
      return "unit name starts with @";
    }
    if (at > 0 && stem.indexOf('@', at + 1) >= 0) {
      return "unit name has more than one @";
    }
    return null;
  }

  /** True for a template without an instance, like {@code app@.service}. */
  public static boolean isTemplate(String name) {
    // Only an empty instance: foo@.bar.service is the instance ".bar" of foo@.service.
    int at = name.indexOf('@');
    return at > 0 && at == name.lastIndexOf('.') - 1;
  }

  /** True when {@code unit} is an instance of {@code template} ({@code app@x.service} of {@code app@.service}). */
  public static boolean isInstanceOf(String unit, String template) {
    int at = template.indexOf("@.");
    return isTemplate(template)
        && unit.length() > template.length()
        && unit.startsWith(template.substring(0, at + 1))
        && unit.endsWith(template.substring(at + 1));
  }

  /** True when {@code unit} is one of {@code names}, or an instance of a template among them. */
  public static boolean isAmong(String unit, Collection<String> names) {
    return names.contains(unit) || names.stream().anyMatch(name -> isInstanceOf(unit, name));
  }

  /** A {@code ListUnitsByPatterns} glob that matches every instance of {@code template}. */
  public static String instancePattern(String template) {
    // Backslashes are escapes in fnmatch(3): double them so \x2d matches itself.
    return template.replace("\\", "\\\\").replace("@.", "@*.");
  }

  /** A {@code ListUnitsByPatterns} glob that matches {@code unit} only (valid names have no *?[). */
  public static String literalPattern(String unit) {
    return unit.replace("\\", "\\\\");
  }

  private static String printable(char c) {
    return Shown.isControl(c) ? Shown.escaped(String.valueOf(c), 1) : "'" + c + "'";
  }

  /**
   * {@code s} with control characters shown as escapes and cut to {@code max} characters: for
   * names from a command line or store, so that a line of root's output stays one line and
   * terminal escapes stay inert. Text from a peer goes through {@link Shown#of} instead.
   */
  public static String printable(String s, int max) {
    return Shown.escaped(s, max);
  }
}
