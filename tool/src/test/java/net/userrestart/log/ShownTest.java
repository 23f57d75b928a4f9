// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShownTest {
  @Test
  void plainTextIsShownAsItIs() {
    String s = "Unit app.service not found. é ✓";
    assertSame(s, Shown.of(s));
  }

  @Test
  void c0C1DelAndLineSeparatorsAreEscaped() {
    assertEquals(
        "a\\x0d\\x0a<0>b\\x1b[2J\\x07\\x7f\\x80\\x9b\\x85\\u2028\\u2029c",
        Shown.of("a\r\n<0>b\u001b[2J\u0007\u007f\u0080\u009b\u0085\u2028\u2029c"));
    assertTrue(Shown.isClean(Shown.of("\u0000\u001f\u009f")));
    assertFalse(Shown.isClean("a\nb"));
  }

  @Test
  void longTextIsCutSayingHowMuchWasCut() {
    assertEquals("x".repeat(256) + "…(+744)", Shown.of("x".repeat(1000)));
    assertEquals("x".repeat(256), Shown.of("x".repeat(256)));
    // Escapes count as the one character they stand for.
    assertEquals("\\x1b".repeat(256) + "…(+1)", Shown.of("\u001b".repeat(257)));
  }

  @Test
  void aCutNeverSplitsACharacter() {
    String s = "x".repeat(255) + "\uD83D\uDE00" + "y";
    assertEquals("x".repeat(255) + "…(+3)", Shown.of(s));
  }

  @Test
  void nullIsShownAsNull() {
    assertEquals("null", Shown.of(null));
  }
}
