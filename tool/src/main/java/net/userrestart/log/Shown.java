// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

/**
 * Text from outside (a user manager, /proc, the mark store) made fit for one line of root's output:
 * C0 and C1 controls, DEL and the Unicode line and paragraph separators shown as escapes, so that
 * a line stays one line, terminal escapes stay inert and no journal priority prefix can be forged;
 * and cut, so that a peer cannot choose how much root prints.
 */
public final class Shown {
  /** The most characters of a peer's text that reach a log line or a report. */
  public static final int MAX = 256;

  private Shown() {}

  /** {@code text} escaped and cut to {@link #MAX} characters, "…(+N)" saying how many were cut. */
  public static String of(String text) {
    return escaped(text, MAX);
  }

  /** {@code text} escaped and cut to {@code max} characters of the original. */
  public static String escaped(String text, int max) {
    String s = String.valueOf(text);
    int n = Math.min(s.length(), Math.max(0, max));
    if (n > 0 && n < s.length() && Character.isHighSurrogate(s.charAt(n - 1))) {
      n--; // never half a character
    }
    StringBuilder b = null;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (isControl(c)) {
        if (b == null) {
          b = new StringBuilder(n + 16).append(s, 0, i);
        }
        escape(b, c);
      } else if (b != null) {
        b.append(c);
      }
    }
    String shown = b == null ? s.substring(0, n) : b.toString();
    return n < s.length() ? shown + "…(+" + (s.length() - n) + ")" : shown;
  }

  /** Whether {@code c} would do something to a terminal or a log rather than show as a glyph. */
  public static boolean isControl(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }

  /** Whether {@code s} holds no control character. */
  public static boolean isClean(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      if (isControl(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static void escape(StringBuilder b, char c) {
    if (c > 0xff) {
      b.append("\\u").append(Integer.toHexString(c));
    } else {
      b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
    }
  }
}
